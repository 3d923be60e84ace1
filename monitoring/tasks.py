"""Monitoring jobs (autodiscovered by procrastinate; deferred through common.jobs.defer)."""

from __future__ import annotations

from procrastinate.contrib.django import app

# One guard job waiting at a time: a burst of metric batches queues one check, not one per batch.
GUARD_LOCK = "monitoring.guard_rollouts"


@app.task(name="monitoring.guard_rollouts", queue="releases")
def guard_rollouts_now() -> None:
    """Judge every running, guarded rollout (deferred after a metrics batch for a component under rollout)."""
    from monitoring.rollout_guard import guard_rollouts

    guard_rollouts()


@app.periodic(cron="* * * * *", periodic_id="rollout-guard")
@app.task(name="monitoring.guard_rollouts_periodic", queue="releases", queueing_lock=GUARD_LOCK + ".periodic")
def guard_rollouts_every_minute(timestamp: int) -> None:
    """The same check every minute, so a rollout whose metrics stopped arriving is still judged; procrastinate
    defers a periodic job once per minute whatever the number of workers."""
    from monitoring.rollout_guard import guard_rollouts

    guard_rollouts()


@app.periodic(cron="17 3 * * *", periodic_id="metric-partitions")
@app.task(name="monitoring.ensure_partitions", queue="maintenance", queueing_lock="monitoring.ensure_partitions")
def ensure_partitions_daily(timestamp: int) -> None:
    """Create the metric tables' partitions for this month and the next ones, every day (any one day is enough;
    several are a margin for a worker that was down)."""
    from monitoring.partitions import ensure_partitions

    ensure_partitions()


@app.periodic(cron="* * * * *", periodic_id="metric-rollups")
@app.task(name="monitoring.compact_rollups", queue="maintenance", queueing_lock="monitoring.compact_rollups")
def compact_rollups_every_minute(timestamp: int) -> None:
    """Merge the partial rollup rows the last minute's batches appended (``monitoring.rollups.compact``); reads
    are right either way, merged rows keep them fast."""
    from monitoring.rollups import CompactionRace, compact

    try:
        compact()
    except CompactionRace:
        pass  # another worker merged the same rows first; the next minute catches up
