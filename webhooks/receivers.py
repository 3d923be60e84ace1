"""What webhooks do when versioning announces a release step (connected in ``WebhooksConfig.ready()``)."""

from __future__ import annotations

from webhooks.services import webhook_event_record


def on_release_event(sender, *, event: str, payload: dict, **kwargs) -> None:
    webhook_event_record(event=event, payload=payload)
