"""The gate end to end: drafts of the demo's route team evaluated through real Agno against the fake server."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditRecord
from evaluations.models import EvalResult, GateDecision, RunState
from tests.evaluations.conftest import CARDS_RULE, edit_team, evaluate, publish
from versioning.gates import GateRefused

pytestmark = pytest.mark.django_db

TEAM = "customer-service-router"


@pytest.mark.sqlite_smoke
def test_publish__draft_breaks_critical_routing_case__refused_then_a_fix_publishes(routed_team, publisher):
    edit_team(publisher, [i for i in routed_team.instructions if i != CARDS_RULE])
    run = evaluate("team", TEAM)
    assert (run.state, run.total, run.completed) == (RunState.DONE, 2, 2)
    draft_result = EvalResult.objects.get(version=run.candidate_version)
    assert (draft_result.route, draft_result.passed) == ("credit-specialist", False)
    assert "Routed to credit-specialist, not to cards-specialist." in draft_result.failures
    live_result = EvalResult.objects.get(version=run.baseline_version)
    assert (live_result.route, live_result.passed) == ("cards-specialist", True)
    assert "Bloqueei" in live_result.output and live_result.input_tokens > 0

    with pytest.raises(GateRefused, match="Critical case “Cartão perdido” fails"):
        publish("team", TEAM, publisher)

    edit_team(publisher, [*routed_team.instructions, "Seja breve."])  # keeps the routing text
    fixed = evaluate("team", TEAM)
    assert fixed.state == RunState.DONE and fixed.reused == 1  # the live version's result is kept
    version = publish("team", TEAM, publisher)
    decision = GateDecision.objects.get(candidate_version=version.version)
    assert decision.outcome == "passed" and decision.summary["statuses"] == {"passing": 1}


def test_unchanged_versions__never_run_again(routed_team, publisher, fake_llm):
    edit_team(publisher, [*routed_team.instructions, "Seja breve."])
    evaluate("team", TEAM)
    calls = fake_llm.calls
    again = evaluate("team", TEAM)
    assert (again.total, again.reused, again.state) == (0, 2, RunState.DONE)
    assert fake_llm.calls == calls


def test_evaluator_error__fails_closed(routed_team, publisher, fake_llm):
    fake_llm.clear_rules()
    fake_llm.add_rule(status=500, reply="upstream exploded")
    edit_team(publisher, [*routed_team.instructions, "Seja breve."])
    evaluate("team", TEAM)
    result = EvalResult.objects.filter(error__gt="").first()
    assert result is not None and not result.passed and "upstream exploded" in result.error
    with pytest.raises(GateRefused, match="the evaluator failed"):
        publish("team", TEAM, publisher)


def test_not_evaluated__refused(routed_team, publisher):
    edit_team(publisher, [*routed_team.instructions, "Seja breve."])
    with pytest.raises(GateRefused, match="not been evaluated yet"):
        publish("team", TEAM, publisher)


def test_override__admin_with_reason_publishes_audited__publisher_may_not(routed_team, publisher, portal_admin):
    edit_team(publisher, [i for i in routed_team.instructions if i != CARDS_RULE])
    evaluate("team", TEAM)
    with pytest.raises(PermissionDenied):
        publish("team", TEAM, publisher, override="I know better")
    version = publish("team", TEAM, portal_admin, override="Incident 42: the cards unit is closed today")
    record = AuditRecord.objects.get(action="gate_overridden")
    assert (record.subject_id, record.to_version, record.actor_name) == (TEAM, version.version, "ada-admin")
    assert record.reason == "Incident 42: the cards unit is closed today"
    assert record.after["statuses"] == {"regression": 1}
    decision = GateDecision.objects.get(candidate_version=version.version)
    assert decision.outcome == "overridden" and decision.override_reason.startswith("Incident 42")


def test_warn_mode__publishes_and_records_the_problems(routed_team, publisher, settings):
    settings.HIVE_EVAL_GATE = "warn"
    edit_team(publisher, [i for i in routed_team.instructions if i != CARDS_RULE])
    evaluate("team", TEAM)
    version = publish("team", TEAM, publisher)
    decision = GateDecision.objects.get(candidate_version=version.version)
    assert decision.outcome == "warned" and decision.summary["problems"]


def test_gate_off__nothing_checked(routed_team, publisher, settings):
    settings.HIVE_EVAL_GATE = "off"
    edit_team(publisher, [i for i in routed_team.instructions if i != CARDS_RULE])
    publish("team", TEAM, publisher)
    assert not GateDecision.objects.filter(action="publish").exists()


def test_rollout_start__refused_by_the_cases(routed_team, publisher):
    from versioning.components import get_kind
    from versioning.rollouts import rollout_start

    # Staging serves the routed team; production the demo's version: the pair was never evaluated.
    with pytest.raises(GateRefused, match="not been evaluated yet"):
        rollout_start(
            kind=get_kind("team"), component_id=TEAM, environment="production", percent=10, actor=publisher,
            note="try it",
        )  # fmt: skip


def test_scheduled_publish__refused_by_the_cases__the_schedule_says_why(routed_team, publisher):
    from django.utils import timezone

    from versioning.models import ScheduledRelease
    from versioning.schedules import run_scheduled_release, schedule_publish

    edit_team(publisher, [i for i in routed_team.instructions if i != CARDS_RULE])
    evaluate("team", TEAM)
    schedule = schedule_publish(
        component_type="team", component_id=TEAM, run_at=timezone.now() + timezone.timedelta(minutes=5),
        actor=publisher, note="later",
    )  # fmt: skip
    ScheduledRelease.objects.filter(pk=schedule.pk).update(run_at=timezone.now())
    result = run_scheduled_release(schedule.pk)
    assert result is not None and "Critical case “Cartão perdido” fails" in result
    schedule.refresh_from_db()
    assert schedule.state == "failed"


def test_evaluate_command__prints_cases__exit_1_when_refused(routed_team, publisher, capsys):
    from django.core.management import call_command

    edit_team(publisher, [i for i in routed_team.instructions if i != CARDS_RULE])
    with pytest.raises(SystemExit) as exit_info:
        call_command("evaluate", "team", TEAM)
    assert exit_info.value.code == 1
    out, err = capsys.readouterr()
    assert "regression Cartão perdido (critical): Routed to credit-specialist" in out
    assert "REFUSED: Critical case “Cartão perdido” fails" in err


def test_evaluate_command__in_portuguese(routed_team, publisher, capsys):
    from django.core.management import call_command

    edit_team(publisher, [i for i in routed_team.instructions if i != CARDS_RULE])
    with pytest.raises(SystemExit):
        call_command("evaluate", "team", TEAM, language="pt-br")
    out, err = capsys.readouterr()
    assert "execuções de casos, " in out and "no máximo" in out
    # The status word, "critical" and the gate's reasons in Portuguese; the evaluator's findings as it stored them.
    assert "  regressão Cartão perdido (crítico): Routed to credit-specialist" in out
    assert "RECUSADA: O caso crítico “Cartão perdido” falha" in err
