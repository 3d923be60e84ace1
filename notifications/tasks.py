"""Notification jobs (autodiscovered by procrastinate; deferred through common.jobs.defer).

``notifications.notify`` runs once the change committed: it finds the recipients and queues one
``notifications.send_email`` per person, so a message that fails is retried alone (``EmailRetry``) and the
others are not sent twice.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)
MAX_WAIT_SECONDS = 3600


class EmailRetry(BaseRetryStrategy):
    """A mail server that refuses, times out or cannot be reached: try again after base x 2^(n-1) seconds (capped
    at an hour), up to ``HIVE_EMAIL_MAX_ATTEMPTS`` attempts. Any other error (a bug) is not retried."""

    def get_retry_decision(self, *, exception: BaseException, job) -> RetryDecision | None:
        attempt = job.attempts + 1  # procrastinate counts the attempts before this one
        if not isinstance(exception, smtplib.SMTPException | OSError):
            return None
        if attempt >= settings.HIVE_EMAIL_MAX_ATTEMPTS:
            logger.error("E-mail job %s failed %d times; giving up: %s", job.id, attempt, exception)
            return None
        wait = min(settings.HIVE_EMAIL_RETRY_BASE_SECONDS * 2 ** (attempt - 1), MAX_WAIT_SECONDS)
        logger.warning("E-mail job %s failed (attempt %d), retrying in %d s: %s", job.id, attempt, wait, exception)
        return RetryDecision(retry_in={"seconds": wait})


@app.task(name="notifications.notify", queue="notifications", retry=3)
def notify(*, event: str, payload: dict, actor_id: int | None = None, discarded_version: int | None = None) -> None:
    """Queue the e-mails about one event (after its change committed)."""
    from notifications.services import notification_fan_out

    notification_fan_out(event=event, payload=payload, actor_id=actor_id, discarded_version=discarded_version)


@app.task(name="notifications.send_email", queue="notifications", retry=EmailRetry())
def send_email(*, recipient_id: int, event: str, context: dict) -> None:
    """Send one notification to one person, unless they turned e-mail off (or lost their address) meanwhile."""
    from notifications.services import notification_send

    notification_send(recipient_id=recipient_id, event=event, context=context)
