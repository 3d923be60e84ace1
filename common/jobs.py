"""The job queue, behind one call: ``defer(task, **kwargs)``.

On PostgreSQL the queue is procrastinate (``procrastinate.contrib.django``): ``defer`` writes the job row
through Django's connection, so it is part of the caller's transaction — an outbox: a change that rolls
back enqueues nothing, and a committed one is picked up by the worker (``manage.py procrastinate worker``,
started by ``make run``), woken by LISTEN/NOTIFY. The SQLite fallback has no queue: the job runs in this
process right after the transaction commits, and a job scheduled for later does not run at all (there is
no scheduler to keep it; it is logged).

Tasks are declared in each app's ``tasks.py`` (procrastinate autodiscovers them) with
``@app.task`` from ``procrastinate.contrib.django``, and take JSON-able keyword arguments.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


def queue_enabled() -> bool:
    """True when jobs go through the PostgreSQL queue (the settings decide: PostgreSQL, not SQLite)."""
    return bool(getattr(settings, "HIVE_JOB_QUEUE", False))


def defer(
    task: Any,
    *,
    schedule_at: datetime.datetime | None = None,
    queueing_lock: str | None = None,
    **kwargs: Any,
) -> int | None:
    """Enqueue ``task(**kwargs)`` as part of the current transaction; return the job id.

    ``queueing_lock``: at most one waiting job per lock; deferring a second one returns None (and leaves the
    caller's transaction usable). On SQLite the task runs after commit in this process and None is returned.
    """
    if queue_enabled():
        from procrastinate import exceptions

        options: dict[str, Any] = {}
        if schedule_at is not None:
            options["schedule_at"] = schedule_at
        if queueing_lock is not None:
            options["queueing_lock"] = queueing_lock
        try:
            with transaction.atomic():  # a savepoint: a refused queueing lock must not abort the caller's work
                return task.configure(**options).defer(**kwargs)
        except exceptions.AlreadyEnqueued:
            logger.info("Job %s not deferred: one with queueing lock %r is already waiting.", task.name, queueing_lock)
            return None

    def run_after_commit() -> None:
        # A function, not a functools.partial: when a robust callback raises, Django logs it by its __qualname__,
        # which a partial lacks (the AttributeError would then escape from the commit, into the caller).
        _run_in_process(task, schedule_at, kwargs)

    transaction.on_commit(run_after_commit, robust=True)
    return None


def _run_in_process(task: Callable[..., Any], schedule_at: datetime.datetime | None, kwargs: dict) -> None:
    name = getattr(task, "name", getattr(task, "__name__", repr(task)))
    if schedule_at is not None and schedule_at > timezone.now():
        logger.warning("No job queue on SQLite: %s scheduled for %s does not run.", name, schedule_at.isoformat())
        return
    task(**kwargs)


def django_connections(call_next: Callable[[], Any], context: Any, worker: Any) -> Any:
    """Worker task middleware: a sync task runs in a pool thread; give its database connection back after it,
    so the threads of a long-running worker do not each keep one of the pool's connections."""
    close_old_connections()
    try:
        return call_next()
    finally:
        connections.close_all()


def on_app_ready(app: Any) -> None:
    """``PROCRASTINATE_ON_APP_READY``: every worker wraps its sync tasks in ``django_connections`` and deletes
    the jobs that succeeded (the outcome a person looks for is kept by the app, e.g. a webhook delivery row;
    failed jobs stay for the health report and procrastinate's admin)."""
    defaults = dict(app.worker_defaults or {})
    defaults.setdefault("delete_jobs", "successful")
    defaults["task_middleware"] = [django_connections, *defaults.get("task_middleware", [])]
    app.worker_defaults = defaults
