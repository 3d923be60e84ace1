"""The audit trail: one append-only table for every change the portal makes, whatever it changed."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class AuditSubject(models.TextChoices):
    """What kind of thing an audit row is about: versioned components and the other audited tables."""

    AGENT = "agent", "Agent"
    TEAM = "team", "Team"
    ROUTING = "routing", "Routing"
    TYPIFICATION = "typification", "Typification"
    KNOWLEDGE = "knowledge", "Knowledge entry"
    BUSINESS_UNIT_ROUTE = "business_unit_route", "Business unit route"
    API_KEY = "api_key", "API key"
    WEBHOOK_ENDPOINT = "webhook_endpoint", "Webhook endpoint"
    TEST_CASE = "test_case", "Test case"
    TEST_SUITE = "test_suite", "Test suite"
    FRAGMENT = "fragment", "Prompt fragment"
    PROMPT_VARIABLE = "prompt_variable", "Prompt variable"


class AuditAction(models.TextChoices):
    CREATED = "created", "Created"
    DRAFT_SAVED = "draft_saved", "Draft saved"
    SUBMITTED = "submitted", "Submitted for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    PUBLISHED = "published", "Published"
    ROLLED_BACK = "rolled_back", "Rolled back"
    PROMOTED = "promoted", "Promoted"
    CANCELLED = "cancelled", "Cancelled"
    ROLLOUT_STARTED = "rollout_started", "Rollout started"
    ROLLOUT_ABORTED = "rollout_aborted", "Rollout aborted"
    ROLLOUT_COMPLETED = "rollout_completed", "Rollout completed"
    SCHEDULED = "scheduled", "Scheduled"
    ARCHIVED = "archived", "Archived"
    ACTIVATED = "activated", "Activated"
    DEACTIVATED = "deactivated", "Deactivated"
    IMPORTED = "imported", "Imported"
    DELETED = "deleted", "Deleted"
    UPDATED = "updated", "Updated"
    GATE_OVERRIDDEN = "gate_overridden", "Released despite failing test cases"


class AuditRecord(models.Model):
    """One change: what (subject kind + id), who, why, before/after. Append-only; on PostgreSQL triggers
    refuse UPDATE, DELETE and TRUNCATE and chain every row's hash to the previous one.

    The table, its columns and its constraint names predate this app (the model lived in ``versioning`` as
    ``VersionHistory``) and are kept as they were: the hash chain hashes each row as JSON keyed by column
    name, so renaming a column would make every older row fail verification.
    """

    action = models.CharField(max_length=20, choices=AuditAction.choices)
    subject_type = models.CharField(
        max_length=30,
        choices=AuditSubject.choices,
        db_column="component_type",
        verbose_name="type",
    )
    subject_id = models.CharField(
        max_length=255,
        db_column="component_id",
        verbose_name="subject",
        help_text="The subject's identifier: a component's id, or the row's primary key.",
    )
    from_version = models.PositiveIntegerField(null=True, blank=True)
    to_version = models.PositiveIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,  # an audit row outlives the user; actor_name keeps who it was
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, verbose_name="by", help_text="User name or API key name.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="when")
    reason = models.TextField(blank=True, default="")
    diff = models.JSONField(default=dict, blank=True, help_text="What changed, key by key.")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    batch_id = models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        verbose_name="batch",
        help_text="Shared by every row of one multi-row operation (an import, a bulk delete).",
    )
    environment = models.CharField(  # noqa: DJ001 - null, not "": the hash chain leaves a null key out
        max_length=30,
        null=True,
        blank=True,
        help_text="The environment a release step changed (empty: not environment-specific, or the first "
        "environment for rows written before environments existed).",
    )
    # Tamper evidence (PostgreSQL): set by a trigger on INSERT, whatever wrote the row; checked by
    # ``manage.py verify_audit`` (audit.chain). Empty on SQLite.
    previous_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    row_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text="SHA-256 of the previous row's hash and this row's content.",
    )

    class Meta:
        db_table = "version_history"
        ordering = ["-created_at", "-id"]
        verbose_name = "audit record"
        verbose_name_plural = "audit log"
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "-created_at"], name="version_history_component"),
            models.Index(fields=["actor_name", "-created_at"], name="version_history_actor"),
            models.Index(fields=["batch_id"], condition=Q(batch_id__isnull=False), name="version_history_batch"),
            # "What was live in an environment at time T" (versioning.selectors.live_at): the newest release
            # step per component before T, and the newest (de)activation or deletion, each read from the
            # index alone (DISTINCT ON walks it in order; the rows found are then fetched by id).
            models.Index(
                fields=["environment", "subject_type", "subject_id", "-created_at", "-id"],
                condition=Q(action__in=["published", "rolled_back", "promoted"]),
                name="version_history_releases",
            ),
            models.Index(
                fields=["subject_type", "subject_id", "-created_at", "-id"],
                include=["action"],
                condition=Q(action__in=["deleted", "activated", "deactivated"]),
                name="version_history_presence",
            ),
            models.Index(
                fields=["environment", "subject_type", "subject_id", "-created_at", "-id"],
                include=["action"],
                condition=Q(action__in=["rollout_started", "rollout_aborted", "rollout_completed"]),
                name="version_history_rollouts",
            ),
        ]
        # Named as when the model lived in versioning, so the database keeps its constraints untouched.
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values),
                name="versioning_versionhistory_action_known",
            ),
            models.CheckConstraint(
                condition=~Q(actor_name=""),
                name="versioning_versionhistory_actor_set",
                violation_error_message="Every change names who made it.",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.subject_type} {self.subject_id} by {self.actor_name}"
