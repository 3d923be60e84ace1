"""Test cases for agents and teams, their results per version, evaluation runs and gate decisions.

A result belongs to a (case, case fingerprint, subject fingerprint) triple: the case as it was written and the
component exactly as it was built (a team with its members' versions). Editing a case or the component makes
a new triple; an unchanged pair is never run twice.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from common.hashing import canonical_hash


class SubjectType(models.TextChoices):
    AGENT = "agent", "Agent"
    TEAM = "team", "Team"


class EvalSuite(models.Model):
    """The gate's settings for one agent or team: the pass rate a candidate needs. A component without a
    suite uses ``HIVE_EVAL_MIN_PASS_RATE``."""

    component_type = models.CharField(max_length=10, choices=SubjectType.choices, verbose_name="type")
    component_id = models.CharField(max_length=255, verbose_name="agent or team ID")
    min_pass_rate = models.PositiveSmallIntegerField(
        verbose_name="minimum pass rate (%)",
        help_text="A publish is refused when fewer of the test cases pass on the new version.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by_name = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        db_table = "eval_suites"
        ordering = ["component_type", "component_id"]
        verbose_name = "test suite"
        permissions = [("override_gate", "Can publish despite failing test cases")]
        constraints = [
            models.UniqueConstraint(
                fields=["component_type", "component_id"],
                name="%(app_label)s_%(class)s_one_per_component",
                violation_error_message="This component already has a test suite.",
            ),
            models.CheckConstraint(
                condition=Q(min_pass_rate__lte=100),
                name="%(app_label)s_%(class)s_rate_range",
                violation_error_message="The pass rate is a percentage from 0 to 100.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_component_type_display()} {self.component_id}"


class EvalCase(models.Model):
    """One test case: a customer message and what the answer must (not) do, judged without a model where
    possible (text, length, tools, JSON schema, route) and optionally by a judge model with a rubric."""

    component_type = models.CharField(max_length=10, choices=SubjectType.choices, verbose_name="type")
    component_id = models.CharField(max_length=255, verbose_name="agent or team ID")
    name = models.CharField(max_length=200, help_text="What this case checks, in a few words.")
    message = models.TextField(help_text="The customer's message.")
    context = models.JSONField(
        default=list,
        blank=True,
        verbose_name="earlier messages",
        help_text="The conversation before the message, oldest first: a list of {role, content}.",
    )
    critical = models.BooleanField(default=False, help_text="A version that fails a critical case is never published.")
    is_active = models.BooleanField(default=True, verbose_name="active")
    expected_member = models.CharField(
        max_length=255,
        blank=True,
        default="",
        verbose_name="must route to",
        help_text="Teams: the member agent (ID) the team must hand this message to.",
    )
    must_contain = models.JSONField(
        default=list,
        blank=True,
        help_text="Texts the answer must contain (case-insensitive); /…/ for a regular expression.",
    )
    must_not_contain = models.JSONField(
        default=list,
        blank=True,
        help_text="Texts the answer must not contain (case-insensitive); /…/ for a regular expression.",
    )
    max_length = models.PositiveIntegerField(
        null=True, blank=True, verbose_name="maximum length", help_text="Characters."
    )
    tools_called = models.JSONField(
        default=list,
        blank=True,
        verbose_name="tools that must be called",
        help_text="A list of {name, arguments}: the arguments given must be among the call's arguments.",
    )
    tools_not_called = models.JSONField(
        default=list, blank=True, verbose_name="tools that must not be called", help_text="Tool names."
    )
    output_schema = models.JSONField(
        null=True,
        blank=True,
        verbose_name="answer JSON schema",
        help_text="When set, the answer must be JSON that matches this JSON Schema.",
    )
    tool_results = models.JSONField(
        default=dict,
        blank=True,
        verbose_name="canned tool results",
        help_text="What each tool returns in this case, by tool name (tools never run for real in a test).",
    )
    judge_rubric = models.TextField(
        blank=True, default="", help_text="Optional: what a good answer does, graded 0–10 by the judge model."
    )
    judge_min_score = models.FloatField(
        null=True, blank=True, verbose_name="judge's passing score", help_text="0–10; needed with a rubric."
    )
    source = models.CharField(
        max_length=255, blank=True, default="", help_text="Where the case came from (a logged decision or run)."
    )
    created_by_name = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "eval_cases"
        ordering = ["component_type", "component_id", "name"]
        verbose_name = "test case"
        constraints = [
            models.UniqueConstraint(
                fields=["component_type", "component_id", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message="This component already has a test case with this name.",
            ),
            models.CheckConstraint(
                condition=Q(component_type="team") | Q(expected_member=""),
                name="%(app_label)s_%(class)s_route_for_teams",
                violation_error_message="Only a team routes: leave “must route to” empty for an agent.",
            ),
            models.CheckConstraint(
                condition=Q(judge_min_score__isnull=True) | Q(judge_min_score__gte=0, judge_min_score__lte=10),
                name="%(app_label)s_%(class)s_judge_score_range",
                violation_error_message="The judge's passing score is from 0 to 10.",
            ),
            models.CheckConstraint(
                condition=Q(judge_rubric="") | Q(judge_min_score__isnull=False),
                name="%(app_label)s_%(class)s_rubric_has_score",
                violation_error_message="A rubric needs the judge's passing score.",
            ),
            models.CheckConstraint(
                condition=~Q(message=""),
                name="%(app_label)s_%(class)s_message_set",
                violation_error_message="A test case needs the customer's message.",
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

    case = models.ForeignKey(EvalCase, on_delete=models.CASCADE, related_name="results")
    case_fingerprint = models.CharField(max_length=64)
    subject_fingerprint = models.CharField(max_length=64, help_text="The component exactly as it was built.")
    version = models.PositiveIntegerField(help_text="The component version it was built from.")
    output = models.TextField(blank=True, default="")
    route = models.CharField(max_length=255, blank=True, default="", help_text="The member a team handed to.")
    tool_calls = models.JSONField(default=list, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    passed = models.BooleanField()
    failures = models.JSONField(default=list, blank=True, help_text="Why it failed, one sentence per check.")
    error = models.TextField(blank=True, default="", help_text="The evaluator's error (counts as a failure).")
    judge_score = models.FloatField(null=True, blank=True)
    judge_reason = models.TextField(blank=True, default="")
    model = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "eval_results"
        ordering = ["case_id", "-created_at"]
        verbose_name = "test result"
        constraints = [
            models.UniqueConstraint(
                fields=["case", "case_fingerprint", "subject_fingerprint"],
                name="%(app_label)s_%(class)s_once_per_version",
            ),
            models.CheckConstraint(
                condition=Q(error="") | Q(passed=False),
                name="%(app_label)s_%(class)s_error_fails",
                violation_error_message="A case the evaluator could not run has not passed.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} on v{self.version}: {'passed' if self.passed else 'failed'}"


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class EvalRun(models.Model):
    """One evaluation of a candidate against a baseline (the draft against the live version), with progress."""

    component_type = models.CharField(max_length=10, choices=SubjectType.choices, verbose_name="type")
    component_id = models.CharField(max_length=255, verbose_name="agent or team ID")
    candidate_version = models.PositiveIntegerField()
    candidate_fingerprint = models.CharField(max_length=64, blank=True, default="")
    baseline_version = models.PositiveIntegerField(null=True, blank=True)
    baseline_fingerprint = models.CharField(max_length=64, blank=True, default="")
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    total = models.PositiveIntegerField(default=0, help_text="Case runs needed (reused results excluded).")
    completed = models.PositiveIntegerField(default=0)
    reused = models.PositiveIntegerField(default=0, help_text="Results kept from an earlier run of the same pair.")
    max_in_flight = models.PositiveIntegerField(default=0, help_text="The most case runs that ran at once.")
    error = models.TextField(blank=True, default="")
    requested_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "eval_runs"
        ordering = ["-created_at", "-id"]
        verbose_name = "evaluation run"
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
    PASSED = "passed", "Passed"
    WARNED = "warned", "Released with failures (gate in warn mode)"
    OVERRIDDEN = "overridden", "Overridden by an admin"


class GateDecision(models.Model):
    """What the evaluation gate decided for a release step that went through (refusals roll back with the
    step; they are shown on the page). Linked from the step's audit row."""

    component_type = models.CharField(max_length=10, choices=SubjectType.choices, verbose_name="type")
    component_id = models.CharField(max_length=255, verbose_name="agent or team ID")
    action = models.CharField(max_length=10)
    environment = models.CharField(max_length=30)
    candidate_version = models.PositiveIntegerField()
    baseline_version = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=GateOutcome.choices)
    summary = models.JSONField(default=dict, help_text="Cases, passes, regressions and failures at that moment.")
    override_reason = models.TextField(blank=True, default="")
    decided_by_name = models.CharField(max_length=150)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "eval_gate_decisions"
        ordering = ["-decided_at", "-id"]
        verbose_name = "gate decision"
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=GateOutcome.values), name="%(app_label)s_%(class)s_outcome_known"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="overridden") | ~Q(override_reason=""),
                name="%(app_label)s_%(class)s_override_has_reason",
                violation_error_message="An override says why.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["component_type", "component_id", "candidate_version"], name="eval_gate_decisions_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.component_id} v{self.candidate_version}: {self.get_outcome_display()}"
