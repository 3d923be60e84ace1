"""Webhook jobs (autodiscovered by procrastinate; deferred through common.jobs.defer)."""

from __future__ import annotations

from procrastinate.contrib.django import app


@app.task(name="webhooks.deliver", queue="webhooks")
def deliver_webhook(*, delivery_id: int, attempt: int) -> None:
    """Attempt number ``attempt`` of one delivery; a stale job (the delivery moved on) does nothing."""
    from webhooks.services import delivery_attempt

    delivery_attempt(delivery_id=delivery_id, attempt=attempt)
