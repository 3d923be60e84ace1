"""Writes for notifications: a user's preference, and the e-mails about drafts and releases.

Sending never holds or fails the change it is about: the receivers queue one job in the change's own transaction
(a refused or rolled-back change sends nothing), the job finds the recipients after the commit and queues one
message per person, and each message is retried on its own when the mail server fails.
"""

from __future__ import annotations

import logging
from email.utils import formataddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import DatabaseError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from common import jobs
from notifications.models import NotificationPreference
from notifications.selectors import component_url, email_recipients, recipient_ids, settings_url
from notifications.tasks import notify, send_email
from versioning.components import get_kind
from versioning.selectors import component_version

logger = logging.getLogger(__name__)


@transaction.atomic
def notification_preference_set(*, user, email_enabled: bool, language: str | None = None) -> NotificationPreference:
    """Turn ``user``'s notification e-mails on or off, and (when given) set the language they are written in ("":
    the portal's default). Their own choice: not audited, it changes no configuration."""
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    preference.email_enabled = email_enabled
    if language is not None:
        preference.language = _supported_language(language)
    preference.full_clean()
    preference.save()
    return preference


def _supported_language(language: str) -> str:
    if language == "":
        return ""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(
            {"language": _("“%(language)s” is not a language of the portal.") % {"language": language}},
            code="unknown_language",
        )
    return language


def notification_language_remember(*, user, language: str, only_if_unset: bool = False) -> None:
    """Remember the language ``user`` reads the portal in, for their e-mails: when they switch language, and at
    their first login (``only_if_unset``: the browser's language, not over a choice they made). One statement; a
    language the portal does not speak is ignored (the switcher itself refuses it)."""
    if language not in dict(settings.LANGUAGES):
        return
    changed = NotificationPreference.objects.filter(user=user)
    changed = changed.filter(language="") if only_if_unset else changed.exclude(language=language)
    if changed.update(language=language):
        return
    if not NotificationPreference.objects.filter(user=user).exists():
        NotificationPreference.objects.get_or_create(user=user, defaults={"language": language})


def notification_queue(
    *, event: str, payload: dict, actor_id: int | None = None, discarded_version: int | None = None
) -> None:
    """Queue the job that tells people about ``event``, as part of the caller's transaction. A failure to queue it
    is logged, never raised: the change it is about goes ahead without its e-mails."""
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            jobs.defer(notify, event=event, payload=payload, actor_id=actor_id, discarded_version=discarded_version)
    except DatabaseError:
        logger.exception("Could not queue the notifications about %s; the change goes ahead without them.", event)


def _context(*, event: str, payload: dict) -> dict:
    """What every message about one event says (JSON-able: it travels in each message's job)."""
    context = {
        "event": event,
        "component_type": payload["component_type"],
        "component_id": payload["component_id"],
        "version": payload["version"],
        "previous_version": payload.get("previous_version"),
        "environment": payload.get("environment", ""),
        "actor": payload.get("actor", ""),
        "reason": payload.get("reason", ""),
        "url": component_url(payload["component_type"], payload["component_id"]),
        "settings_url": settings_url(),
        "restored_version": None,
    }
    if event == "component.rolled_back":
        version = component_version(payload["component_type"], payload["component_id"], payload["version"])
        context["restored_version"] = version.rolled_back_from if version is not None else None
    return context


@transaction.atomic
def notification_fan_out(
    *, event: str, payload: dict, actor_id: int | None = None, discarded_version: int | None = None
) -> list[int]:
    """Queue one e-mail per person who should hear about ``event`` and wants to (see
    ``selectors.recipient_ids``); returns their user ids. All or none are queued, so a retry sends nobody twice."""
    ids = recipient_ids(event=event, payload=payload, actor_id=actor_id, discarded_version=discarded_version)
    recipients = list(email_recipients(ids).values_list("pk", flat=True))
    if not recipients:
        return []
    context = _context(event=event, payload=payload)
    for recipient_id in recipients:
        jobs.defer(send_email, recipient_id=recipient_id, event=event, context=context)
    return recipients


def notification_send(*, recipient_id: int, event: str, context: dict) -> bool:
    """Send one message (plain text, from the templates under ``templates/notifications/email/``); False when the
    person turned e-mail off, was deactivated or has no address any more. A mail server error is raised (the job
    retries it)."""
    user = email_recipients([recipient_id]).first()
    if user is None:
        return False
    preference = getattr(user, "notification_preference", None)
    with translation.override((preference.language if preference else "") or settings.LANGUAGE_CODE):
        context = {
            **context,
            "recipient": user.get_full_name() or user.get_username(),
            # "agent" / "team" in the recipient's language
            "component_type": get_kind(context["component_type"]).model._meta.verbose_name,
        }
        subject = " ".join(render_to_string(f"notifications/email/{event}.subject.txt", context).split())
        body = render_to_string(f"notifications/email/{event}.txt", context)
        subject = _("[Hive Portal] %(subject)s") % {"subject": subject}
    message = EmailMessage(subject=subject, body=body, to=[formataddr((user.get_full_name(), user.email))])
    message.send()
    return True
