"""Test cases for agents and teams, their results per version, evaluation runs and gate decisions.

A result belongs to a (case, case fingerprint, subject fingerprint) triple: the case as it was written and the
component exactly as it was built (a team with its members' versions). Editing a case or the component makes
a new triple; an unchanged pair is never run twice.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.hashing import canonical_hash


class SubjectType(models.TextChoices):
    AGENT = "agent", _("Agent")
    TEAM = "team", _("Team")


class EvalSuite(models.Model):
    """The gate's settings for one agent or team: the pass rate a candidate needs. A component without a
    suite uses ``HIVE_EVAL_MIN_PASS_RATE``."""

    component_type = models.CharField(max_length=10, choices=SubjectType.choices, verbose_name=_("type"))
    component_id = models.CharField(max_length=255, verbose_name=_("agent or team ID"))
    min_pass_rate = models.PositiveSmallIntegerField(
        verbose_name=_("minimum pass rate (%)"),
        help_text=_("A publish is refused when fewer of the test cases pass on the new version."),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))
    updated_by_name = models.CharField(max_length=150, blank=True, default="", verbose_name=_("updated by"))

    class Meta:
        db_table = "eval_suites"
        ordering = ["component_type", "component_id"]
        verbose_name = _("test suite")
        verbose_name_plural = _("test suites")
        permissions = [("override_gate", "Can publish despite failing test cases")]
        constraints = [
            models.UniqueConstraint(
                fields=["component_type", "component_id"],
                name="%(app_label)s_%(class)s_one_per_component",
                violation_error_message=_("This component already has a test suite."),
            ),
            models.CheckConstraint(
                condition=Q(min_pass_rate__lte=100),
                name="%(app_label)s_%(class)s_rate_range",
                violation_error_message=_("The pass rate is a percentage from 0 to 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_component_type_display()} {self.component_id}"


class EvalCase(models.Model):
    """One test case: a customer message and what the answer must (not) do, judged without a model where
    possible (text, length, tools, JSON schema, route) and optionally by a judge model with a rubric."""

    component_type = models.CharField(max_length=10, choices=SubjectType.choices, verbose_name=_("type"))
    component_id = models.CharField(max_length=255, verbose_name=_("agent or team ID"))
    name = models.CharField(
        max_length=200, help_text=_("What this case checks, in a few words."), verbose_name=_("name")
    )
    message = models.TextField(help_text=_("The customer's message."), verbose_name=_("message"))
    context = models.JSONField(
        default=list,
        blank=True,
        verbose_name=_("earlier messages"),
        help_text=_("The conversation before the message, oldest first: a list of {role, content}."),
    )
    critical = models.BooleanField(
        default=False,
        help_text=_("A version that fails a critical case is never published."),
        verbose_name=_("critical"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    expected_member = models.CharField(
        max_length=255,
        blank=True,
        default="",
        verbose_name=_("must route to"),
        help_text=_("Teams: the member agent (ID) the team must hand this message to."),
    )
    must_contain = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Texts the answer must contain (case-insensitive); /…/ for a regular expression."),
        verbose_name=_("must contain"),
    )
    must_not_contain = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Texts the answer must not contain (case-insensitive); /…/ for a regular expression."),
        verbose_name=_("must not contain"),
    )
    max_length = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("maximum length"), help_text=_("Characters.")
    )
    tools_called = models.JSONField(
        default=list,
        blank=True,
        verbose_name=_("tools that must be called"),
        help_text=_("A list of {name, arguments}: the arguments given must be among the call's arguments."),
    )
    tools_not_called = models.JSONField(
        default=list, blank=True, verbose_name=_("tools that must not be called"), help_text=_("Tool names.")
    )
    output_schema = models.JSONField(
        null=True,
        blank=True,
        verbose_name=_("answer JSON schema"),
        help_text=_("When set, the answer must be JSON that matches this JSON Schema."),
    )
    tool_results = models.JSONField(
        default=dict,
        blank=True,
        verbose_name=_("canned tool results"),
        help_text=_("What each tool returns in this case, by tool name (tools never run for real in a test)."),
    )
    judge_rubric = models.TextField(
        blank=True,
        default="",
        help_text=_("Optional: what a good answer does, graded 0–10 by the judge model."),
        verbose_name=_("judge's rubric"),
    )
    judge_min_score = models.FloatField(
        null=True, blank=True, verbose_name=_("judge's passing score"), help_text=_("0–10; needed with a rubric.")
    )
    source = models.CharField(
        max_length=255,
        blank=True,
        default="",
        help_text=_("Where the case came from (a logged decision or run)."),
        verbose_name=_("source"),
    )
    created_by_name = models.CharField(max_length=150, blank=True, default="", verbose_name=_("created by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        db_table = "eval_cases"
        ordering = ["component_type", "component_id", "name"]
        verbose_name = _("test case")
        verbose_name_plural = _("test cases")
        constraints = [
            models.UniqueConstraint(
                fields=["component_type", "component_id", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message=_("This component already has a test case with this name."),
            ),
            models.CheckConstraint(
                condition=Q(component_type="team") | Q(expected_member=""),
                name="%(app_label)s_%(class)s_route_for_teams",
                violation_error_message=_("Only a team routes: leave “must route to” empty for an agent."),
            ),
            models.CheckConstraint(
                condition=Q(judge_min_score__isnull=True) | Q(judge_min_score__gte=0, judge_min_score__lte=10),
                name="%(app_label)s_%(class)s_judge_score_range",
                violation_error_message=_("The judge's passing score is from 0 to 10."),
            ),
            models.CheckConstraint(
                condition=Q(judge_rubric="") | Q(judge_min_score__isnull=False),
                name="%(app_label)s_%(class)s_rubric_has_score",
                violation_error_message=_("A rubric needs the judge's passing score."),
            ),
            models.CheckConstraint(
                condition=~Q(message=""),
                name="%(app_label)s_%(class)s_message_set",
                violation_error_message=_("A test case needs the customer's message."),
            ),
        ]
        indexes = [models.Index(fields=["component_type", "component_id"], name="eval_cases_component")]

    def __str__(self) -> str:
        return self.name

    def definition(self) -> dict:
        """Everything that decides the case's result (its fingerprint's input)."""
        return {
            "message": self.message,
            "context": self.context,
            "expected_member": self.expected_member,
            "must_contain": self.must_contain,
            "must_not_contain": self.must_not_contain,
            "max_length": self.max_length,
            "tools_called": self.tools_called,
            "tools_not_called": self.tools_not_called,
            "output_schema": self.output_schema,
            "tool_results": self.tool_results,
            "judge_rubric": self.judge_rubric,
            "judge_min_score": self.judge_min_score,
        }

    @property
    def fingerprint(self) -> str:
        return canonical_hash(self.definition())


class EvalResult(models.Model):
    """What one version did on one case: the answer, the route, the tool calls, tokens, latency, verdict."""

    case = models.ForeignKey(EvalCase, on_delete=models.CASCADE, related_name="results", verbose_name=_("test case"))
    case_fingerprint = models.CharField(max_length=64, verbose_name=_("case fingerprint"))
    subject_fingerprint = models.CharField(
        max_length=64, help_text=_("The component exactly as it was built."), verbose_name=_("component fingerprint")
    )
    version = models.PositiveIntegerField(
        help_text=_("The component version it was built from."), verbose_name=_("version")
    )
    output = models.TextField(blank=True, default="", verbose_name=_("answer"))
    route = models.CharField(
        max_length=255, blank=True, default="", help_text=_("The member a team handed to."), verbose_name=_("routed to")
    )
    tool_calls = models.JSONField(default=list, blank=True, verbose_name=_("tool calls"))
    input_tokens = models.PositiveIntegerField(default=0, verbose_name=_("input tokens"))
    output_tokens = models.PositiveIntegerField(default=0, verbose_name=_("output tokens"))
    latency_ms = models.PositiveIntegerField(default=0, verbose_name=_("latency (ms)"))
    passed = models.BooleanField(verbose_name=_("passed"))
    failures = models.JSONField(
        default=list, blank=True, help_text=_("Why it failed, one sentence per check."), verbose_name=_("failures")
    )
    error = models.TextField(
        blank=True, default="", help_text=_("The evaluator's error (counts as a failure)."), verbose_name=_("error")
    )
    judge_score = models.FloatField(null=True, blank=True, verbose_name=_("judge's score"))
    judge_reason = models.TextField(blank=True, default="", verbose_name=_("judge's reason"))
    model = models.CharField(max_length=255, blank=True, default="", verbose_name=_("model"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        db_table = "eval_results"
        ordering = ["case_id", "-created_at"]
        verbose_name = _("test result")
        verbose_name_plural = _("test results")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "case_fingerprint", "subject_fingerprint"],
                name="%(app_label)s_%(class)s_once_per_version",
            ),
            models.CheckConstraint(
                condition=Q(error="") | Q(passed=False),
                name="%(app_label)s_%(class)s_error_fails",
                violation_error_message=_("A case the evaluator could not run has not passed."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} on v{self.version}: {'passed' if self.passed else 'failed'}"


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class EvalRun(models.Model):
    """One evaluation of a candidate against a baseline (the draft against the live version), with progress."""

    component_type = models.CharField(max_length=10, choices=SubjectType.choices, verbose_name=_("type"))
    component_id = models.CharField(max_length=255, verbose_name=_("agent or team ID"))
    candidate_version = models.PositiveIntegerField(verbose_name=_("candidate version"))
    candidate_fingerprint = models.CharField(
        max_length=64, blank=True, default="", verbose_name=_("candidate fingerprint")
    )
    baseline_version = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("baseline version"))
    baseline_fingerprint = models.CharField(
        max_length=64, blank=True, default="", verbose_name=_("baseline fingerprint")
    )
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED, verbose_name=_("state"))
    total = models.PositiveIntegerField(
        default=0, help_text=_("Case runs needed (reused results excluded)."), verbose_name=_("case runs")
    )
    completed = models.PositiveIntegerField(default=0, verbose_name=_("completed"))
    reused = models.PositiveIntegerField(
        default=0, help_text=_("Results kept from an earlier run of the same pair."), verbose_name=_("reused")
    )
    max_in_flight = models.PositiveIntegerField(
        default=0, help_text=_("The most case runs that ran at once."), verbose_name=_("most at once")
    )
    error = models.TextField(blank=True, default="", verbose_name=_("error"))
    requested_by_name = models.CharField(max_length=150, verbose_name=_("requested by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished"))

    class Meta:
        db_table = "eval_runs"
        ordering = ["-created_at", "-id"]
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=RunState.values), name="%(app_label)s_%(class)s_state_known"),
            models.CheckConstraint(
                condition=Q(completed__lte=models.F("total")), name="%(app_label)s_%(class)s_progress_bounded"
            ),
        ]
        indexes = [
            models.Index(fields=["component_type", "component_id", "-created_at"], name="eval_runs_component"),
        ]

    def __str__(self) -> str:
        return f"{self.component_id} v{self.candidate_version} ({self.get_state_display()})"

    @property
    def is_active(self) -> bool:
        return self.state in (RunState.QUEUED, RunState.RUNNING)


class GateOutcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    WARNED = "warned", _("Released with failures (gate in warn mode)")
    OVERRIDDEN = "overridden", _("Overridden by an admin")


class GateDecision(models.Model):
    """What the evaluation gate decided for a release step that went through (refusals roll back with the
    step; they are shown on the page). Linked from the step's audit row."""

    component_type = models.CharField(max_length=10, choices=SubjectType.choices, verbose_name=_("type"))
    component_id = models.CharField(max_length=255, verbose_name=_("agent or team ID"))
    action = models.CharField(max_length=10, verbose_name=_("step"))
    environment = models.CharField(max_length=30, verbose_name=_("environment"))
    candidate_version = models.PositiveIntegerField(verbose_name=_("candidate version"))
    baseline_version = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("baseline version"))
    outcome = models.CharField(max_length=10, choices=GateOutcome.choices, verbose_name=_("outcome"))
    summary = models.JSONField(
        default=dict, help_text=_("Cases, passes, regressions and failures at that moment."), verbose_name=_("summary")
    )
    override_reason = models.TextField(blank=True, default="", verbose_name=_("override reason"))
    decided_by_name = models.CharField(max_length=150, verbose_name=_("decided by"))
    decided_at = models.DateTimeField(auto_now_add=True, verbose_name=_("decided"))

    class Meta:
        db_table = "eval_gate_decisions"
        ordering = ["-decided_at", "-id"]
        verbose_name = _("gate decision")
        verbose_name_plural = _("gate decisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=GateOutcome.values), name="%(app_label)s_%(class)s_outcome_known"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="overridden") | ~Q(override_reason=""),
                name="%(app_label)s_%(class)s_override_has_reason",
                violation_error_message=_("An override says why."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["component_type", "component_id", "candidate_version"], name="eval_gate_decisions_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.component_id} v{self.candidate_version}: {self.get_outcome_display()}"
