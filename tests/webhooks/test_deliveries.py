"""Release events to signed webhook deliveries: the outbox, signatures, retries, re-send, disabling."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from hive_portal.testing import make_jobs_due, queued_jobs, run_pending_jobs
from versioning.signals import announce_release
from webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.postgres_only

PAYLOAD = {"component_type": "agent", "component_id": "cards", "version": 2}


def test_publish__signed_request_verified_by_the_documented_receiver(
    transactional_db, receiver, endpoint_to, make_agent
):
    endpoint = endpoint_to()

    make_agent("cards", publish=True)  # versioning sends component.published inside the publishing transaction
    run_pending_jobs()

    [request] = receiver.requests
    assert request["verified"] is True
    assert request["body"]["event"] == "component.published"
    assert request["body"]["data"]["component_id"] == "cards"
    assert request["headers"]["Hive-Event"] == "component.published"
    assert request["headers"]["Hive-Delivery-Attempt"] == "1"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert request["headers"]["Hive-Event-Id"] == request["body"]["id"] == str(delivery.event_id)
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (DeliveryStatus.DELIVERED, 1, 200)


def test_signature__wrong_secret__not_verified(transactional_db, receiver, endpoint_to):
    endpoint_to()
    receiver.secret = "whsec_someone-else"
    with transaction.atomic():
        announce_release("component.published", PAYLOAD)
    run_pending_jobs()
    assert [r["verified"] for r in receiver.requests] == [False]


def test_publish_rolled_back__nothing_sent(transactional_db, receiver, endpoint_to):
    endpoint_to()
    with pytest.raises(RuntimeError), transaction.atomic():
        announce_release("component.published", PAYLOAD)
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("the publish fails after the event")

    run_pending_jobs()
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_receiver_fails_twice__delivered_on_attempt_3_with_backoff(transactional_db, receiver, endpoint_to):
    endpoint_to()
    receiver.answers = [500, 503]
    with transaction.atomic():
        announce_release("component.rolled_back", PAYLOAD)

    waits = []
    for _ in range(3):
        run_pending_jobs()
        waits += [(job["scheduled_at"], job["args"]["attempt"]) for job in queued_jobs("webhooks.deliver")]
        make_jobs_due()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 3
    assert [r["headers"]["Hive-Delivery-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert len({r["body"]["id"] for r in receiver.requests}) == 1  # one event id on every attempt
    assert all(r["verified"] for r in receiver.requests)
    assert [(h["response_code"], h.get("retry_in_seconds")) for h in delivery.history] == [
        (500, 30),
        (503, 60),
        (200, None),
    ]
    assert [attempt for _, attempt in waits] == [2, 3]


def test_event_ids__unique_per_endpoint(transactional_db, receiver, endpoint_to):
    endpoint = endpoint_to()
    with transaction.atomic():
        announce_release("component.published", PAYLOAD)
    delivery = WebhookDelivery.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=delivery.event_id, event=delivery.event, created_at=delivery.created_at
        )


def test_event_filter__only_wanted_events(transactional_db, receiver, endpoint_to):
    endpoint_to(events=["rollout.started"])
    with transaction.atomic():
        announce_release("component.published", PAYLOAD)
    assert WebhookDelivery.objects.count() == 0


def test_repeated_failures__delivery_abandoned_and_endpoint_disabled_and_audited(
    transactional_db, settings, receiver, endpoint_to
):
    from audit.models import AuditRecord, AuditSubject

    settings.HIVE_WEBHOOK_MAX_ATTEMPTS = 2
    settings.HIVE_WEBHOOK_DISABLE_AFTER = 2
    endpoint = endpoint_to()
    receiver.answers = [500] * 10
    for _ in range(2):
        with transaction.atomic():
            announce_release("component.published", PAYLOAD)
    for _ in range(3):
        run_pending_jobs()
        make_jobs_due()

    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.ABANDONED}
    endpoint.refresh_from_db()
    assert endpoint.is_active is False and endpoint.disabled_at is not None
    assert "2 deliveries in a row" in endpoint.disabled_reason
    assert AuditRecord.objects.filter(
        subject_type=AuditSubject.WEBHOOK_ENDPOINT, subject_id=str(endpoint.pk), action="deactivated"
    ).exists()
    with transaction.atomic():
        announce_release("component.published", PAYLOAD)
    assert WebhookDelivery.objects.count() == 2  # a disabled endpoint gets nothing new


def test_resend__same_event_id_new_attempt(transactional_db, receiver, endpoint_to, portal_admin):
    from webhooks.services import delivery_resend

    endpoint_to()
    with transaction.atomic():
        announce_release("component.published", PAYLOAD)
    run_pending_jobs()
    delivery = WebhookDelivery.objects.get()

    delivery_resend(delivery=delivery, actor=portal_admin)
    run_pending_jobs()

    assert [r["headers"]["Hive-Delivery-Attempt"] for r in receiver.requests] == ["1", "2"]
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_private_address_refused_at_delivery_time(transactional_db, settings, receiver, endpoint_to):
    endpoint_to()
    with transaction.atomic():
        announce_release("component.published", PAYLOAD)
    settings.HIVE_WEBHOOK_ALLOW_PRIVATE = False  # the name now resolves somewhere the portal may not call

    run_pending_jobs()

    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == DeliveryStatus.FAILED
    assert "loopback" in delivery.last_error
