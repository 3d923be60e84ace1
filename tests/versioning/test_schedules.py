"""Scheduled publishing: approve now, go live at a time, exactly once; cancellable; fails safe."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from agents.models import Agent
from agents.services import agent_update
from audit.models import AuditAction, AuditRecord
from hive_portal.testing import make_jobs_due, queued_jobs, run_pending_jobs
from versioning.components import get_kind
from versioning.models import RolloutState, ScheduleState
from versioning.rollouts import rollout_start
from versioning.schedules import (
    run_due_schedules,
    run_scheduled_release,
    schedule_cancel,
    schedule_promote,
    schedule_publish,
    schedule_rollout_end,
)
from versioning.selectors import live_version
from versioning.services import component_publish

AGENT = get_kind("agent")


def _draft(note="v2", description="Second"):
    agent_update(agent=Agent.objects.get(agent_id="cards"), actor="eddie", note=note, description=description)


def _soon():
    return timezone.now() + timedelta(minutes=5)


def _later():
    return timezone.now() + timedelta(minutes=10)


def test_schedule_publish__runs_once_when_due__as_the_scheduler(make_agent, publisher):
    make_agent("cards", publish=True)
    _draft()
    schedule = schedule_publish(
        component_type="agent", component_id="cards", run_at=_soon(), actor=publisher, note="Monday"
    )
    assert AuditRecord.objects.filter(action=AuditAction.SCHEDULED, actor=publisher).exists()
    assert run_due_schedules() == 0  # not due yet
    assert live_version("agent", "cards", "staging").version == 1
    assert run_due_schedules(now=_later()) == 1
    assert run_due_schedules(now=_later()) == 0  # exactly once
    schedule.refresh_from_db()
    assert schedule.state == ScheduleState.DONE and schedule.result == "Published cards v2."
    published = AuditRecord.objects.get(action=AuditAction.PUBLISHED, to_version=2)
    assert published.actor == publisher and "scheduled by paula-publisher" in published.reason


def test_schedule_publish__refusals_name_the_field(make_agent, publisher, editor, settings):
    make_agent("cards", publish=True)
    with pytest.raises(ValidationError, match="no draft"):
        schedule_publish(component_type="agent", component_id="cards", run_at=_soon(), actor=publisher, note="x")
    _draft()
    for run_at, field in (
        (timezone.now() - timedelta(minutes=1), "run_at"),
        (timezone.now() + timedelta(days=400), "run_at"),
    ):
        with pytest.raises(ValidationError) as error:
            schedule_publish(component_type="agent", component_id="cards", run_at=run_at, actor=publisher, note="x")
        assert field in error.value.message_dict
    with pytest.raises(ValidationError) as no_note:
        schedule_publish(component_type="agent", component_id="cards", run_at=_soon(), actor=publisher, note="")
    assert "note" in no_note.value.message_dict
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        schedule_publish(component_type="agent", component_id="cards", run_at=_soon(), actor=editor, note="x")
    settings.HIVE_REQUIRE_REVIEW = True
    with pytest.raises(ValidationError, match="approved first"):
        schedule_publish(component_type="agent", component_id="cards", run_at=_soon(), actor=publisher, note="x")


def test_schedule_publish__a_draft_edited_afterwards_is_not_published(make_agent, publisher):
    make_agent("cards", publish=True)
    _draft()
    schedule = schedule_publish(component_type="agent", component_id="cards", run_at=_soon(), actor=publisher, note="x")
    _draft(note="more", description="Changed after scheduling")
    run_due_schedules(now=_later())
    schedule.refresh_from_db()
    assert schedule.state == ScheduleState.FAILED and "changed after it was scheduled" in schedule.result
    assert live_version("agent", "cards", "staging").version == 1


def test_schedule_cancel__it_does_not_run__and_cannot_be_cancelled_twice(make_agent, publisher):
    make_agent("cards", publish=True)
    _draft()
    schedule = schedule_publish(component_type="agent", component_id="cards", run_at=_soon(), actor=publisher, note="x")
    schedule_cancel(schedule_id=schedule.pk, actor=publisher, reason="not Monday")
    assert run_due_schedules(now=_later()) == 0
    schedule.refresh_from_db()
    assert (schedule.state, schedule.cancelled_by_name, schedule.result) == (
        "cancelled",
        "paula-publisher",
        "not Monday",
    )
    with pytest.raises(ValidationError, match="nothing to cancel"):
        schedule_cancel(schedule_id=schedule.pk, actor=publisher)


def test_schedule_promote_and_rollout_end(make_agent, publisher):
    make_agent("cards", publish=True)
    schedule_promote(
        component_type="agent",
        component_id="cards",
        environment="production",
        run_at=_soon(),
        actor=publisher,
        note="go",
    )
    run_due_schedules(now=_later())
    assert live_version("agent", "cards", "production").version == 1
    _draft()
    component_publish(kind=AGENT, component_id="cards", actor="paula")
    rollout = rollout_start(
        kind=AGENT, component_id="cards", environment="production", percent=10, actor="paula", note="x"
    )
    schedule_rollout_end(rollout_id=rollout.pk, complete=True, run_at=_soon(), actor=publisher, note="end of day")
    run_due_schedules(now=_later())
    rollout.refresh_from_db()
    assert rollout.state == RolloutState.COMPLETED
    assert live_version("agent", "cards", "production").version == 2
    with pytest.raises(ValidationError) as error:
        schedule_rollout_end(rollout_id=rollout.pk, complete=False, run_at=_soon(), actor=publisher, note="x")
    assert "rollout" in error.value.message_dict


def test_schedule_promote__under_review__needs_the_approved_request_now(
    make_agent, publisher, second_publisher, settings
):
    """Refused when scheduled (as a scheduled publish is), not only when it runs with nobody there."""
    from versioning.promotion import promotion_approve, promotion_request

    make_agent("cards", publish=True)
    settings.HIVE_REQUIRE_REVIEW = True
    kwargs = {"component_type": "agent", "component_id": "cards", "environment": "production", "actor": publisher}
    with pytest.raises(ValidationError, match="approved first"):
        schedule_promote(**kwargs, run_at=_soon(), note="go")
    promotion_request(kind=AGENT, component_id="cards", environment="production", actor=publisher, note="v1")
    with pytest.raises(ValidationError, match="approved first"):
        schedule_promote(**kwargs, run_at=_soon(), note="go")  # requested, not yet approved
    promotion_approve(kind=AGENT, component_id="cards", environment="production", actor=second_publisher)
    schedule = schedule_promote(**kwargs, run_at=_soon(), note="go")
    run_due_schedules(now=_later())
    schedule.refresh_from_db()
    assert schedule.state == ScheduleState.DONE
    assert live_version("agent", "cards", "production").version == 1


@pytest.mark.django_db(transaction=True)
def test_schedule__two_workers_at_once__published_exactly_once(make_agent, publisher):
    make_agent("cards", publish=True)
    _draft()
    schedule = schedule_publish(component_type="agent", component_id="cards", run_at=_soon(), actor=publisher, note="x")
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(run_scheduled_release(schedule.pk, now=_later()))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [None, "Published cards v2."]
    assert AuditRecord.objects.filter(action=AuditAction.PUBLISHED, subject_id="cards", to_version=2).count() == 1


@pytest.mark.django_db(transaction=True)
def test_schedule__the_job_queue_runs_it_at_its_time(make_agent, publisher):
    make_agent("cards", publish=True)
    _draft()
    run_at = _soon()
    schedule = schedule_publish(component_type="agent", component_id="cards", run_at=run_at, actor=publisher, note="x")
    [job] = queued_jobs("versioning.run_scheduled_release")
    assert job["scheduled_at"] == run_at and job["args"] == {"schedule_id": schedule.pk}
    run_pending_jobs()  # not due: nothing happens
    assert live_version("agent", "cards", "staging").version == 1
    from versioning.models import ScheduledRelease

    ScheduledRelease.objects.filter(pk=schedule.pk).update(run_at=timezone.now())
    make_jobs_due()
    run_pending_jobs()
    assert live_version("agent", "cards", "staging").version == 2
