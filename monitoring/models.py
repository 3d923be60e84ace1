from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from pgvector.django import VectorField

from common.db import json_object_constraint
from monitoring.histograms import CONFIDENCE_BINS, LATENCY_BINS
from monitoring.indexes import CoveringIndex


class AgentMetric(models.Model):
    """One agent run as the runtime reported it. Append-only, high volume: a bigint key, no foreign keys
    (metrics outlive the agents they describe)."""

    agent_id = models.CharField(max_length=255, verbose_name=_("agent ID"))
    session_id = models.CharField(max_length=255, blank=True, default="", verbose_name=_("session ID"))
    response_time_ms = models.PositiveIntegerField(verbose_name=_("response time (ms)"))
    tokens_used = models.PositiveIntegerField(default=0, verbose_name=_("tokens"))
    success = models.BooleanField(default=True, verbose_name=_("success"))
    error_message = models.TextField(blank=True, default="", verbose_name=_("error message"))
    config_version = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name=_("configuration version"),
        help_text=_("The published version of the agent's configuration the runtime ran with."),
    )
    created_at = models.DateTimeField(db_index=False, verbose_name=_("created at"))

    class Meta:
        db_table = "agent_metrics"
        ordering = ["-created_at"]
        verbose_name = _("agent metric")
        verbose_name_plural = _("agent metrics")
        # Lean: the dashboards read the rollups, so no index carries the measured values (each would be written
        # with every row ingested).
        indexes = [
            # An agent's newest rows (the list searched by agent), and the rollout guard's window of one agent
            # (minutes of rows, its two versions filtered there).
            models.Index(fields=["agent_id", "created_at"], name="agent_metrics_agent_time"),
            # Rebuilding the rollups a day at a time, pruning by age, the newest rows of the list.
            models.Index(fields=["created_at"], name="agent_metrics_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(response_time_ms__gte=0),
                name="%(app_label)s_%(class)s_response_time_nonnegative",
                violation_error_message=_("Response time cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(tokens_used__gte=0),
                name="%(app_label)s_%(class)s_tokens_nonnegative",
                violation_error_message=_("Tokens used cannot be negative."),
            ),
            models.CheckConstraint(
                condition=~Q(agent_id=""),
                name="%(app_label)s_%(class)s_agent_id_set",
                violation_error_message=_("Agent ID is required."),
            ),
            models.CheckConstraint(
                condition=Q(config_version__isnull=True) | Q(config_version__gte=1),
                name="%(app_label)s_%(class)s_config_version_positive",
                violation_error_message=_("Configuration versions start at 1."),
            ),
        ]

    def __str__(self):
        return f"{self.agent_id} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class RoutingDecision(models.Model):
    """Where the routing team sent a customer message, and how sure it was."""

    session_id = models.CharField(max_length=255, verbose_name=_("session ID"))
    query = models.TextField(verbose_name=_("query"))
    routed_to = models.CharField(max_length=255, verbose_name=_("routed to"), help_text=_("Agent or team ID."))
    confidence_score = models.FloatField(null=True, blank=True, verbose_name=_("confidence"))
    typification_result = models.JSONField(
        default=dict,
        blank=True,
        verbose_name=_("typification"),
        help_text=_('The typification the router chose: {"business_unit": …, "path": [level1, …]}.'),
    )
    config_version = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name=_("configuration version"),
        help_text=_("The published version of the routing team's configuration the runtime ran with."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        db_table = "routing_decisions"
        ordering = ["-created_at"]
        verbose_name = _("routing decision")
        verbose_name_plural = _("routing decisions")
        indexes = [
            # Routing dashboards: decisions of a period by destination and confidence.
            CoveringIndex(
                fields=["created_at"], name="routing_decisions_time", covering=("routed_to", "confidence_score")
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence_score__isnull=True) | Q(confidence_score__gte=0, confidence_score__lte=1),
                name="%(app_label)s_%(class)s_confidence_range",
                violation_error_message=_("Confidence must be between 0 and 1."),
            ),
            models.CheckConstraint(
                condition=~Q(routed_to=""),
                name="%(app_label)s_%(class)s_routed_to_set",
                violation_error_message=_("Routed to is required."),
            ),
            models.CheckConstraint(
                condition=Q(config_version__isnull=True) | Q(config_version__gte=1),
                name="%(app_label)s_%(class)s_config_version_positive",
                violation_error_message=_("Configuration versions start at 1."),
            ),
            json_object_constraint("typification_result"),
        ]

    def __str__(self):
        return f"{self.session_id} → {self.routed_to}"


# --- Rollups: what the dashboards read (monitoring.rollups keeps them, monitoring.selectors reads them) --------
#
# One row per key and hour (or UTC day) once compacted; until the next compaction a key may have several partial
# rows (one per ingested batch), which every read sums. Keys never hold NULL: no version is 0, no unit is "".


class MetricRollup(models.Model):
    agent_id = models.CharField(max_length=255)
    config_version = models.PositiveIntegerField(default=0, help_text=_("0: the metrics carried no version."))
    bucket = models.DateTimeField(help_text=_("Start of the hour (or of the UTC day) the row sums up."))
    requests = models.PositiveIntegerField()
    successes = models.PositiveIntegerField()
    response_ms_sum = models.BigIntegerField()
    tokens = models.BigIntegerField()
    min_ms = models.PositiveIntegerField()
    max_ms = models.PositiveIntegerField()
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    latency = VectorField(
        dimensions=LATENCY_BINS, help_text=_("Requests per response-time bin (monitoring.histograms).")
    )

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.agent_id} v{self.config_version} at {self.bucket:%Y-%m-%d %H:%M}"


class AgentMetricHourly(MetricRollup):
    class Meta:
        db_table = "agent_metrics_hourly"
        verbose_name = _("agent metrics per hour")
        verbose_name_plural = _("agent metrics per hour")
        indexes = [
            models.Index(fields=["agent_id", "bucket"], name="agent_metrics_h_agent"),
            models.Index(fields=["bucket"], name="agent_metrics_h_bucket"),
        ]


class AgentMetricDaily(MetricRollup):
    class Meta:
        db_table = "agent_metrics_daily"
        verbose_name = _("agent metrics per day")
        verbose_name_plural = _("agent metrics per day")
        indexes = [
            models.Index(fields=["agent_id", "bucket"], name="agent_metrics_d_agent"),
            models.Index(fields=["bucket"], name="agent_metrics_d_bucket"),
        ]


class DecisionRollup(models.Model):
    routed_to = models.CharField(max_length=255)
    bucket = models.DateTimeField(help_text=_("Start of the hour (or of the UTC day) the row sums up."))
    decisions = models.PositiveIntegerField()
    confidence_count = models.PositiveIntegerField(help_text=_("Decisions that carried a confidence."))
    confidence_sum = models.FloatField()
    confidence = VectorField(
        dimensions=CONFIDENCE_BINS, help_text=_("Decisions per confidence bin of 0.01 (monitoring.histograms).")
    )

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.routed_to} at {self.bucket:%Y-%m-%d %H:%M}"


class RoutingDecisionHourly(DecisionRollup):
    class Meta:
        db_table = "routing_decisions_hourly"
        verbose_name = _("routing decisions per hour")
        verbose_name_plural = _("routing decisions per hour")
        indexes = [models.Index(fields=["bucket"], name="routing_decisions_h_bucket")]


class RoutingDecisionDaily(DecisionRollup):
    class Meta:
        db_table = "routing_decisions_daily"
        verbose_name = _("routing decisions per day")
        verbose_name_plural = _("routing decisions per day")
        indexes = [models.Index(fields=["bucket"], name="routing_decisions_d_bucket")]


class TypificationRollup(DecisionRollup):
    business_unit = models.CharField(max_length=255, blank=True, default="")
    path = models.TextField(blank=True, default="", help_text=_("The typification path as JSON text; '' for none."))

    class Meta:
        abstract = True


class TypificationHourly(TypificationRollup):
    class Meta:
        db_table = "routing_typifications_hourly"
        verbose_name = _("typifications per hour")
        verbose_name_plural = _("typifications per hour")
        indexes = [models.Index(fields=["bucket"], name="routing_typifications_h_bucket")]


class TypificationDaily(TypificationRollup):
    class Meta:
        db_table = "routing_typifications_daily"
        verbose_name = _("typifications per day")
        verbose_name_plural = _("typifications per day")
        indexes = [models.Index(fields=["bucket"], name="routing_typifications_d_bucket")]


class IngestionKind(models.TextChoices):
    METRICS = "metrics", _("Agent metrics")
    ROUTING_DECISIONS = "routing_decisions", _("Routing decisions")


class IngestionBatch(models.Model):
    """One accepted ingestion batch that carried an ``Idempotency-Key``: a retry finds it and stores nothing.

    The row is written in the same transaction as the batch's records, so either both exist or neither.
    """

    kind = models.CharField(max_length=20, choices=IngestionKind.choices, verbose_name=_("kind"))
    idempotency_key = models.CharField(max_length=255, verbose_name=_("idempotency key"))
    request_hash = models.CharField(max_length=64, help_text=_("SHA-256 of the batch's canonical JSON."))
    record_count = models.PositiveIntegerField(verbose_name=_("records"))
    api_key_name = models.CharField(max_length=150, blank=True, default="", verbose_name=_("sent by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        db_table = "ingestion_batches"
        ordering = ["-created_at"]
        verbose_name = _("ingestion batch")
        verbose_name_plural = _("ingestion batches")
        indexes = [models.Index(fields=["created_at"], name="ingestion_batches_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "idempotency_key"],
                name="%(app_label)s_%(class)s_unique_key",
                violation_error_message=_("This idempotency key was already used for this kind of batch."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=IngestionKind.values),
                name="%(app_label)s_%(class)s_kind_known",
            ),
            models.CheckConstraint(
                condition=~Q(idempotency_key=""),
                name="%(app_label)s_%(class)s_key_set",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.idempotency_key}"


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
    session_id = models.CharField(primary_key=True, max_length=255, verbose_name=_("session ID"))
    session_type = models.CharField(max_length=50, verbose_name=_("session type"))
    agent_id = models.CharField(max_length=255, null=True, verbose_name=_("agent ID"))
    team_id = models.CharField(max_length=255, null=True, verbose_name=_("team ID"))
    workflow_id = models.CharField(max_length=255, null=True, verbose_name=_("workflow ID"))
    user_id = models.CharField(max_length=255, null=True, verbose_name=_("user ID"))
    session_data = models.JSONField(null=True, verbose_name=_("session data"))
    agent_data = models.JSONField(null=True, verbose_name=_("agent data"))
    team_data = models.JSONField(null=True, verbose_name=_("team data"))
    metadata = models.JSONField(null=True, verbose_name=_("metadata"))
    summary = models.JSONField(null=True, verbose_name=_("summary"))
    created_at = models.BigIntegerField(help_text=_("Unix seconds."), verbose_name=_("created at"))
    updated_at = models.BigIntegerField(null=True, help_text=_("Unix seconds."), verbose_name=_("updated at"))

    class Meta(AgnoModel.Meta):
        db_table = 'agno"."agno_sessions'
        ordering = ["-created_at"]
        verbose_name = _("Agno session")
        verbose_name_plural = _("Agno sessions")

    def __str__(self):
        return self.session_id


class AgnoMemory(AgnoModel):
    memory_id = models.CharField(primary_key=True, max_length=255, verbose_name=_("memory ID"))
    memory = models.JSONField(null=True, verbose_name=_("memory"))
    input = models.TextField(null=True, help_text=_("The message the memory was taken from."), verbose_name=_("input"))
    agent_id = models.CharField(max_length=255, null=True, verbose_name=_("agent ID"))
    team_id = models.CharField(max_length=255, null=True, verbose_name=_("team ID"))
    user_id = models.CharField(max_length=255, null=True, verbose_name=_("user ID"))
    topics = models.JSONField(null=True, verbose_name=_("topics"))
    created_at = models.BigIntegerField(null=True, help_text=_("Unix seconds."), verbose_name=_("created at"))
    updated_at = models.BigIntegerField(null=True, help_text=_("Unix seconds."), verbose_name=_("updated at"))

    class Meta(AgnoModel.Meta):
        db_table = 'agno"."agno_memories'
        ordering = ["-updated_at"]
        verbose_name = _("Agno memory")
        verbose_name_plural = _("Agno memories")

    def __str__(self):
        return self.memory_id


class AgnoRun(AgnoModel):
    run_id = models.CharField(primary_key=True, max_length=255, verbose_name=_("run ID"))
    session = models.ForeignKey(
        AgnoSession,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_column="session_id",
        related_name="runs",
    )
    run_type = models.CharField(max_length=50, verbose_name=_("run type"))
    agent_id = models.CharField(max_length=255, null=True, verbose_name=_("agent ID"))
    team_id = models.CharField(max_length=255, null=True, verbose_name=_("team ID"))
    workflow_id = models.CharField(max_length=255, null=True, verbose_name=_("workflow ID"))
    user_id = models.CharField(max_length=255, null=True, verbose_name=_("user ID"))
    parent_run_id = models.CharField(max_length=255, null=True, verbose_name=_("parent run ID"))
    status = models.CharField(max_length=50, null=True, verbose_name=_("status"))
    run_index = models.BigIntegerField(null=True, verbose_name=_("run index"))
    run_data = models.JSONField(null=True, verbose_name=_("run data"))
    created_at = models.BigIntegerField(help_text=_("Unix seconds."), verbose_name=_("created at"))
    updated_at = models.BigIntegerField(null=True, help_text=_("Unix seconds."), verbose_name=_("updated at"))

    class Meta(AgnoModel.Meta):
        db_table = 'agno"."agno_runs'
        ordering = ["-created_at"]
        verbose_name = _("Agno run")
        verbose_name_plural = _("Agno runs")

    def __str__(self):
        return self.run_id
