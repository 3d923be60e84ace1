"""Writes of the evaluations app: test cases, suites, evaluation runs, and the release gate.

Every entry point (admin, import, the "add as test case" actions, commands) calls these functions.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.models import AuditAction, AuditSubject
from audit.services import actor_parts, audit_record
from common import jobs
from common.services import apply_fields
from evaluations import checks, selectors
from evaluations.models import EvalCase, EvalResult, EvalRun, EvalSuite, GateDecision, GateOutcome, RunState
from evaluations.runner import Endpoint, Job, RunStats, run_jobs
from versioning.gates import GateCheck, GateRefused
from versioning.models import ComponentVersion, first_environment
from versioning.selectors import component_status, component_version, live_version

logger = logging.getLogger(__name__)

OVERRIDE_PERMISSION = "evaluations.override_gate"
CASE_FIELDS = (
    "component_type", "component_id", "name", "message", "context", "critical", "is_active", "expected_member",
    "must_contain", "must_not_contain", "max_length", "tools_called", "tools_not_called", "output_schema",
    "tool_results", "judge_rubric", "judge_min_score", "source",
)  # fmt: skip


def _snapshot(case: EvalCase) -> dict:
    return {"name": case.name, "critical": case.critical, "is_active": case.is_active, **case.definition()}


def _check_component(case: EvalCase) -> None:
    from agents.models import Agent
    from teams.models import Team

    model, field = (Agent, "agent_id") if case.component_type == "agent" else (Team, "team_id")
    if not model.objects.filter(**{field: case.component_id}).exists():
        message = (
            gettext("There is no agent “%(id)s”.")
            if case.component_type == "agent"
            else gettext("There is no team “%(id)s”.")
        )
        raise ValidationError({"component_id": message % {"id": case.component_id}})
    if case.expected_member and not Agent.objects.filter(agent_id=case.expected_member).exists():
        raise ValidationError(
            {"expected_member": gettext("There is no agent “%(id)s”.") % {"id": case.expected_member}}
        )
    for key in ("must_contain", "must_not_contain"):
        for text in getattr(case, key) or []:
            if problem := checks.pattern_error(text):
                raise ValidationError({key: problem})


def _save(case: EvalCase) -> None:
    # Shapes before full_clean, which would turn a list given as a message into its text.
    if problems := checks.shape_errors({key: getattr(case, key) for key in CASE_FIELDS}):
        raise ValidationError(problems)
    case.full_clean()
    _check_component(case)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:  # a concurrent save of the same name
        raise ValidationError({"name": gettext("This component already has a test case with this name.")}) from exc


@transaction.atomic
def case_create(*, actor: Any, **fields: Any) -> EvalCase:
    """A new test case (audited)."""
    _, name = actor_parts(actor)
    case = EvalCase(created_by_name=name)
    apply_fields(case, fields, editable=CASE_FIELDS, label="A test case")
    _save(case)
    audit_record(
        action=AuditAction.CREATED, subject_type=AuditSubject.TEST_CASE, subject_id=case.pk, actor=actor,
        reason=f"Test case “{case.name}” for {case.component_type} {case.component_id}", after=_snapshot(case),
    )  # fmt: skip
    return case


@transaction.atomic
def case_update(*, case: EvalCase, actor: Any, **fields: Any) -> EvalCase:
    """Change the listed fields of a test case (audited with before and after)."""
    case = EvalCase.objects.select_for_update().get(pk=case.pk)
    before = _snapshot(case)
    apply_fields(case, fields, editable=CASE_FIELDS, label="A test case")
    _save(case)
    if _snapshot(case) != before:
        audit_record(
            action=AuditAction.UPDATED, subject_type=AuditSubject.TEST_CASE, subject_id=case.pk, actor=actor,
            reason=f"Test case “{case.name}” for {case.component_type} {case.component_id}", before=before,
            after=_snapshot(case),
        )  # fmt: skip
    return case


@transaction.atomic
def case_delete(*, case: EvalCase, actor: Any, reason: str = "") -> None:
    before = _snapshot(case)
    label = f"Test case “{case.name}” for {case.component_type} {case.component_id}"
    pk = case.pk
    case.delete()
    audit_record(
        action=AuditAction.DELETED, subject_type=AuditSubject.TEST_CASE, subject_id=pk, actor=actor,
        reason=reason or label, before=before,
    )  # fmt: skip


@transaction.atomic
def suite_set(*, component_type: str, component_id: str, min_pass_rate: int, actor: Any) -> EvalSuite:
    """Set the pass rate the component's candidates need (audited)."""
    _, name = actor_parts(actor)
    suite = EvalSuite.objects.select_for_update().filter(
        component_type=component_type, component_id=component_id
    ).first() or EvalSuite(component_type=component_type, component_id=component_id)
    before = {"min_pass_rate": suite.min_pass_rate} if suite.pk else None
    suite.min_pass_rate = min_pass_rate
    suite.updated_by_name = name
    suite.full_clean()
    suite.save()
    audit_record(
        action=AuditAction.UPDATED if before else AuditAction.CREATED, subject_type=AuditSubject.TEST_SUITE,
        subject_id=suite.pk, actor=actor, reason=f"Test suite of {component_type} {component_id}", before=before,
        after={"min_pass_rate": min_pass_rate},
    )  # fmt: skip
    return suite


@transaction.atomic
def suite_delete(*, suite: EvalSuite, actor: Any) -> None:
    """Remove a component's own pass rate (``HIVE_EVAL_MIN_PASS_RATE`` applies again), audited."""
    before = {"min_pass_rate": suite.min_pass_rate}
    label = f"Test suite of {suite.component_type} {suite.component_id}"
    pk = suite.pk
    suite.delete()
    audit_record(
        action=AuditAction.DELETED, subject_type=AuditSubject.TEST_SUITE, subject_id=pk, actor=actor, reason=label,
        before=before,
    )  # fmt: skip


# --- Runs ---------------------------------------------------------------------------------------------------


def review_pair(component_type: str, component_id: str) -> tuple[ComponentVersion | None, ComponentVersion | None]:
    """What the publish page compares: the open draft (or, without one, the live version) and the live one."""
    status = component_status(component_type, component_id)
    candidate = status.draft or status.published
    return candidate, status.published if candidate is not status.published else None


def _pending(cases, candidate, baseline) -> tuple[list[tuple[EvalCase, selectors.Subject]], int]:
    """(case, subject) pairs without a result, and how many have one already."""
    pending, reused = [], 0
    for subject in (s for s in (candidate, baseline) if s is not None):
        done = selectors.results_for(cases, subject.fingerprint)
        for case in cases:
            if case.pk in done:
                reused += 1
            else:
                pending.append((case, subject))
    return pending, reused


@transaction.atomic
def evaluation_request(
    *,
    component_type: str,
    component_id: str,
    actor: Any,
    candidate_version: int | None = None,
    baseline_version: int | None = None,
    environment: str | None = None,
) -> EvalRun:
    """Queue an evaluation of the candidate (default: the draft) against the baseline (default: the live
    version) on the background queue. Cases whose result for that exact version exists are not run again."""
    if not settings.HIVE_EVAL_BASE_URL:
        _unavailable()
    environment = environment or first_environment()
    if candidate_version is None:
        candidate, baseline = review_pair(component_type, component_id)
    else:
        candidate = component_version(component_type, component_id, candidate_version)
        baseline = None
    if baseline_version is not None:
        baseline = component_version(component_type, component_id, baseline_version)
    elif candidate_version is not None:
        baseline = live_version(component_type, component_id, environment)
    if candidate is None:
        raise ValidationError(gettext("%(id)s has no version to evaluate.") % {"id": component_id})
    if baseline is not None and baseline.pk == candidate.pk:
        baseline = None
    cases = list(selectors.active_cases(component_type, component_id))
    if not cases:
        raise ValidationError(gettext("%(id)s has no active test cases: add some first.") % {"id": component_id})
    candidate_subject = selectors.subject(component_type, candidate, environment)
    baseline_subject = selectors.subject(component_type, baseline, environment) if baseline else None
    pending, reused = _pending(cases, candidate_subject, baseline_subject)
    _, name = actor_parts(actor)
    run = EvalRun.objects.create(
        component_type=component_type, component_id=component_id, candidate_version=candidate.version,
        candidate_fingerprint=candidate_subject.fingerprint, baseline_version=baseline.version if baseline else None,
        baseline_fingerprint=baseline_subject.fingerprint if baseline_subject else "", total=len(pending),
        reused=reused, requested_by_name=name, state=RunState.QUEUED if pending else RunState.DONE,
        finished_at=None if pending else timezone.now(),
    )  # fmt: skip
    if pending:
        from evaluations.tasks import execute_run

        jobs.defer(execute_run, run_id=run.pk, environment=environment)
    return run


def known_environment(name: str) -> str | None:
    """``name`` when it is one of ``HIVE_ENVIRONMENTS``, else None (the first environment)."""
    return name if name in settings.HIVE_ENVIRONMENTS else None


def _unavailable():
    raise ValidationError(
        gettext(
            "No evaluation model endpoint is configured: set HIVE_EVAL_BASE_URL (an OpenAI-compatible API) and, for "
            "rubrics, HIVE_EVAL_JUDGE_MODEL."
        ),
        code="no_endpoint",
    )


def evaluation_execute(*, run_id: int, environment: str | None = None) -> EvalRun:
    """Run a queued evaluation (the job): every missing (case, version) result, stored as it arrives."""
    with transaction.atomic():
        run = EvalRun.objects.select_for_update().get(pk=run_id)
        if run.state != RunState.QUEUED:
            return run
        run.state, run.started_at = RunState.RUNNING, timezone.now()
        run.save(update_fields=["state", "started_at"])
    try:
        endpoint = Endpoint.from_settings()
        candidate = component_version(run.component_type, run.component_id, run.candidate_version)
        if candidate is None:
            raise ValidationError(f"Version {run.candidate_version} no longer exists (the draft was discarded).")
        baseline = (
            component_version(run.component_type, run.component_id, run.baseline_version)
            if run.baseline_version is not None
            else None
        )
        candidate_subject = selectors.subject(run.component_type, candidate, environment)
        baseline_subject = selectors.subject(run.component_type, baseline, environment) if baseline else None
        cases = list(selectors.active_cases(run.component_type, run.component_id))
        pending, reused = _pending(cases, candidate_subject, baseline_subject)
        run.candidate_fingerprint = candidate_subject.fingerprint  # a draft saved since the request
        run.total, run.reused, run.completed = len(pending), reused, 0
        run.save(update_fields=["candidate_fingerprint", "total", "reused", "completed"])
        work = {
            index: (case, subject, case.fingerprint, case.definition()) for index, (case, subject) in enumerate(pending)
        }
        jobs_ = [
            Job(key=index, component_type=run.component_type, document=subject.document, definition=definition)
            for index, (case, subject, _, definition) in work.items()
        ]
        stats = RunStats()
        for index, outcome in run_jobs(jobs_, endpoint, stats):
            case, subject, fingerprint, definition = work.pop(index)
            _store(case, subject, fingerprint, definition, outcome, endpoint)
            run.completed += 1
            EvalRun.objects.filter(pk=run.pk).update(completed=run.completed)
        if work:
            raise RuntimeError(f"{len(work)} case run(s) ended without a result.")
        run.state, run.max_in_flight = RunState.DONE, stats.max_in_flight
    except Exception as exc:  # noqa: BLE001 - the run records why it failed; the page shows it
        logger.exception("Evaluation run %s failed", run_id)
        run.state, run.error = RunState.FAILED, str(getattr(exc, "message", None) or exc)[:2000]
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "error", "max_in_flight", "finished_at"])
    return run


def _store(case: EvalCase, subject, fingerprint: str, definition: dict, outcome: checks.Outcome, endpoint) -> None:
    found = checks.failures(definition, outcome)
    model = subject.document.get("model")
    EvalResult.objects.update_or_create(
        case=case, case_fingerprint=fingerprint, subject_fingerprint=subject.fingerprint,
        defaults={
            "version": subject.version.version, "output": outcome.output, "route": outcome.route,
            "tool_calls": outcome.tool_calls, "input_tokens": outcome.input_tokens,
            "output_tokens": outcome.output_tokens, "latency_ms": outcome.latency_ms, "passed": not found,
            "failures": found, "error": outcome.error, "judge_score": outcome.judge_score,
            "judge_reason": outcome.judge_reason,
            "model": (model.get("id", "") if isinstance(model, dict) else str(model or ""))[:255],
        },
    )  # fmt: skip


# --- The gate -----------------------------------------------------------------------------------------------


def gate_mode() -> str:
    return settings.HIVE_EVAL_GATE


def release_gate(check: GateCheck) -> None:
    """Refuse to put a candidate in front of customers when its test cases say it is worse (registered with
    ``versioning.gates``; runs inside the release step's transaction).

    ``enforce``: a critical case failing, a case that passed on the live version failing, a pass rate under
    the component's minimum, an evaluator error or a case not yet evaluated refuse the step; a user with
    ``evaluations.override_gate`` (the Admin role) may go ahead with a reason, audited. ``warn``: the step goes
    ahead and the decision records the problems. ``off``: nothing is checked.
    """
    mode = gate_mode()
    if mode == "off" or check.kind.type not in ("agent", "team"):
        return
    if not selectors.active_cases(check.kind.type, check.component_id).exists():
        return
    baseline = check.baseline if check.baseline is not None and check.baseline.pk != check.candidate.pk else None
    found = selectors.comparison(check.kind.type, check.component_id, check.candidate, baseline, check.environment)
    problems = found.problems()  # the refusal a person reads, in their language
    with translation.override(settings.LANGUAGE_CODE):
        summary = found.summary()  # stored with the decision: in English
    outcome = GateOutcome.PASSED
    if problems and mode == "warn":
        outcome = GateOutcome.WARNED
    elif problems:
        if not check.override:
            raise GateRefused(
                gettext("The test cases refuse this version: %(problems)s") % {"problems": " ".join(problems)},
                override_permission=OVERRIDE_PERMISSION,
                details_url=review_url(check.kind.type, check.component_id, check.candidate.version),
            )  # fmt: skip
        user, _ = actor_parts(check.actor)
        if user is None or not user.has_perm(OVERRIDE_PERMISSION):
            raise PermissionDenied(gettext("Only the Admin role may release a version its test cases refuse."))
        outcome = GateOutcome.OVERRIDDEN
        audit_record(
            action=AuditAction.GATE_OVERRIDDEN, subject_type=check.kind.type, subject_id=check.component_id,
            actor=check.actor, reason=check.override, after={"action": check.action, **summary},
            to_version=check.candidate.version, from_version=baseline.version if baseline else None,
            environment=check.environment,
        )  # fmt: skip
    _, name = actor_parts(check.actor)
    GateDecision.objects.create(
        component_type=check.kind.type, component_id=check.component_id, action=check.action,
        environment=check.environment, candidate_version=check.candidate.version,
        baseline_version=baseline.version if baseline else None, outcome=outcome, summary=summary,
        override_reason=check.override if outcome == GateOutcome.OVERRIDDEN else "", decided_by_name=name,
    )  # fmt: skip


def review_url(component_type: str, component_id: str, version: int) -> str:
    from django.urls import reverse

    return reverse("admin:evaluations_evalrun_review", args=[component_type, component_id, version])
