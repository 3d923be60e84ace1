"""The audit trail: one append-only table for every change the portal makes, whatever it changed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AuditSubject(models.TextChoices):
    """What kind of thing an audit row is about: versioned components and the other audited tables."""

    AGENT = "agent", _("Agent")
    TEAM = "team", _("Team")
    ROUTING = "routing", _("Routing")
    TYPIFICATION = "typification", _("Typification")
    KNOWLEDGE = "knowledge", _("Knowledge entry")
    BUSINESS_UNIT_ROUTE = "business_unit_route", _("Business unit route")
    API_KEY = "api_key", _("API key")
    WEBHOOK_ENDPOINT = "webhook_endpoint", _("Webhook endpoint")
    TEST_CASE = "test_case", _("Test case")
    TEST_SUITE = "test_suite", _("Test suite")
    FRAGMENT = "fragment", _("Prompt fragment")
    PROMPT_VARIABLE = "prompt_variable", _("Prompt variable")


class AuditAction(models.TextChoices):
    CREATED = "created", _("Created")
    DRAFT_SAVED = "draft_saved", _("Draft saved")
    SUBMITTED = "submitted", _("Submitted for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PUBLISHED = "published", _("Published")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    PROMOTED = "promoted", _("Promoted")
    CANCELLED = "cancelled", _("Cancelled")
    ROLLOUT_STARTED = "rollout_started", _("Rollout started")
    ROLLOUT_ABORTED = "rollout_aborted", _("Rollout aborted")
    ROLLOUT_COMPLETED = "rollout_completed", _("Rollout completed")
    SCHEDULED = "scheduled", _("Scheduled")
    ARCHIVED = "archived", _("Archived")
    ACTIVATED = "activated", _("Activated")
    DEACTIVATED = "deactivated", _("Deactivated")
    IMPORTED = "imported", _("Imported")
    DELETED = "deleted", _("Deleted")
    UPDATED = "updated", _("Updated")
    GATE_OVERRIDDEN = "gate_overridden", _("Released despite failing test cases")


class AuditRecord(models.Model):
    """One change: what (subject kind + id), who, why, before/after. Append-only; on PostgreSQL triggers
    refuse UPDATE, DELETE and TRUNCATE and chain every row's hash to the previous one.

    The table, its columns and its constraint names predate this app (the model lived in ``versioning`` as
    ``VersionHistory``) and are kept as they were: the hash chain hashes each row as JSON keyed by column
    name, so renaming a column would make every older row fail verification.
    """

    action = models.CharField(max_length=20, choices=AuditAction.choices, verbose_name=_("action"))
    subject_type = models.CharField(
        max_length=30,
        choices=AuditSubject.choices,
        db_column="component_type",
        verbose_name=_("type"),
    )
    subject_id = models.CharField(
        max_length=255,
        db_column="component_id",
        verbose_name=_("subject"),
        help_text=_("The subject's identifier: a component's id, or the row's primary key."),
    )
    from_version = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("from version"))
    to_version = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("to version"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,  # an audit row outlives the user; actor_name keeps who it was
        related_name="+",
        verbose_name=_("user"),
    )
    actor_name = models.CharField(max_length=150, verbose_name=_("by"), help_text=_("User name or API key name."))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("when"))
    reason = models.TextField(blank=True, default="", verbose_name=_("why"))
    diff = models.JSONField(
        default=dict, blank=True, help_text=_("What changed, key by key."), verbose_name=_("changes")
    )
    before = models.JSONField(null=True, blank=True, verbose_name=_("before"))
    after = models.JSONField(null=True, blank=True, verbose_name=_("after"))
    batch_id = models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("batch"),
        help_text=_("Shared by every row of one multi-row operation (an import, a bulk delete)."),
    )
    environment = models.CharField(  # noqa: DJ001 - null, not "": the hash chain leaves a null key out
        max_length=30,
        null=True,
        blank=True,
        help_text=_(
            "The environment a release step changed (empty: not environment-specific, or the first "
            "environment for rows written before environments existed)."
        ),
        verbose_name=_("environment"),
    )
    # Tamper evidence (PostgreSQL): set by a trigger on INSERT, whatever wrote the row; checked by
    # ``manage.py verify_audit`` (audit.chain). Empty on SQLite.
    previous_hash = models.CharField(
        max_length=64, blank=True, default="", editable=False, verbose_name=_("previous hash")
    )
    row_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text=_("SHA-256 of the previous row's hash and this row's content."),
        verbose_name=_("row hash"),
    )

    class Meta:
        db_table = "version_history"
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit log")
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
                violation_error_message=_("Every change names who made it."),
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.subject_type} {self.subject_id} by {self.actor_name}"
