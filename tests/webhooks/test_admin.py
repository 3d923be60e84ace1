"""The webhook admin: the form refuses bad URLs, only the Admin role manages endpoints, re-send queues."""

from __future__ import annotations

import pytest

from hive_portal.testing import queued_jobs
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

ADD_URL = "/admin/webhooks/webhookendpoint/add/"


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://example.com/hook", "http:// or https://"),
        ("http://127.0.0.1:9000/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
    ],
)
def test_add_endpoint__bad_url__form_error(client, portal_admin, url, message):
    client.force_login(portal_admin)
    response = client.post(ADD_URL, {"name": "bad", "url": url, "is_active": "on"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_add_endpoint__secret_shown_once_to_the_admin_and_audited(client, portal_admin, settings):
    from audit.models import AuditRecord

    settings.HIVE_WEBHOOK_ALLOW_PRIVATE = True
    client.force_login(portal_admin)
    response = client.post(
        ADD_URL, {"name": "ops", "url": "http://127.0.0.1:9/hook", "events": ["component.published"], "is_active": "on"}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in response.content.decode()
    assert endpoint.events == ["component.published"]
    change = client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret not in change
    record = AuditRecord.objects.get(subject_type="webhook_endpoint")
    assert endpoint.secret not in str(record.after)


@pytest.mark.parametrize("role", ["viewer", "editor", "publisher"])
def test_other_roles__cannot_reach_webhooks(client, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/admin/webhooks/webhookendpoint/").status_code == 403
    assert client.get("/admin/webhooks/webhookdelivery/").status_code == 403
    assert client.get(ADD_URL).status_code == 403


def test_resend_button__queues_an_attempt(client, portal_admin, settings):
    from webhooks.services import endpoint_create, webhook_event_record

    settings.HIVE_WEBHOOK_ALLOW_PRIVATE = True
    endpoint = endpoint_create(name="ops", url="http://127.0.0.1:9/hook", events=[], actor=portal_admin)
    webhook_event_record(event="component.published", payload={"component_id": "cards"})
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="abandoned", attempts=8, next_attempt_at=None)
    client.force_login(portal_admin)

    page = client.get("/admin/webhooks/webhookdelivery/").content.decode()
    assert "Re-send" in page
    response = client.post(f"/admin/webhooks/webhookdelivery/{delivery.pk}/resend/")

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert [job["args"] for job in queued_jobs("webhooks.deliver")][-1] == {"delivery_id": delivery.pk, "attempt": 9}
    assert endpoint.deliveries.count() == 1
