"""What versioning tells the rest of the portal: Django signals that apps above it subscribe to in their
``AppConfig.ready()``, so versioning (and the apps beside it) never import their consumers.

``config_changed`` is sent inside the transaction of every change to what the runtime serves — a publish, a
rollback, an (de)activation, a deletion — so a receiver that fails rolls the change back, and what it writes
commits with it. The runtime subscribes to move its config generation (``runtime.apps``); webhooks and
notifications subscribe the same way.
"""

from django.dispatch import Signal

config_changed = Signal()

# ``release_event`` is sent inside the transaction of every release step, with ``event`` (one of
# RELEASE_EVENTS) and ``payload`` (a JSON-able dict: component_type, component_id, environment, version,
# previous_version, content_hash, actor, reason, at). Webhooks subscribe to it (an outbox row written in the
# same transaction, so an event exists exactly when its change committed). Beside the payload, receivers get
# ``actor_id`` (the acting user's id, None for the system or an API key) and ``discarded_version`` (the number of
# the open draft a rollback archived, else None): what notifications need to tell the right people.
release_event = Signal()

RELEASE_EVENTS = (
    "component.published",
    "component.rolled_back",
    "component.promoted",
    "rollout.started",
    "rollout.aborted",
    "rollout.completed",
)


# ``review_event`` is sent inside the transaction of every step of a draft's review, with ``event`` (one of
# REVIEW_EVENTS), ``payload`` (component_type, component_id, version, actor, reason, at) and ``actor_id``.
# Notifications subscribe to it; it is not a release, so webhooks do not.
review_event = Signal()

REVIEW_EVENTS = (
    "draft.submitted",
    "draft.approved",
    "draft.rejected",
)


def announce_release(
    event: str,
    payload: dict,
    sender: object = None,
    *,
    actor_id: int | None = None,
    discarded_version: int | None = None,
) -> None:
    """Tell the subscribers that a release step happened (call inside the changing transaction)."""
    if event not in RELEASE_EVENTS:
        raise ValueError(f"Unknown release event {event!r}.")
    release_event.send(
        sender=sender, event=event, payload=payload, actor_id=actor_id, discarded_version=discarded_version
    )


def announce_review(event: str, payload: dict, sender: object = None, *, actor_id: int | None = None) -> None:
    """Tell the subscribers that a draft was submitted, approved or rejected (inside the changing transaction)."""
    if event not in REVIEW_EVENTS:
        raise ValueError(f"Unknown review event {event!r}.")
    review_event.send(sender=sender, event=event, payload=payload, actor_id=actor_id)


def announce_config_change(sender: object = None) -> None:
    """Tell the subscribers that what the runtime serves changed (call inside the changing transaction)."""
    config_changed.send(sender=sender)
