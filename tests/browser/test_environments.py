"""Environments in a real browser (Debian's Chromium driven by Playwright): the status panel shows every
environment to every role in every state and offers promotion to publishers only; a publisher promotes and a
runtime with a production key is served the new version; under review one publisher requests, another
approves, then the first promotes; the "what was live when" page answers for a time before the promotion."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from django.utils import timezone

from agents.services import agent_update
from hive_portal.testing import make_api_key
from tests.browser.helpers import BROWSER_ROLES, assert_message
from versioning.components import get_kind
from versioning.models import PromotionRequest, PromotionState
from versioning.promotion import component_promote, promotion_request
from versioning.selectors import live_version
from versioning.services import component_publish, draft_approve

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

AGENT = get_kind("agent")
ROLES = ("Viewer", *BROWSER_ROLES)
STATES = ("no_draft", "draft", "approved", "staging_ahead", "production_equal", "open_request")
CAN_PUBLISH = {"Publisher", "Admin", "superuser"}


def _promote(note="Staging looked good"):
    component_promote(kind=AGENT, component_id="cards", environment="production", actor="setup", note=note)


@pytest.fixture
def cards_in(make_agent):
    """``cards_in(state)``: the agent ``cards`` in one state of its draft or of its environments. Returns
    the change form's URL path. Without a promotion production serves nothing of it."""

    def build(state: str) -> str:
        agent = make_agent("cards", publish=True)
        if state in ("production_equal", "staging_ahead", "open_request"):
            _promote()
        if state in ("draft", "approved", "staging_ahead", "open_request"):
            agent = agent_update(agent=agent, actor="setup", note="Friendlier", role="Answers card questions kindly")
        if state == "approved":
            draft_approve(kind=AGENT, component_id="cards", actor="another-reviewer")
        if state in ("staging_ahead", "open_request"):
            component_publish(kind=AGENT, component_id="cards", actor="setup")
        if state == "open_request":
            promotion_request(
                kind=AGENT, component_id="cards", environment="production", actor="release-manager", note="Ready"
            )
        return f"/admin/agents/agent/{agent.pk}/change/"

    return build


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_status_panel__every_role_and_state__environments_and_the_right_buttons(
    live_server, page_as, cards_in, role, state
):
    url = cards_in(state)
    page = page_as(role)
    page.goto(f"{live_server.url}{url}")
    staging = page.locator("#environment-staging").inner_text()
    production = page.locator("#environment-production").inner_text()
    assert ("v2" if state in ("staging_ahead", "open_request") else "v1") in staging
    if state in ("no_draft", "draft", "approved"):
        assert "not live" in production
    else:
        assert "v1" in production
    differs = state != "production_equal"
    expected = {
        "#promote-production": differs and role in CAN_PUBLISH,
        "#environment-production a.environment-compare": state in ("staging_ahead", "open_request"),
        "#environment-production a.environment-changes": differs and role not in CAN_PUBLISH,
        "#promote-staging": False,  # the first environment is published to, never promoted to
    }
    got = {selector: page.locator(selector).count() == 1 for selector in expected}
    assert got == expected
    if state == "open_request":
        assert "v2 waiting for review" in production and "release-manager" in production


def _runtime_version(base: str, raw_key: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/agents/cards/config", headers={"Authorization": f"Bearer {raw_key}"}
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["metadata"]["hive"]["version"]


def test_publisher_promotes_from_the_change_form__production_runtime_serves_it(live_server, page_as, cards_in):
    url = cards_in("staging_ahead")
    base = live_server.url
    _, production_key = make_api_key("prod-runtime", ["config:read"], environment="production")
    _, staging_key = make_api_key("staging-runtime", ["config:read"])
    assert (_runtime_version(base, staging_key), _runtime_version(base, production_key)) == (2, 1)

    page = page_as("Publisher")
    page.goto(f"{base}{url}")
    page.click("#promote-production")
    assert any("kindly" in text for text in page.locator(".hive-diff ins").all_inner_texts())
    page.fill("#promotion-note", "Staging ran a day without complaints")
    page.click("#promote-button")
    page.wait_for_url(f"{base}{url}")
    assert_message(page, "Promoted cards v2 to production")
    assert "v2" in page.locator("#environment-production").inner_text()
    assert page.locator("#promote-production").count() == 0

    assert _runtime_version(base, production_key) == 2


def test_under_review__one_publisher_requests__another_approves__then_promotes(
    live_server, page_as, cards_in, settings
):
    url = cards_in("staging_ahead")
    settings.HIVE_REQUIRE_REVIEW = True  # after setting up: publishing v2 needed no review
    base = live_server.url
    promote_url = f"{base}{url.replace('/change/', '/promote/production/')}"

    paula = page_as("Publisher", "paula")
    paula.goto(f"{base}{url}")
    paula.click("#promote-production")
    assert paula.locator("#promote-button").count() == 0  # review first
    paula.fill("#promotion-note", "Ready for production")
    paula.click("#request-button")
    assert_message(paula, "another publisher reviews it")
    assert paula.locator("#approve-promotion").count() == 0  # not the requester's to review

    peter = page_as("Publisher", "peter")
    peter.goto(promote_url)
    assert "Waiting for review" in peter.locator("#promotion-request").inner_text()
    peter.fill("#review-note", "Diff reads well")
    peter.click("#approve-promotion")
    assert_message(peter, "Approved")

    paula.goto(promote_url)
    paula.fill("#promotion-note", "Approved by peter")
    paula.click("#promote-button")
    paula.wait_for_url(f"{base}{url}")
    assert_message(paula, "Promoted cards v2 to production")
    assert live_version("agent", "cards", "production").version == 2
    assert PromotionRequest.objects.get().state == PromotionState.DONE


@pytest.mark.parametrize("role", ["Viewer", "Prompt editor"])
def test_viewer_and_editor__read_the_promotion_diff_without_buttons(live_server, page_as, cards_in, role):
    url = cards_in("staging_ahead")
    page = page_as(role)
    page.goto(f"{live_server.url}{url}")
    page.click("#environment-production a.environment-changes")
    assert any("kindly" in text for text in page.locator(".hive-diff ins").all_inner_texts())
    for button in ("#promote-button", "#request-button", "#approve-promotion", "#cancel-promotion"):
        assert page.locator(button).count() == 0


def test_live_at__a_time_before_the_promotion__shows_the_earlier_version(live_server, page_as, cards_in):
    url = cards_in("staging_ahead")  # production: v1
    time.sleep(1.1)  # the page asks to the second: keep "before" after v1's promotion and before v2's
    before = timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M:%S")
    time.sleep(1.1)
    base = live_server.url
    page = page_as("Publisher")
    page.goto(f"{base}{url.replace('/change/', '/promote/production/')}")
    page.fill("#promotion-note", "v2 to production")
    page.click("#promote-button")
    assert_message(page, "Promoted cards v2 to production")

    page = page_as("Viewer")
    page.goto(f"{base}/admin/audit/auditrecord/")
    page.click("#live-at-link")
    rows = page.locator("#live-at tr.live-at-row")
    assert "v2" in rows.first.inner_text()  # production now
    page.select_option("#id_environment", "production")
    page.fill("#id_at", before)
    page.click("#live-at-submit")
    row = page.locator("#live-at tr.live-at-row[data-component='agent:cards']")
    assert "v1" in row.inner_text() and "Staging looked good" in row.inner_text()
    row.get_by_role("link", name="v1").click()
    assert "cards" in page.content()  # the version's own page
