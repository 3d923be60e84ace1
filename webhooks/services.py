"""Writes for webhooks: endpoints (audited) and deliveries (an outbox row and its job, then each attempt)."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.models import AuditAction, AuditSubject
from audit.services import audit_record
from common import jobs
from webhooks import signing
from webhooks.models import TEST_EVENT, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.selectors import endpoints_for_event
from webhooks.tasks import deliver_webhook
from webhooks.url_safety import pinned_request, validate_webhook_url

ERROR_LENGTH = 500
SECRET_PREFIX = "whsec_"


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def endpoint_snapshot(endpoint: WebhookEndpoint) -> dict:
    """What the audit keeps of an endpoint: never its secret."""
    return {
        "id": endpoint.pk,
        "name": endpoint.name,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "is_active": endpoint.is_active,
        "disabled_reason": endpoint.disabled_reason,
    }


def _audit(endpoint: WebhookEndpoint, action: str, *, actor, reason: str = "", before: dict | None = None) -> None:
    audit_record(
        action=action,
        subject_type=AuditSubject.WEBHOOK_ENDPOINT,
        subject_id=endpoint.pk,
        actor=actor,
        reason=reason,
        before=before,
        after=endpoint_snapshot(endpoint),
    )


def _validate_events(events: list[str]) -> list[str]:
    from versioning.signals import RELEASE_EVENTS

    unknown = sorted(set(events) - set(RELEASE_EVENTS))
    if unknown:
        raise ValidationError({"events": gettext("Unknown event(s): %(events)s.") % {"events": ", ".join(unknown)}})
    return [event for event in RELEASE_EVENTS if event in events]


@transaction.atomic
def endpoint_create(*, name: str, url: str, events: list[str], actor=None) -> WebhookEndpoint:
    """A new active endpoint with a secret generated here (read it from the returned row, once)."""
    try:
        validate_webhook_url(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from None
    endpoint = WebhookEndpoint(
        name=name,
        url=url,
        events=_validate_events(events),
        secret=_new_secret(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    endpoint.full_clean()
    endpoint.save()
    _audit(endpoint, AuditAction.CREATED, actor=actor)
    return endpoint


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, name: str, url: str, events: list[str], is_active: bool, actor=None
) -> WebhookEndpoint:
    """Change an endpoint; turning a disabled one back on clears its failure count and the reason."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = endpoint_snapshot(endpoint)
    if url != endpoint.url:
        try:
            validate_webhook_url(url)
        except ValidationError as exc:
            raise ValidationError({"url": exc.messages}) from None
    endpoint.name, endpoint.url, endpoint.events = name, url, _validate_events(events)
    if is_active and not endpoint.is_active:
        endpoint.consecutive_failures, endpoint.disabled_at, endpoint.disabled_reason = 0, None, ""
    endpoint.is_active = is_active
    endpoint.full_clean()
    endpoint.save()
    _audit(endpoint, AuditAction.UPDATED, actor=actor, before=before)
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor=None) -> WebhookEndpoint:
    """A new secret; the old one stops working at once (requests still queued are signed with the new one)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = _new_secret()
    endpoint.save(update_fields=["secret"])
    _audit(endpoint, AuditAction.UPDATED, actor=actor, reason="Secret rotated.", before=endpoint_snapshot(endpoint))
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, actor=None) -> None:
    _audit(endpoint, AuditAction.DELETED, actor=actor, before=endpoint_snapshot(endpoint))
    endpoint.delete()


def _enqueue(delivery: WebhookDelivery, *, attempt: int, at=None) -> None:
    jobs.defer(deliver_webhook, schedule_at=at, delivery_id=delivery.pk, attempt=attempt)


@transaction.atomic
def webhook_event_record(*, event: str, payload: dict, endpoints: list[WebhookEndpoint] | None = None) -> uuid.UUID:
    """The outbox: one delivery per active endpoint that wants ``event``, all with one event id, and each one's
    first attempt queued — in the caller's transaction, so a release that rolls back sends nothing."""
    event_id = uuid.uuid4()
    now = timezone.now()
    for endpoint in endpoints_for_event(event) if endpoints is None else endpoints:
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=event_id, event=event, payload=payload, created_at=now, next_attempt_at=now
        )
        _enqueue(delivery, attempt=1)
    return event_id


def endpoint_send_test(*, endpoint: WebhookEndpoint, actor=None) -> uuid.UUID:
    """Queue a ``webhook.test`` event to this endpoint alone."""
    who = getattr(actor, "get_username", lambda: str(actor or ""))()
    return webhook_event_record(
        event=TEST_EVENT,
        payload={"endpoint": endpoint.name, "sent_by": who, "message": "A test event from Hive Portal."},
        endpoints=[endpoint],
    )


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery, actor=None) -> WebhookDelivery:
    """Queue one more attempt of the same event (same event id and body) now. Its retries, if it fails, stay
    within HIVE_WEBHOOK_MAX_ATTEMPTS counted over every attempt of the delivery."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    if not delivery.endpoint.is_active:
        raise ValidationError(
            gettext("The endpoint %(endpoint)s is disabled: turn it back on to re-send.")
            % {"endpoint": delivery.endpoint}
        )
    now = timezone.now()
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.save(update_fields=["status", "next_attempt_at"])
    _enqueue(delivery, attempt=delivery.attempts + 1)
    return delivery


def retry_delay(attempt: int) -> timedelta:
    """The wait after failed attempt number ``attempt``: base x 2^(attempt-1), capped."""
    seconds = settings.HIVE_WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, settings.HIVE_WEBHOOK_RETRY_MAX_SECONDS))


def _send(delivery: WebhookDelivery, attempt: int) -> tuple[int | None, str]:
    """POST the signed body; (response code, error). No redirect is followed: a 3xx is a failure."""
    endpoint = delivery.endpoint
    try:
        # The refusal is stored (last_error, the history): in English, whoever's request sends it.
        with translation.override(settings.LANGUAGE_CODE):
            addresses = validate_webhook_url(endpoint.url)  # again: the name may resolve elsewhere since it was saved
    except ValidationError as exc:
        return None, " ".join(exc.messages)
    url, pinned_headers, extensions = pinned_request(endpoint.url, addresses)
    body = signing.body_bytes(
        event_id=str(delivery.event_id),
        event=delivery.event,
        created_at=delivery.created_at.isoformat(),
        data=delivery.payload,
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "HivePortal-Webhooks/1",
        "Hive-Event-Id": str(delivery.event_id),
        "Hive-Event": delivery.event,
        "Hive-Delivery-Attempt": str(attempt),
        signing.SIGNATURE_HEADER: signing.signature_header(endpoint.secret, body),
        **pinned_headers,
    }
    try:
        with httpx.Client(timeout=settings.HIVE_WEBHOOK_TIMEOUT, follow_redirects=False, trust_env=False) as client:
            # To the address just checked, not a second lookup of the name (which could answer otherwise).
            response = client.post(url, content=body, headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        return None, f"{exc.__class__.__name__}: {exc}"[:ERROR_LENGTH]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"[:ERROR_LENGTH]


@transaction.atomic
def delivery_attempt(*, delivery_id: int, attempt: int) -> WebhookDelivery | None:
    """Make attempt number ``attempt`` of a delivery and record it: delivered on a 2xx; otherwise the next attempt
    is queued after ``retry_delay``, or — after HIVE_WEBHOOK_MAX_ATTEMPTS — the delivery is abandoned and counts
    against its endpoint, which is disabled (audited) after HIVE_WEBHOOK_DISABLE_AFTER abandoned in a row.

    The delivery row stays locked during the request (at most HIVE_WEBHOOK_TIMEOUT seconds), so two jobs for the
    same attempt (a re-send racing a retry) send it once: the second finds the count moved on and does nothing."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.attempts != attempt - 1:
        return None
    if delivery.status not in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
        return None
    endpoint = delivery.endpoint
    now = timezone.now()
    if not endpoint.is_active:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.ABANDONED, None
        delivery.last_error = "The endpoint is disabled."
        delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
        return delivery

    code, error = _send(delivery, attempt)
    record = {"attempt": attempt, "at": now.isoformat(), "response_code": code, "error": error}
    delivery.attempts = attempt
    delivery.last_response_code, delivery.last_error = code, error
    if not error:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryStatus.DELIVERED,
            timezone.now(),
            None,
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
    elif attempt < settings.HIVE_WEBHOOK_MAX_ATTEMPTS:
        delay = retry_delay(attempt)
        record["retry_in_seconds"] = int(delay.total_seconds())
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, now + delay
        _enqueue(delivery, attempt=attempt + 1, at=delivery.next_attempt_at)
    else:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.ABANDONED, None
        _count_abandoned(endpoint)
    delivery.history = [*delivery.history, record]
    delivery.save()
    return delivery


def _count_abandoned(endpoint: WebhookEndpoint) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    limit = settings.HIVE_WEBHOOK_DISABLE_AFTER
    if endpoint.is_active and endpoint.consecutive_failures >= limit:
        before = endpoint_snapshot(endpoint)
        endpoint.is_active = False
        endpoint.disabled_at = timezone.now()
        endpoint.disabled_reason = (
            f"Disabled after {endpoint.consecutive_failures} deliveries in a row were abandoned "
            f"({settings.HIVE_WEBHOOK_MAX_ATTEMPTS} attempts each)."
        )
        endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
        _audit(endpoint, AuditAction.DEACTIVATED, actor="webhooks", reason=endpoint.disabled_reason, before=before)
