"""The webhook delivery log in a real browser: the Admin role re-sends; other roles cannot reach webhooks."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_message

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only]


@pytest.fixture
def abandoned_delivery(transactional_db, settings):
    from webhooks.models import WebhookDelivery
    from webhooks.services import endpoint_create, webhook_event_record

    settings.HIVE_WEBHOOK_ALLOW_PRIVATE = True
    endpoint_create(name="ops-receiver", url="http://127.0.0.1:9/hook", events=[])
    webhook_event_record(event="component.published", payload={"component_id": "cards"})
    WebhookDelivery.objects.update(status="abandoned", attempts=8, last_response_code=500, last_error="HTTP 500")
    return WebhookDelivery.objects.get()


def test_delivery_log__admin_resends(live_server, page_as, abandoned_delivery):
    page = page_as("Admin")
    page.goto(f"{live_server.url}/admin/webhooks/webhookdelivery/")
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text("Abandoned")
    expect(row).to_contain_text("500")

    row.get_by_role("button", name="Re-send").click()

    assert_message(page, "Re-send of event")
    expect(page.locator("#result_list tbody tr").first).to_contain_text("Pending")


@pytest.mark.parametrize("role", ["Prompt editor", "Publisher"])
def test_webhooks__other_roles__cannot_reach_endpoint_management(live_server, page_as, abandoned_delivery, role):
    page = page_as(role)
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("#content-main")).not_to_contain_text("Webhook")
    response = page.goto(f"{live_server.url}/admin/webhooks/webhookendpoint/")
    assert response is not None and response.status == 403
