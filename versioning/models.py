from django.conf import settings
from django.db import models
from django.db.models import Q


class ComponentType(models.TextChoices):
    AGENT = "agent", "Agent"
    TEAM = "team", "Team"
    ROUTING = "routing", "Routing"  # the typification tree and business-unit routes, as one component
    FRAGMENT = "fragment", "Prompt fragment"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class ReviewState(models.TextChoices):
    NONE = "", "Not submitted"
    SUBMITTED = "submitted", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Changes requested"


class ComponentVersion(models.Model):
    """One version of a component's complete runtime configuration (an agent, a team, or the routing:
    the whole typification tree with the business-unit routes).

    A draft is the component's working state and may change until it is published. A published or
    archived version is immutable (the database refuses changes to its configuration); a rollback is a
    new version carrying an older configuration.
    """

    component_type = models.CharField(max_length=10, choices=ComponentType.choices, verbose_name="type")
    component_id = models.CharField(max_length=255, verbose_name="component ID")
    version = models.PositiveIntegerField(help_text="Per component, strictly increasing.")
    config = models.JSONField(verbose_name="configuration", help_text="The complete runtime configuration.")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON of the configuration.")
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    change_note = models.TextField(verbose_name="change note", help_text="Why this version exists.")
    base_version = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="For a draft: the published version it was started from.",
    )
    rolled_back_from = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="For a rollback: the version whose configuration this one restores.",
    )
    review_state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.NONE, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_name = models.CharField(max_length=150, blank=True, default="", help_text="User or API key name.")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    edited_by_name = models.CharField(max_length=150, blank=True, default="", help_text="Who saved the draft last.")
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_by_name = models.CharField(max_length=150, blank=True, default="")
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "component_versions"
        ordering = ["component_type", "component_id", "-version"]
        verbose_name = "component version"
        permissions = [
            # At most 50 characters: auth's early migrations (run when migrating back) limit names to 50.
            ("publish_component", "Can publish, roll back and (de)activate"),
            ("review_component", "Can approve or reject drafts of others"),
        ]
        indexes = [
            models.Index(fields=["component_type", "component_id", "status"], name="component_versions_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["component_type", "component_id", "version"],
                name="%(app_label)s_%(class)s_unique_version",
                violation_error_message="This version number already exists for the component.",
            ),
            models.UniqueConstraint(
                fields=["component_type", "component_id"],
                condition=Q(status="published"),
                name="%(app_label)s_%(class)s_one_published",
                violation_error_message="A component has at most one published version.",
            ),
            models.UniqueConstraint(
                fields=["component_type", "component_id"],
                condition=Q(status="draft"),
                name="%(app_label)s_%(class)s_one_draft",
                violation_error_message="A component has at most one open draft.",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1),
                name="%(app_label)s_%(class)s_version_positive",
                violation_error_message="Version numbers start at 1.",
            ),
            models.CheckConstraint(
                condition=Q(component_type__in=ComponentType.values),
                name="%(app_label)s_%(class)s_type_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=VersionStatus.values),
                name="%(app_label)s_%(class)s_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(change_note=""),
                name="%(app_label)s_%(class)s_change_note_set",
                violation_error_message="Say why: a change note is required.",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="%(app_label)s_%(class)s_published_has_time",
                violation_error_message="A published version records when it was published.",
            ),
            models.CheckConstraint(
                condition=Q(content_hash__regex=r"^[0-9a-f]{64}$"),
                name="%(app_label)s_%(class)s_hash_format",
            ),
        ]

    def __str__(self):
        return f"{self.component_type} {self.component_id} v{self.version} ({self.status})"

    @property
    def label(self) -> str:
        return f"v{self.version}"


def first_environment() -> str:
    """Where publishing puts a version (the first of ``HIVE_ENVIRONMENTS``)."""
    return settings.HIVE_ENVIRONMENTS[0]


class EnvironmentRelease(models.Model):
    """The version of a component that an environment after the first serves.

    The first environment serves the version whose status is ``published`` (publishing and rollback put it
    there). Every later environment only receives a version promoted from the environment before it: the
    same immutable row, so the same content hash. A row moves by promotion, completion of a rollout, or an
    environment rollback; deleting the component removes its rows.
    """

    environment = models.CharField(max_length=30)
    component_type = models.CharField(max_length=10, choices=ComponentType.choices, verbose_name="type")
    component_id = models.CharField(max_length=255, verbose_name="component ID")
    version = models.ForeignKey(ComponentVersion, on_delete=models.PROTECT, related_name="releases")
    released_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_by_name = models.CharField(max_length=150)
    note = models.TextField(help_text="Why this version went live in this environment.")

    class Meta:
        db_table = "environment_releases"
        ordering = ["environment", "component_type", "component_id"]
        verbose_name = "environment release"
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "component_type", "component_id"],
                name="%(app_label)s_%(class)s_one_per_environment",
                violation_error_message="An environment serves one version of a component.",
            ),
            models.CheckConstraint(
                condition=Q(environment__regex=r"^[a-z][a-z0-9-]{0,29}$"),
                name="%(app_label)s_%(class)s_environment_name",
            ),
            models.CheckConstraint(
                condition=~Q(note=""),
                name="%(app_label)s_%(class)s_note_set",
                violation_error_message="Say why: a note is required.",
            ),
        ]

    def __str__(self):
        return f"{self.environment}: {self.component_type} {self.component_id} v{self.version.version}"


class PromotionState(models.TextChoices):
    REQUESTED = "requested", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Changes requested"
    CANCELLED = "cancelled", "Cancelled"
    DONE = "done", "Promoted"


OPEN_PROMOTION_STATES = (PromotionState.REQUESTED, PromotionState.APPROVED)


class PromotionRequest(models.Model):
    """A request to promote one version to an environment, reviewed by another publisher (four eyes) when
    ``HIVE_REQUIRE_REVIEW`` is on. Approving does not promote: a publisher promotes the approved version."""

    environment = models.CharField(max_length=30)
    component_type = models.CharField(max_length=10, choices=ComponentType.choices, verbose_name="type")
    component_id = models.CharField(max_length=255, verbose_name="component ID")
    version = models.ForeignKey(ComponentVersion, on_delete=models.PROTECT, related_name="promotion_requests")
    state = models.CharField(max_length=10, choices=PromotionState.choices, default=PromotionState.REQUESTED)
    note = models.TextField(help_text="Why this version should go to the environment.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by_name = models.CharField(max_length=150)
    requested_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by_name = models.CharField(max_length=150, blank=True, default="")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "promotion_requests"
        ordering = ["-requested_at", "-id"]
        verbose_name = "promotion request"
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "component_type", "component_id"],
                condition=Q(state__in=["requested", "approved"]),
                name="%(app_label)s_%(class)s_one_open",
                violation_error_message="This component already has an open promotion request for the environment.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=PromotionState.values),
                name="%(app_label)s_%(class)s_state_known",
            ),
            models.CheckConstraint(
                condition=~Q(note=""),
                name="%(app_label)s_%(class)s_note_set",
                violation_error_message="Say why: a note is required.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["requested", "cancelled"]) | Q(reviewed_at__isnull=False),
                name="%(app_label)s_%(class)s_reviewed_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.component_type} {self.component_id} v{self.version.version} → {self.environment}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_PROMOTION_STATES


class RolloutState(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed (100%)"
    ABORTED = "aborted", "Aborted"


class Rollout(models.Model):
    """A candidate version served to a percentage of an environment's traffic beside the version the
    environment serves (the baseline), sticky per session: ``common.rollout.picks_candidate(salt, key,
    percent)`` over the session or user id the runtime sends. Completing it promotes the candidate (100%);
    aborting it leaves the baseline. Guard thresholds (any may be empty) let the portal abort it on its own
    when the candidate's metrics are worse (``monitoring.rollout_guard``)."""

    environment = models.CharField(max_length=30)
    component_type = models.CharField(max_length=10, choices=ComponentType.choices, verbose_name="type")
    component_id = models.CharField(max_length=255, verbose_name="component ID")
    baseline = models.ForeignKey(ComponentVersion, on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(ComponentVersion, on_delete=models.PROTECT, related_name="rollouts")
    percent = models.PositiveSmallIntegerField(help_text="Share of sessions (1–99) that get the candidate.")
    salt = models.CharField(max_length=32, editable=False, help_text="Makes each rollout's split independent.")
    state = models.CharField(max_length=10, choices=RolloutState.choices, default=RolloutState.RUNNING)
    max_success_drop_points = models.FloatField(
        null=True,
        blank=True,
        verbose_name="max success-rate drop (points)",
        help_text="Abort when the candidate's success rate is this many percentage points below the baseline's.",
    )
    max_p95_increase_percent = models.FloatField(
        null=True,
        blank=True,
        verbose_name="max p95 latency increase (%)",
        help_text="Abort when the candidate's p95 response time is this much higher than the baseline's.",
    )
    min_runs = models.PositiveIntegerField(
        default=50, help_text="The guard judges only once each version has at least this many runs in the rollout."
    )
    note = models.TextField(help_text="Why this rollout.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_by_name = models.CharField(max_length=150)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by_name = models.CharField(max_length=150, blank=True, default="")
    end_reason = models.TextField(blank=True, default="")
    figures = models.JSONField(
        default=dict, blank=True, help_text="The guard's last figures (the ones that aborted it, if it did)."
    )

    class Meta:
        db_table = "rollouts"
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "component_type", "component_id"],
                condition=Q(state="running"),
                name="%(app_label)s_%(class)s_one_running",
                violation_error_message="This component already has a rollout running in the environment.",
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=1, percent__lte=99),
                name="%(app_label)s_%(class)s_percent_range",
                violation_error_message="A rollout serves the candidate to 1–99% of sessions; 100% is a promotion.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=RolloutState.values), name="%(app_label)s_%(class)s_state_known"
            ),
            models.CheckConstraint(
                condition=Q(state="running") | Q(ended_at__isnull=False),
                name="%(app_label)s_%(class)s_ended_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(baseline=models.F("candidate")),
                name="%(app_label)s_%(class)s_two_versions",
                violation_error_message="The candidate must differ from the baseline.",
            ),
            models.CheckConstraint(
                condition=(Q(max_success_drop_points__isnull=True) | Q(max_success_drop_points__gte=0))
                & (Q(max_p95_increase_percent__isnull=True) | Q(max_p95_increase_percent__gte=0)),
                name="%(app_label)s_%(class)s_thresholds_positive",
                violation_error_message="Guard thresholds are zero or more.",
            ),
            models.CheckConstraint(condition=~Q(note=""), name="%(app_label)s_%(class)s_note_set"),
        ]

    def __str__(self):
        return (
            f"{self.component_type} {self.component_id}: v{self.candidate.version} to {self.percent}% of "
            f"{self.environment}"
        )

    @property
    def guarded(self) -> bool:
        return self.max_success_drop_points is not None or self.max_p95_increase_percent is not None


class ScheduledAction(models.TextChoices):
    PUBLISH = "publish", "Publish the draft"
    PROMOTE = "promote", "Promote"
    COMPLETE_ROLLOUT = "complete_rollout", "Complete the rollout"
    ABORT_ROLLOUT = "abort_rollout", "Abort the rollout"


class ScheduleState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ScheduledRelease(models.Model):
    """A release step to run at a time: publish an approved draft, promote a version, or end a rollout.

    It names exactly what was scheduled (the version and its content hash), so what goes live is what the
    scheduler (and the reviewer) saw: if the draft changed meanwhile, the step fails instead. The job queue
    runs it at ``run_at`` and a sweep every minute catches any it missed; the row lock and the state change
    in the step's own transaction make it run exactly once, whatever the number of workers.
    """

    action = models.CharField(max_length=20, choices=ScheduledAction.choices)
    component_type = models.CharField(max_length=10, choices=ComponentType.choices, verbose_name="type")
    component_id = models.CharField(max_length=255, verbose_name="component ID")
    environment = models.CharField(max_length=30)
    version = models.ForeignKey(ComponentVersion, on_delete=models.PROTECT, related_name="+")
    content_hash = models.CharField(max_length=64)
    rollout = models.ForeignKey(Rollout, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    run_at = models.DateTimeField(verbose_name="go live at")
    note = models.TextField()
    state = models.CharField(max_length=10, choices=ScheduleState.choices, default=ScheduleState.SCHEDULED)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scheduled_by_name = models.CharField(max_length=150)
    scheduled_at = models.DateTimeField(auto_now_add=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(blank=True, default="", help_text="What happened when it ran (or why it failed).")
    cancelled_by_name = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        db_table = "scheduled_releases"
        ordering = ["run_at", "id"]
        verbose_name = "scheduled release"
        indexes = [
            models.Index(fields=["run_at"], condition=Q(state="scheduled"), name="scheduled_releases_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=ScheduledAction.values), name="%(app_label)s_%(class)s_action_known"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ScheduleState.values), name="%(app_label)s_%(class)s_state_known"
            ),
            models.CheckConstraint(
                condition=Q(action__in=["publish", "promote"]) | Q(rollout__isnull=False),
                name="%(app_label)s_%(class)s_rollout_set",
                violation_error_message="Ending a rollout names the rollout.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["scheduled", "cancelled"]) | Q(executed_at__isnull=False),
                name="%(app_label)s_%(class)s_ran_has_time",
            ),
            models.CheckConstraint(condition=~Q(note=""), name="%(app_label)s_%(class)s_note_set"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.component_type} {self.component_id} v{self.version.version} " \
            f"({self.environment}) at {self.run_at:%Y-%m-%d %H:%M}"  # fmt: skip

    @property
    def what(self) -> str:
        """The step in a sentence for people ("Publishes v3", "Promotes v3 to production")."""
        number = self.version.version
        sentences: dict[str, str] = {
            ScheduledAction.PUBLISH: f"Publishes v{number}",
            ScheduledAction.PROMOTE: f"Promotes v{number} to {self.environment}",
            ScheduledAction.COMPLETE_ROLLOUT: f"Completes the rollout of v{number} in {self.environment}",
            ScheduledAction.ABORT_ROLLOUT: f"Aborts the rollout of v{number} in {self.environment}",
        }
        return sentences.get(self.action, self.get_action_display())
