from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ComponentType(models.TextChoices):
    AGENT = "agent", _("Agent")
    TEAM = "team", _("Team")
    ROUTING = "routing", _("Routing")  # the typification tree and business-unit routes, as one component
    FRAGMENT = "fragment", _("Prompt fragment")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ReviewState(models.TextChoices):
    NONE = "", _("Not submitted")
    SUBMITTED = "submitted", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Changes requested")


class ComponentVersion(models.Model):
    """One version of a component's complete runtime configuration (an agent, a team, or the routing:
    the whole typification tree with the business-unit routes).

    A draft is the component's working state and may change until it is published. A published or
    archived version is immutable (the database refuses changes to its configuration); a rollback is a
    new version carrying an older configuration.
    """

    component_type = models.CharField(max_length=10, choices=ComponentType.choices, verbose_name=_("type"))
    component_id = models.CharField(max_length=255, verbose_name=_("component ID"))
    version = models.PositiveIntegerField(help_text=_("Per component, strictly increasing."), verbose_name=_("version"))
    config = models.JSONField(verbose_name=_("configuration"), help_text=_("The complete runtime configuration."))
    content_hash = models.CharField(
        max_length=64,
        help_text=_("SHA-256 of the canonical JSON of the configuration."),
        verbose_name=_("content hash"),
    )
    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT, verbose_name=_("status")
    )
    change_note = models.TextField(verbose_name=_("change note"), help_text=_("Why this version exists."))
    base_version = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("For a draft: the published version it was started from."),
        verbose_name=_("base version"),
    )
    rolled_back_from = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("For a rollback: the version whose configuration this one restores."),
        verbose_name=_("rolled back from"),
    )
    review_state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.NONE, blank=True, verbose_name=_("review state")
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))
    review_comment = models.TextField(blank=True, default="", verbose_name=_("review comment"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_by_name = models.CharField(
        max_length=150, blank=True, default="", help_text=_("User or API key name."), verbose_name=_("created by name")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("edited by"),
    )
    edited_by_name = models.CharField(
        max_length=150,
        blank=True,
        default="",
        help_text=_("Who saved the draft last."),
        verbose_name=_("edited by name"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_by_name = models.CharField(max_length=150, blank=True, default="", verbose_name=_("published by name"))
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("published at"))

    class Meta:
        db_table = "component_versions"
        ordering = ["component_type", "component_id", "-version"]
        verbose_name = _("component version")
        verbose_name_plural = _("component versions")
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
                violation_error_message=_("This version number already exists for the component."),
            ),
            models.UniqueConstraint(
                fields=["component_type", "component_id"],
                condition=Q(status="published"),
                name="%(app_label)s_%(class)s_one_published",
                violation_error_message=_("A component has at most one published version."),
            ),
            models.UniqueConstraint(
                fields=["component_type", "component_id"],
                condition=Q(status="draft"),
                name="%(app_label)s_%(class)s_one_draft",
                violation_error_message=_("A component has at most one open draft."),
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1),
                name="%(app_label)s_%(class)s_version_positive",
                violation_error_message=_("Version numbers start at 1."),
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
                violation_error_message=_("Say why: a change note is required."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="%(app_label)s_%(class)s_published_has_time",
                violation_error_message=_("A published version records when it was published."),
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

    environment = models.CharField(max_length=30, verbose_name=_("environment"))
    component_type = models.CharField(max_length=10, choices=ComponentType.choices, verbose_name=_("type"))
    component_id = models.CharField(max_length=255, verbose_name=_("component ID"))
    version = models.ForeignKey(
        ComponentVersion, on_delete=models.PROTECT, related_name="releases", verbose_name=_("version")
    )
    released_at = models.DateTimeField(verbose_name=_("released at"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_by_name = models.CharField(max_length=150, verbose_name=_("released by name"))
    note = models.TextField(help_text=_("Why this version went live in this environment."), verbose_name=_("note"))

    class Meta:
        db_table = "environment_releases"
        ordering = ["environment", "component_type", "component_id"]
        verbose_name = _("environment release")
        verbose_name_plural = _("environment releases")
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "component_type", "component_id"],
                name="%(app_label)s_%(class)s_one_per_environment",
                violation_error_message=_("An environment serves one version of a component."),
            ),
            models.CheckConstraint(
                condition=Q(environment__regex=r"^[a-z][a-z0-9-]{0,29}$"),
                name="%(app_label)s_%(class)s_environment_name",
            ),
            models.CheckConstraint(
                condition=~Q(note=""),
                name="%(app_label)s_%(class)s_note_set",
                violation_error_message=_("Say why: a note is required."),
            ),
        ]

    def __str__(self):
        return f"{self.environment}: {self.component_type} {self.component_id} v{self.version.version}"


class PromotionState(models.TextChoices):
    REQUESTED = "requested", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Changes requested")
    CANCELLED = "cancelled", _("Cancelled")
    DONE = "done", _("Promoted")


OPEN_PROMOTION_STATES = (PromotionState.REQUESTED, PromotionState.APPROVED)


class PromotionRequest(models.Model):
    """A request to promote one version to an environment, reviewed by another publisher (four eyes) when
    ``HIVE_REQUIRE_REVIEW`` is on. Approving does not promote: a publisher promotes the approved version."""

    environment = models.CharField(max_length=30, verbose_name=_("environment"))
    component_type = models.CharField(max_length=10, choices=ComponentType.choices, verbose_name=_("type"))
    component_id = models.CharField(max_length=255, verbose_name=_("component ID"))
    version = models.ForeignKey(
        ComponentVersion, on_delete=models.PROTECT, related_name="promotion_requests", verbose_name=_("version")
    )
    state = models.CharField(
        max_length=10, choices=PromotionState.choices, default=PromotionState.REQUESTED, verbose_name=_("state")
    )
    note = models.TextField(help_text=_("Why this version should go to the environment."), verbose_name=_("note"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_by_name = models.CharField(max_length=150, verbose_name=_("requested by name"))
    requested_at = models.DateTimeField(auto_now_add=True, verbose_name=_("requested at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_by_name = models.CharField(max_length=150, blank=True, default="", verbose_name=_("reviewed by name"))
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))
    review_comment = models.TextField(blank=True, default="", verbose_name=_("review comment"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))

    class Meta:
        db_table = "promotion_requests"
        ordering = ["-requested_at", "-id"]
        verbose_name = _("promotion request")
        verbose_name_plural = _("promotion requests")
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "component_type", "component_id"],
                condition=Q(state__in=["requested", "approved"]),
                name="%(app_label)s_%(class)s_one_open",
                violation_error_message=_("This component already has an open promotion request for the environment."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=PromotionState.values),
                name="%(app_label)s_%(class)s_state_known",
            ),
            models.CheckConstraint(
                condition=~Q(note=""),
                name="%(app_label)s_%(class)s_note_set",
                violation_error_message=_("Say why: a note is required."),
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
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed (100%)")
    ABORTED = "aborted", _("Aborted")


class Rollout(models.Model):
    """A candidate version served to a percentage of an environment's traffic beside the version the
    environment serves (the baseline), sticky per session: ``common.rollout.picks_candidate(salt, key,
    percent)`` over the session or user id the runtime sends. Completing it promotes the candidate (100%);
    aborting it leaves the baseline. Guard thresholds (any may be empty) let the portal abort it on its own
    when the candidate's metrics are worse (``monitoring.rollout_guard``)."""

    environment = models.CharField(max_length=30, verbose_name=_("environment"))
    component_type = models.CharField(max_length=10, choices=ComponentType.choices, verbose_name=_("type"))
    component_id = models.CharField(max_length=255, verbose_name=_("component ID"))
    baseline = models.ForeignKey(
        ComponentVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("baseline")
    )
    candidate = models.ForeignKey(
        ComponentVersion, on_delete=models.PROTECT, related_name="rollouts", verbose_name=_("candidate")
    )
    percent = models.PositiveSmallIntegerField(
        help_text=_("Share of sessions (1–99) that get the candidate."), verbose_name=_("percent")
    )
    salt = models.CharField(
        max_length=32, editable=False, help_text=_("Makes each rollout's split independent."), verbose_name=_("salt")
    )
    state = models.CharField(
        max_length=10, choices=RolloutState.choices, default=RolloutState.RUNNING, verbose_name=_("state")
    )
    max_success_drop_points = models.FloatField(
        null=True,
        blank=True,
        verbose_name=_("max success-rate drop (points)"),
        help_text=_("Abort when the candidate's success rate is this many percentage points below the baseline's."),
    )
    max_p95_increase_percent = models.FloatField(
        null=True,
        blank=True,
        verbose_name=_("max p95 latency increase (%)"),
        help_text=_("Abort when the candidate's p95 response time is this much higher than the baseline's."),
    )
    min_runs = models.PositiveIntegerField(
        default=50,
        help_text=_("The guard judges only once each version has at least this many runs in the rollout."),
        verbose_name=_("min runs"),
    )
    note = models.TextField(help_text=_("Why this rollout."), verbose_name=_("note"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_by_name = models.CharField(max_length=150, verbose_name=_("started by name"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))
    ended_by_name = models.CharField(max_length=150, blank=True, default="", verbose_name=_("ended by name"))
    end_reason = models.TextField(blank=True, default="", verbose_name=_("end reason"))
    figures = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The guard's last figures (the ones that aborted it, if it did)."),
        verbose_name=_("figures"),
    )

    class Meta:
        db_table = "rollouts"
        ordering = ["-started_at", "-id"]
        verbose_name = _("rollout")
        verbose_name_plural = _("rollouts")
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "component_type", "component_id"],
                condition=Q(state="running"),
                name="%(app_label)s_%(class)s_one_running",
                violation_error_message=_("This component already has a rollout running in the environment."),
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=1, percent__lte=99),
                name="%(app_label)s_%(class)s_percent_range",
                violation_error_message=_(
                    "A rollout serves the candidate to 1–99%% of sessions; 100%% is a promotion."
                ),
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
                violation_error_message=_("The candidate must differ from the baseline."),
            ),
            models.CheckConstraint(
                condition=(Q(max_success_drop_points__isnull=True) | Q(max_success_drop_points__gte=0))
                & (Q(max_p95_increase_percent__isnull=True) | Q(max_p95_increase_percent__gte=0)),
                name="%(app_label)s_%(class)s_thresholds_positive",
                violation_error_message=_("Guard thresholds are zero or more."),
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
    PUBLISH = "publish", _("Publish the draft")
    PROMOTE = "promote", _("Promote")
    COMPLETE_ROLLOUT = "complete_rollout", _("Complete the rollout")
    ABORT_ROLLOUT = "abort_rollout", _("Abort the rollout")


class ScheduleState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ScheduledRelease(models.Model):
    """A release step to run at a time: publish an approved draft, promote a version, or end a rollout.

    It names exactly what was scheduled (the version and its content hash), so what goes live is what the
    scheduler (and the reviewer) saw: if the draft changed meanwhile, the step fails instead. The job queue
    runs it at ``run_at`` and a sweep every minute catches any it missed; the row lock and the state change
    in the step's own transaction make it run exactly once, whatever the number of workers.
    """

    action = models.CharField(max_length=20, choices=ScheduledAction.choices, verbose_name=_("action"))
    component_type = models.CharField(max_length=10, choices=ComponentType.choices, verbose_name=_("type"))
    component_id = models.CharField(max_length=255, verbose_name=_("component ID"))
    environment = models.CharField(max_length=30, verbose_name=_("environment"))
    version = models.ForeignKey(ComponentVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("version"))
    content_hash = models.CharField(max_length=64, verbose_name=_("content hash"))
    rollout = models.ForeignKey(
        Rollout, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("rollout")
    )
    run_at = models.DateTimeField(verbose_name=_("go live at"))
    note = models.TextField(verbose_name=_("note"))
    state = models.CharField(
        max_length=10, choices=ScheduleState.choices, default=ScheduleState.SCHEDULED, verbose_name=_("state")
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    scheduled_by_name = models.CharField(max_length=150, verbose_name=_("scheduled by name"))
    scheduled_at = models.DateTimeField(auto_now_add=True, verbose_name=_("scheduled at"))
    executed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("executed at"))
    result = models.TextField(
        blank=True, default="", help_text=_("What happened when it ran (or why it failed)."), verbose_name=_("result")
    )
    cancelled_by_name = models.CharField(max_length=150, blank=True, default="", verbose_name=_("cancelled by name"))

    class Meta:
        db_table = "scheduled_releases"
        ordering = ["run_at", "id"]
        verbose_name = _("scheduled release")
        verbose_name_plural = _("scheduled releases")
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
                violation_error_message=_("Ending a rollout names the rollout."),
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
        values = {"version": self.version.version, "environment": self.environment}
        sentences: dict[str, str] = {
            ScheduledAction.PUBLISH: gettext("Publishes v%(version)s"),
            ScheduledAction.PROMOTE: gettext("Promotes v%(version)s to %(environment)s"),
            ScheduledAction.COMPLETE_ROLLOUT: gettext("Completes the rollout of v%(version)s in %(environment)s"),
            ScheduledAction.ABORT_ROLLOUT: gettext("Aborts the rollout of v%(version)s in %(environment)s"),
        }
        sentence = sentences.get(self.action)
        return sentence % values if sentence is not None else str(self.get_action_display())
