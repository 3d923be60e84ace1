"""Versioning jobs (autodiscovered by procrastinate; deferred through common.jobs.defer)."""

from __future__ import annotations

from procrastinate.contrib.django import app


@app.task(name="versioning.run_scheduled_release", queue="releases")
def run_scheduled_release(*, schedule_id: int) -> None:
    """Deferred for the schedule's time; does nothing if it was cancelled or already ran."""
    from versioning import schedules

    schedules.run_scheduled_release(schedule_id)


@app.periodic(cron="* * * * *", periodic_id="scheduled-releases")
@app.task(name="versioning.run_due_schedules", queue="releases", queueing_lock="versioning.run_due_schedules")
def run_due_schedules(timestamp: int) -> None:
    """Every minute: any due schedule whose own job was lost (e.g. the queue was cleared) still runs."""
    from versioning import schedules

    schedules.run_due_schedules()
