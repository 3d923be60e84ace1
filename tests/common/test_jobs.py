"""common.jobs: a job is part of the transaction that defers it (an outbox), and the worker runs it once."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from procrastinate.contrib.django import app

from common import jobs
from hive_portal.testing import queued_jobs, run_pending_jobs

CALLS: list[str] = []


@app.task(name="tests.common.record_call")
def record_call(*, marker: str) -> None:
    CALLS.append(marker)


@pytest.fixture(autouse=True)
def _no_calls_yet():
    CALLS.clear()
    yield
    CALLS.clear()


@pytest.mark.postgres_only
def test_defer__transaction_rolled_back__job_never_runs(transactional_db):
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.defer(record_call, marker="rolled-back")
        assert len(queued_jobs("tests.common.record_call")) == 1  # inside the transaction it is queued
        raise RuntimeError("the change fails")

    assert queued_jobs() == []
    run_pending_jobs()
    assert CALLS == []


@pytest.mark.postgres_only
def test_defer__transaction_committed__job_runs_once(transactional_db):
    with transaction.atomic():
        job_id = jobs.defer(record_call, marker="committed")
    assert isinstance(job_id, int)

    run_pending_jobs()
    run_pending_jobs()  # a second worker pass finds nothing left to do

    assert CALLS == ["committed"]
    assert queued_jobs() == []


@pytest.mark.postgres_only
def test_defer__scheduled_later__waits_until_due(transactional_db):
    later = timezone.now() + datetime.timedelta(minutes=5)
    jobs.defer(record_call, schedule_at=later, marker="later")

    run_pending_jobs()

    assert CALLS == []
    [job] = queued_jobs("tests.common.record_call")
    assert job["scheduled_at"] == later


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_defer__same_queueing_lock__second_one_refused_and_transaction_usable():
    from django.contrib.auth.models import Group

    first = jobs.defer(record_call, queueing_lock="only-one", marker="a")
    second = jobs.defer(record_call, queueing_lock="only-one", marker="b")

    assert first is not None and second is None
    assert Group.objects.count() >= 1  # the savepoint kept the test's transaction alive
    assert [job["args"] for job in queued_jobs("tests.common.record_call")] == [{"marker": "a"}]


@pytest.mark.sqlite_smoke
@pytest.mark.django_db
def test_defer__no_queue__runs_in_process_after_commit_and_not_when_scheduled(
    settings, django_capture_on_commit_callbacks
):
    settings.HIVE_JOB_QUEUE = False  # what the SQLite fallback has

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.defer(record_call, marker="now") is None
        jobs.defer(record_call, schedule_at=timezone.now() + datetime.timedelta(hours=1), marker="later")
        assert CALLS == []  # not before the commit

    assert CALLS == ["now"]


@app.task(name="tests.common.fail")
def fail(*, marker: str) -> None:
    CALLS.append(marker)
    raise ConnectionRefusedError("the other system is down")


@pytest.mark.sqlite_smoke
@pytest.mark.django_db(transaction=True)
def test_defer__no_queue__a_failing_job_is_logged_and_the_commit_goes_on(settings, caplog):
    settings.HIVE_JOB_QUEUE = False

    with transaction.atomic():
        jobs.defer(fail, marker="fails")
        jobs.defer(record_call, marker="next")

    assert CALLS == ["fails", "next"]
    assert "the other system is down" in caplog.text
