"""The webhook form's URL refusals in the person's language; what a delivery stores stays English."""

from __future__ import annotations

import pytest
from django.utils import translation

from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

ADD_URL = "/admin/webhooks/webhookendpoint/add/"


def test_add_endpoint__private_url__refused_in_portuguese_on_a_portuguese_page(client, portal_admin):
    client.force_login(portal_admin)
    client.cookies["django_language"] = "pt-br"
    response = client.post(ADD_URL, {"name": "bad", "url": "http://127.0.0.1:9000/hook", "is_active": "on"})
    page = response.content.decode()
    assert response.status_code == 200 and not WebhookEndpoint.objects.exists()
    assert "resolve para um endereço privado, de loopback ou link-local (127.0.0.1)" in page
    assert "webhooks só chamam endereços públicos" in page
    assert "webhooks call public addresses only" not in page

    client.cookies["django_language"] = "en"
    response = client.post(ADD_URL, {"name": "bad", "url": "http://user:pw@example.com/hook", "is_active": "on"})
    assert "Put no user name or password in a webhook URL" in response.content.decode()


def test_delivery_refused_by_the_url_check__stored_in_english_even_from_a_portuguese_request(portal_admin, settings):
    from webhooks.services import delivery_attempt, endpoint_create, webhook_event_record

    settings.HIVE_WEBHOOK_ALLOW_PRIVATE = True
    endpoint_create(name="ops", url="http://127.0.0.1:9/hook", events=[], actor=portal_admin)
    webhook_event_record(event="component.published", payload={"component_id": "cards"})
    delivery = WebhookDelivery.objects.get()
    settings.HIVE_WEBHOOK_ALLOW_PRIVATE = False  # the address is checked again before every attempt

    with translation.override("pt-br"):
        delivery_attempt(delivery_id=delivery.pk, attempt=1)

    delivery.refresh_from_db()
    assert delivery.last_error.startswith("The host '127.0.0.1' resolves to a private, loopback or link-local address")
    assert delivery.history[-1]["error"] == delivery.last_error
