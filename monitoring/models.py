from django.db import models
from django.db.models import Q

from hive_portal.db import json_object_constraint


class AgentMetric(models.Model):
    """One agent run as the runtime reported it. Append-only, high volume: a bigint key, no foreign keys
    (metrics outlive the agents they describe)."""

    agent_id = models.CharField(max_length=255, verbose_name="agent ID")
    session_id = models.CharField(max_length=255, blank=True, default="", verbose_name="session ID")
    response_time_ms = models.PositiveIntegerField(verbose_name="response time (ms)")
    tokens_used = models.PositiveIntegerField(default=0, verbose_name="tokens")
    success = models.BooleanField(default=True)
    error_message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(db_index=False)

    class Meta:
        db_table = "agent_metrics"
        ordering = ["-created_at"]
        verbose_name = "agent metric"
        indexes = [models.Index(fields=["agent_id", "created_at"], name="agent_metrics_agent_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(response_time_ms__gte=0),
                name="%(app_label)s_%(class)s_response_time_nonnegative",
                violation_error_message="Response time cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(tokens_used__gte=0),
                name="%(app_label)s_%(class)s_tokens_nonnegative",
                violation_error_message="Tokens used cannot be negative.",
            ),
            models.CheckConstraint(
                condition=~Q(agent_id=""),
                name="%(app_label)s_%(class)s_agent_id_set",
                violation_error_message="Agent ID is required.",
            ),
        ]

    def __str__(self):
        return f"{self.agent_id} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class RoutingDecision(models.Model):
    """Where the routing team sent a customer message, and how sure it was."""

    session_id = models.CharField(max_length=255, verbose_name="session ID")
    query = models.TextField()
    routed_to = models.CharField(max_length=255, verbose_name="routed to", help_text="Agent or team ID.")
    confidence_score = models.FloatField(null=True, blank=True, verbose_name="confidence")
    typification_result = models.JSONField(default=dict, blank=True, verbose_name="typification")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "routing_decisions"
        ordering = ["-created_at"]
        verbose_name = "routing decision"
        indexes = [models.Index(fields=["created_at"], name="routing_decisions_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence_score__isnull=True) | Q(confidence_score__gte=0, confidence_score__lte=1),
                name="%(app_label)s_%(class)s_confidence_range",
                violation_error_message="Confidence must be between 0 and 1.",
            ),
            models.CheckConstraint(
                condition=~Q(routed_to=""),
                name="%(app_label)s_%(class)s_routed_to_set",
                violation_error_message="Routed to is required.",
            ),
            json_object_constraint("typification_result"),
        ]

    def __str__(self):
        return f"{self.session_id} → {self.routed_to}"


class AgnoModel(models.Model):
    """Read-only view of a table in Agno's schema. Never migrated (see ``hive_portal.routers``)."""

    class Meta:
        abstract = True
        managed = False

    def save(self, *args, **kwargs):
        raise PermissionError("Agno's tables are read-only in Hive Portal.")

    def delete(self, *args, **kwargs):
        raise PermissionError("Agno's tables are read-only in Hive Portal.")


class AgnoSession(AgnoModel):
    session_id = models.CharField(primary_key=True, max_length=255)
    session_type = models.CharField(max_length=50)
    agent_id = models.CharField(max_length=255, null=True)
    team_id = models.CharField(max_length=255, null=True)
    workflow_id = models.CharField(max_length=255, null=True)
    user_id = models.CharField(max_length=255, null=True)
    session_data = models.JSONField(null=True)
    agent_data = models.JSONField(null=True)
    team_data = models.JSONField(null=True)
    metadata = models.JSONField(null=True)
    summary = models.JSONField(null=True)
    created_at = models.BigIntegerField(help_text="Unix seconds.")
    updated_at = models.BigIntegerField(null=True, help_text="Unix seconds.")

    class Meta(AgnoModel.Meta):
        db_table = 'agno"."agno_sessions'
        ordering = ["-created_at"]
        verbose_name = "Agno session"

    def __str__(self):
        return self.session_id


class AgnoMemory(AgnoModel):
    memory_id = models.CharField(primary_key=True, max_length=255)
    memory = models.JSONField(null=True)
    agent_id = models.CharField(max_length=255, null=True)
    team_id = models.CharField(max_length=255, null=True)
    user_id = models.CharField(max_length=255, null=True)
    topics = models.JSONField(null=True)
    created_at = models.BigIntegerField(null=True, help_text="Unix seconds.")
    updated_at = models.BigIntegerField(null=True, help_text="Unix seconds.")

    class Meta(AgnoModel.Meta):
        db_table = 'agno"."agno_memories'
        ordering = ["-updated_at"]
        verbose_name = "Agno memory"
        verbose_name_plural = "Agno memories"

    def __str__(self):
        return self.memory_id
