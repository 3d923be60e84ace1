"""The admin home in a real browser: what each role sees first, and the reviewer's way from the home page to the
review page by keyboard alone (no draft, a draft, a submitted draft, an approved one)."""

import pytest
from playwright.sync_api import expect

from agents.services import agent_update
from tests.browser.helpers import BROWSER_ROLES, make_person, tab_to
from versioning.components import get_kind
from versioning.services import draft_approve, draft_submit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

AGENT = get_kind("agent")


@pytest.fixture
def draft_by(make_agent, django_user_model):
    """``draft_by(state)``: agent "cards" published, and for "draft"/"submitted"/"approved" an open draft by
    the editor "eddie" in that state."""

    def make(state: str):
        make_agent("cards", publish=True)
        if state == "none":
            return
        eddie = make_person(django_user_model, "eddie", "Prompt editor")
        agent = AGENT.model.objects.get(agent_id="cards")
        agent_update(agent=agent, actor=eddie, note="Warmer tone", role="Answers card questions warmly")
        if state in ("submitted", "approved"):
            draft_submit(kind=AGENT, component_id="cards", actor=eddie)
        if state == "approved":
            paula = make_person(django_user_model, "paula", "Publisher")
            draft_approve(kind=AGENT, component_id="cards", actor=paula)

    return make


@pytest.mark.parametrize("state", ["none", "draft", "submitted", "approved"])
@pytest.mark.parametrize("role", BROWSER_ROLES)
def test_home__each_role_and_draft_state(page_as, draft_by, role, state):
    draft_by(state)
    page = page_as(role)
    reviews = role in ("Publisher", "Admin", "superuser")

    review = page.locator("#overview-review")
    if reviews:
        if state == "submitted":
            expect(review).to_contain_text("Agent cards v2")
        else:
            expect(review).to_contain_text("Nothing is waiting for your review.")
    else:
        expect(review).to_have_count(0)
    expect(page.locator("#overview-drafts")).to_contain_text("You have no open drafts.")  # eddie's, not theirs
    groups = page.locator("#content-main .module caption .section")
    expected = ["Agents & teams", "Routing", "Knowledge", "Monitoring"]
    if role in ("Admin", "superuser"):
        expected.append("Administration")
    expect(groups).to_have_text(expected)
    expect(page.locator("#recent-publishes")).to_contain_text("agent cards v1")


def test_home__the_editor_sees_their_draft_and_the_reviewers_comment(live_server, page_as, draft_by, django_user_model):
    from versioning.services import draft_reject

    draft_by("submitted")
    paula = make_person(django_user_model, "paula", "Publisher")
    draft_reject(kind=AGENT, component_id="cards", actor=paula, reason="Too informal for card blocks")
    page = page_as("Prompt editor", "eddie")
    drafts = page.locator("#overview-drafts")
    expect(drafts).to_contain_text("Agent cards v2")
    expect(drafts).to_contain_text("Changes requested")
    expect(drafts).to_contain_text("Too informal for card blocks")
    drafts.get_by_role("link", name="Agent cards v2").click()
    expect(page).to_have_url(
        f"{live_server.url}/admin/agents/agent/{AGENT.model.objects.get(agent_id='cards').pk}/change/"
    )


def test_home__a_publisher_reaches_the_review_page_by_keyboard(live_server, page_as, draft_by):
    draft_by("submitted")
    page = page_as("Publisher")
    tab_to(page, "#overview-review a")
    page.keyboard.press("Enter")
    pk = AGENT.model.objects.get(agent_id="cards").pk
    expect(page).to_have_url(f"{live_server.url}/admin/agents/agent/{pk}/publish/")
