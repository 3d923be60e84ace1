"""Evaluation jobs (autodiscovered by procrastinate; deferred through common.jobs.defer)."""

from __future__ import annotations

from procrastinate.contrib.django import app


@app.task(name="evaluations.execute_run", queue="evaluations")
def execute_run(*, run_id: int, environment: str | None = None) -> None:
    """Run the queued evaluation ``run_id`` (its progress and failure are recorded on the run)."""
    from evaluations.services import evaluation_execute

    evaluation_execute(run_id=run_id, environment=environment)
