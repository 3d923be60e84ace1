"""What notifications do when versioning announces a review step or a release (connected in
``NotificationsConfig.ready()``): queue one job, inside the changing transaction."""

from __future__ import annotations

from notifications.selectors import NOTIFIED_EVENTS
from notifications.services import notification_queue


def on_release_event(
    sender, *, event: str, payload: dict, actor_id: int | None = None, discarded_version: int | None = None, **kwargs
) -> None:
    if event in NOTIFIED_EVENTS:
        notification_queue(event=event, payload=payload, actor_id=actor_id, discarded_version=discarded_version)


def on_review_event(sender, *, event: str, payload: dict, actor_id: int | None = None, **kwargs) -> None:
    if event in NOTIFIED_EVENTS:
        notification_queue(event=event, payload=payload, actor_id=actor_id)
