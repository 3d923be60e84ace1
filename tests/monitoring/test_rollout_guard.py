"""The rollout guard aborts a rollout whose candidate is worse than its thresholds, with the figures, and
leaves alone one that holds, one without enough runs and one without thresholds."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from agents.models import Agent
from agents.services import agent_update
from audit.models import AuditAction, AuditRecord
from monitoring.models import AgentMetric
from monitoring.rollout_guard import GUARD_ACTOR, guard_rollouts
from versioning.components import get_kind
from versioning.models import Rollout, RolloutState
from versioning.promotion import component_promote
from versioning.rollouts import rollout_start
from versioning.services import component_publish

AGENT = get_kind("agent")


@pytest.fixture
def rollout(make_agent):
    make_agent("cards", publish=True)
    component_promote(kind=AGENT, component_id="cards", environment="production", actor="paula", note="v1")
    agent_update(agent=Agent.objects.get(agent_id="cards"), actor="eddie", note="v2", description="Second")
    component_publish(kind=AGENT, component_id="cards", actor="paula")

    def start(**thresholds):
        return rollout_start(
            kind=AGENT, component_id="cards", environment="production", percent=10, actor="paula", note="try",
            **{"min_runs": 20, **thresholds},
        )  # fmt: skip

    return start


def _runs(version: int, count: int, *, failures: int = 0, ms: int = 800, before_start: bool = False):
    when = timezone.now() - (timedelta(days=1) if before_start else timedelta(0))
    AgentMetric.objects.bulk_create(
        AgentMetric(
            agent_id="cards", session_id=f"s{version}-{i}", response_time_ms=ms, tokens_used=100,
            success=i >= failures, config_version=version, created_at=when,
        )
        for i in range(count)
    )  # fmt: skip


def test_guard__aborts_on_a_success_rate_drop__audited_with_the_figures(rollout):
    started = rollout(max_success_drop_points=5)
    _runs(1, 100, failures=2)  # 98%
    _runs(2, 40, failures=6)  # 85%
    [aborted] = guard_rollouts()
    assert aborted.pk == started.pk and aborted.state == RolloutState.ABORTED
    assert aborted.ended_by_name == GUARD_ACTOR
    assert "success rate 85.00% vs 98.00% (down 13.00 points, limit 5)" in aborted.end_reason
    assert aborted.figures["candidate"] == {"version": 2, "runs": 40, "success_rate": 85.0, "p95_ms": 800.0}
    row = AuditRecord.objects.get(action=AuditAction.ROLLOUT_ABORTED)
    assert row.actor_name == GUARD_ACTOR and row.after["figures"]["baseline"]["runs"] == 100


def test_guard__aborts_on_p95_latency(rollout):
    rollout(max_p95_increase_percent=20)
    _runs(1, 50, ms=1000)
    _runs(2, 50, ms=1500)
    [aborted] = guard_rollouts()
    assert "p95 1500 ms vs 1000 ms (up 50.0%, limit 20%)" in aborted.end_reason


def test_guard__good_metrics__not_enough_runs__or_no_thresholds__keep_running(rollout):
    started = rollout(max_success_drop_points=5, max_p95_increase_percent=20)
    _runs(1, 100, failures=3, ms=1000)
    _runs(2, 100, failures=4, ms=1100)  # 1 point and 10% worse: within the limits
    assert guard_rollouts() == []
    started.refresh_from_db()
    assert started.state == RolloutState.RUNNING and started.figures["candidate"]["runs"] == 100

    Rollout.objects.filter(pk=started.pk).update(min_runs=500)  # too few runs to judge, however bad
    _runs(2, 100, failures=100)
    assert guard_rollouts() == []

    Rollout.objects.filter(pk=started.pk).update(max_success_drop_points=None, max_p95_increase_percent=None)
    Rollout.objects.filter(pk=started.pk).update(min_runs=1)
    assert guard_rollouts() == []  # unguarded: only people end it


def test_guard__ignores_metrics_from_before_the_rollout(rollout):
    rollout(max_success_drop_points=5)
    _runs(2, 100, failures=100, before_start=True)  # the candidate's bad old runs (e.g. in staging)
    _runs(1, 30)
    _runs(2, 30)
    assert guard_rollouts() == []


def test_guard__run_right_after_the_start__ignores_the_second_before_it(rollout):
    """The guard often runs within a second of the start (after a metrics batch): what ran just before the
    rollout started is not the rollout's."""
    started = rollout(max_success_drop_points=5)
    just_before = started.started_at - timedelta(milliseconds=500)
    for version, failures in ((1, 0), (2, 30)):
        AgentMetric.objects.bulk_create(
            AgentMetric(
                agent_id="cards", session_id=f"b{version}-{i}", response_time_ms=800, success=i >= failures,
                config_version=version, created_at=just_before,
            )
            for i in range(30)
        )  # fmt: skip
    assert guard_rollouts() == []
    assert Rollout.objects.get(pk=started.pk).figures["candidate"]["runs"] == 0


def test_guard_rollouts_command(rollout):
    rollout(max_success_drop_points=1)
    _runs(1, 30)
    _runs(2, 30, failures=30)
    out = io.StringIO()
    call_command("guard_rollouts", stdout=out)
    assert "Aborted agent cards: v2 to 10% of production: Guard:" in out.getvalue()


def test_guard_rollouts_command__in_portuguese(rollout):
    out = io.StringIO()
    call_command("guard_rollouts", stdout=out, language="pt-br")
    assert out.getvalue() == "Nenhuma liberação gradual precisou ser interrompida.\n"
    rollout(max_success_drop_points=1)
    _runs(1, 30)
    _runs(2, 30, failures=30)
    call_command("guard_rollouts", stdout=out, language="pt-br")
    # The kind in Portuguese; the reason as the rollout stored it.
    assert "Liberação gradual interrompida, agente cards: v2 para 10% de production: Guard:" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_guard__a_metrics_batch_through_the_api_queues_the_guard__the_worker_aborts(rollout, api_key_factory):

    from hive_portal.testing import key_client, queued_jobs, run_pending_jobs

    started = rollout(max_success_drop_points=5)
    _, raw = api_key_factory("metrics:write", name="runtime-prod")
    now = timezone.now().isoformat()

    def batch(version, failures, count=25):
        return [
            {"agent_id": "cards", "session_id": f"s{version}-{i}", "response_time_ms": 900, "tokens_used": 10,
             "success": i >= failures, "config_version": version, "created_at": now}
            for i in range(count)
        ]  # fmt: skip

    url = "/api/v1/metrics"
    client = key_client(raw)
    assert client.post(url, {"records": batch(1, 0)}, format="json").status_code == 201
    assert client.post(url, {"records": batch(2, 10)}, format="json").status_code == 201
    guard_jobs = queued_jobs("monitoring.guard_rollouts")
    assert len(guard_jobs) == 1  # one waiting job for a burst of batches (queueing lock)
    run_pending_jobs()
    started.refresh_from_db()
    assert started.state == RolloutState.ABORTED and "down 40.00 points" in started.end_reason
