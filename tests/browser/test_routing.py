"""The routing page in a real browser (Debian's Chromium driven by Playwright), as every role, in every draft
state: the status panel offers exactly the buttons the role may use. Then a prompt editor changes a path's
keywords and a publisher publishes the routing, and the runtime's classify API follows only the publish."""

from __future__ import annotations

import json
import urllib.request

import pytest

from hive_portal.testing import make_api_key
from tests.browser.helpers import BROWSER_ROLES, assert_message
from typification.models import ROUTING_ID, RoutingTable, TypificationHierarchy
from typification.services import business_unit_route_create, routing_publish, typification_create
from versioning.components import get_kind
from versioning.selectors import component_status
from versioning.services import draft_approve

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROLES = ("Viewer", *BROWSER_ROLES)
STATES = ("no_draft", "draft", "approved")
CAN_CHANGE = {"Prompt editor", "Publisher", "Admin", "superuser"}
CAN_PUBLISH = {"Publisher", "Admin", "superuser"}


@pytest.fixture
def routing_in(make_agent):
    """``routing_in(state)``: a published routing (PagBank › Pix → cards) with no draft, a draft, or an
    approved draft. Returns the routing page's URL path."""

    def build(state: str) -> str:
        cards = make_agent("cards", publish=True)
        typification_create(level1="PagBank", level2="Pix", routing_keywords=["pix"], actor="setup", reason="set up")
        business_unit_route_create(business_unit="PagBank", agent=cards, actor="setup", reason="set up")
        routing_publish(actor="setup")
        if state in ("draft", "approved"):
            typification_create(level1="Crédito", routing_keywords=["empréstimo"], actor="setup", reason="credit unit")
        if state == "approved":
            draft_approve(kind=get_kind("routing"), component_id=ROUTING_ID, actor="another-reviewer")
        return f"/admin/typification/routingtable/{RoutingTable.objects.get().pk}/change/"

    return build


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_routing_page__every_role_and_state__the_right_buttons(live_server, page_as, routing_in, role, state):
    url = routing_in(state)
    page = page_as(role)
    page.goto(f"{live_server.url}{url}")
    panel = page.locator("#version-status")
    assert "v1" in panel.inner_text()
    has_draft = state != "no_draft"
    expected = {
        "#publish-link": has_draft and role in CAN_PUBLISH,
        "#submit-review": state == "draft" and role in CAN_CHANGE,
        "#discard-draft": has_draft and role in CAN_CHANGE,
        "#toggle-active": False,  # routing is always served
    }
    got = {selector: page.locator(selector).count() == 1 for selector in expected}
    assert got == expected
    assert (page.get_by_role("link", name="See changes").count() == 1) == (has_draft and role not in CAN_PUBLISH)
    assert page.get_by_role("link", name="History & rollback").count() == 1
    assert page.locator("input[name=_save]").count() == 0  # nothing to save on this page
    if state == "approved":
        assert "Approved" in panel.inner_text()


def test_routing_page__editor_submits__publisher_discards(live_server, page_as, routing_in):
    url = routing_in("draft")
    page = page_as("Prompt editor")
    page.goto(f"{live_server.url}{url}")
    page.click("#submit-review")
    assert_message(page, "was submitted for review")
    assert component_status("routing", ROUTING_ID).draft.review_state == "submitted"
    page = page_as("Publisher")
    page.goto(f"{live_server.url}{url}")
    page.click("#discard-draft")  # the confirm() dialog is accepted
    assert_message(page, "was discarded")
    assert component_status("routing", ROUTING_ID).draft is None
    assert not TypificationHierarchy.objects.filter(level1="Crédito").exists()


def _classify(base: str, raw_key: str, text: str) -> dict:
    request = urllib.request.Request(
        f"{base}/api/v1/typification/classify",
        data=json.dumps({"text": text}).encode(),
        headers={"Authorization": f"Bearer {raw_key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_editor_edits_a_path__publisher_publishes__runtime_follows(live_server, page_as, routing_in):
    url = routing_in("no_draft")
    base = live_server.url
    _, raw_key = make_api_key("browser-runtime", ["typification:read"])
    assert _classify(base, raw_key, "fiz uma transferência")["results"] == []
    pix = TypificationHierarchy.objects.get(level2="Pix")

    # The prompt editor adds a keyword to the Pix path: a draft, labelled as such; production unchanged.
    page = page_as("Prompt editor")
    page.goto(f"{base}/admin/typification/typificationhierarchy/{pix.pk}/change/")
    page.fill("#id_routing_keywords", "pix\ntransferência")
    page.fill("#id_reason", "Transfers are Pix questions too")
    page.click("input[name=_save]")
    page.wait_for_url(f"{base}/admin/typification/typificationhierarchy/")
    assert_message(page, "Saved to the routing draft")
    assert "differs from what is live" in page.locator("#routing-status").inner_text()
    assert _classify(base, raw_key, "fiz uma transferência")["results"] == []

    # The publisher reviews the diff on the routing page and publishes.
    page = page_as("Publisher")
    page.goto(f"{base}{url}")
    page.click("#publish-link")
    row = page.locator("tr.hive-setting-row").first.inner_text()
    assert "path changed: PagBank › Pix" in row and "transferência" in row
    page.click("#publish-button")
    page.wait_for_url(f"{base}{url}")
    assert_message(page, "The runtime serves it now")
    assert "v2" in page.locator("#version-status").inner_text()

    body = _classify(base, raw_key, "fiz uma transferência")
    assert body["routing_version"] == 2
    assert body["route"] == {"type": "agent", "id": "cards", "name": "Cards specialist"}
