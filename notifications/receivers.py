"""What notifications do when versioning announces a review step or a release (connected in
``NotificationsConfig.ready()``): queue one job, inside the changing transaction."""

from __future__ import annotations

from notifications.selectors import NOTIFIED_EVENTS, preferred_language
from notifications.services import notification_language_remember, notification_queue


def on_release_event(
    sender, *, event: str, payload: dict, actor_id: int | None = None, discarded_version: int | None = None, **kwargs
) -> None:
    if event in NOTIFIED_EVENTS:
        notification_queue(event=event, payload=payload, actor_id=actor_id, discarded_version=discarded_version)


def on_review_event(sender, *, event: str, payload: dict, actor_id: int | None = None, **kwargs) -> None:
    if event in NOTIFIED_EVENTS:
        notification_queue(event=event, payload=payload, actor_id=actor_id)


def on_user_logged_in(sender, *, request, user, **kwargs) -> None:
    """At a login: the language the person last chose goes with them (the response sets the browser's language
    cookie, ``hive_portal.middleware.PreferredLanguageMiddleware``); at their first login, none chosen yet, the
    language they read the portal in (their browser's, or the one they switched to) becomes theirs."""
    if request is None:
        return
    preferred = preferred_language(user)
    if preferred:
        request.preferred_language = preferred
        return
    language = getattr(request, "LANGUAGE_CODE", None)
    if language:
        notification_language_remember(user=user, language=language, only_if_unset=True)
