"""The agent, team and prompt fragment change forms in a real browser (Debian's Chromium driven by Playwright), as every role
that may edit, in every draft state: Save sends the form, the success message shows, and the draft holds the
edit. Then each button of the status panel, clicked, does what it says.

These are the paths a request-level test cannot see: a nested <form> in the status panel once left every
field after it, Save buttons included, outside the change form, so pressing Save sent nothing.
"""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from agents.models import Agent
from prompts.models import PromptFragment
from teams.models import Team
from tests.browser.helpers import BROWSER_ROLES, assert_message
from versioning.selectors import component_status

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

KINDS = {
    "agent": (Agent, "agents/agent", "agent_id"),
    "team": (Team, "teams/team", "team_id"),
    "fragment": (PromptFragment, "prompts/promptfragment", "name"),
}
STATES = ("no_draft", "draft", "approved")


def change_url(base: str, kind: str, obj) -> str:
    return f"{base}/admin/{KINDS[kind][1]}/{obj.pk}/change/"


def component_id(kind: str, obj) -> str:
    return getattr(obj, KINDS[kind][2])


def draft_of(kind: str, obj):
    return component_status(kind, component_id(kind, obj)).draft


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", BROWSER_ROLES)
@pytest.mark.parametrize("kind", KINDS)
def test_change_form__save_in_every_role_and_draft_state__keeps_the_edit_in_the_draft(
    live_server, page_as, components_in_every_state, kind, role, state
):
    obj = components_in_every_state[kind][state]
    page = page_as(role)
    page.goto(change_url(live_server.url, kind, obj))
    assert page.evaluate("() => document.querySelector('[name=_save]').form !== null"), "Save belongs to no form"
    text = f"Edited in the browser by {role} ({state})"
    page.fill("#id_description", text)
    page.fill("#id_change_note", "A browser edit")
    page.click("input[name=_continue]")  # Save and continue editing: back on the same form
    page.wait_for_url(change_url(live_server.url, kind, obj))
    assert_message(page, "was changed successfully")
    assert page.input_value("#id_description") == text
    draft = draft_of(kind, obj)
    assert draft is not None and text in json.dumps(draft.config, ensure_ascii=False)
    assert draft.review_state not in ("submitted", "approved")  # an edit clears a submission or an approval
    assert page.errors == []


@pytest.mark.parametrize("kind", KINDS)
def test_panel__submit_for_review(live_server, page_as, components_in_every_state, kind):
    obj = components_in_every_state[kind]["draft"]
    page = page_as("Prompt editor")
    page.goto(change_url(live_server.url, kind, obj))
    page.click("#submit-review")
    page.wait_for_url(change_url(live_server.url, kind, obj))
    assert_message(page, "submitted for review")
    assert draft_of(kind, obj).review_state == "submitted"
    assert page.locator("#submit-review").count() == 0  # nothing left to submit


@pytest.mark.parametrize("kind", KINDS)
def test_panel__discard_draft__form_shows_the_live_version(live_server, page_as, components_in_every_state, kind):
    obj = components_in_every_state[kind]["draft"]
    page = page_as("Prompt editor")
    page.goto(change_url(live_server.url, kind, obj))
    page.click("#discard-draft")  # confirm() is accepted by the fixture
    page.wait_for_url(change_url(live_server.url, kind, obj))
    assert_message(page, "was discarded")
    assert draft_of(kind, obj) is None
    live = component_status(kind, component_id(kind, obj)).published.config
    assert page.input_value("#id_description") == (live.get("description") or "")


@pytest.mark.parametrize("role", ("Publisher", "Admin", "superuser"))
@pytest.mark.parametrize("kind", KINDS)
def test_panel__deactivate_then_activate(live_server, page_as, components_in_every_state, kind, role):
    # The approved agent is in no team, so it may be switched off; teams are never members.
    obj = components_in_every_state[kind]["approved"]
    page = page_as(role)
    page.goto(change_url(live_server.url, kind, obj))
    assert page.inner_text("#toggle-active") == "Deactivate"
    page.click("#toggle-active")
    page.wait_for_url(change_url(live_server.url, kind, obj))
    assert_message(page, "is now inactive")
    obj.refresh_from_db()
    assert obj.is_active is False and draft_of(kind, obj) is not None  # the approved draft is untouched
    page.click("#toggle-active")
    page.wait_for_url(change_url(live_server.url, kind, obj))
    assert_message(page, "is now active")
    obj.refresh_from_db()
    assert obj.is_active is True


def test_panel__editor_sees_changes_but_no_publish_or_activate(live_server, page_as, components_in_every_state):
    obj = components_in_every_state["agent"]["draft"]
    page = page_as("Prompt editor")
    page.goto(change_url(live_server.url, "agent", obj))
    assert page.locator("#toggle-active").count() == 0 and page.locator("#publish-link").count() == 0
    page.click("text=See changes")
    assert page.locator(".hive-diff").count() == 1
    assert "draft" in page.locator(".hive-diff ins").all_inner_texts()  # role: "Answers card questions" → "draft role"
    assert page.locator("#publish-button").count() == 0


@pytest.mark.parametrize("kind", KINDS)
@override_settings(HIVE_REQUIRE_REVIEW=True)
def test_panel__review_reject_then_approve_then_publish(live_server, page_as, components_in_every_state, kind):
    obj = components_in_every_state[kind]["draft"]
    page = page_as("Publisher")
    page.goto(change_url(live_server.url, kind, obj))
    page.click("#publish-link")

    # Reject without a reason: refused with a clear message; with one: sent back.
    page.click("button[name=action][value=reject]")
    assert_message(page, "a reason is required")
    assert draft_of(kind, obj).review_state == ""
    page.fill("#review-note", "Shorter, please")
    page.click("button[name=action][value=reject]")
    assert_message(page, "sent back")
    assert draft_of(kind, obj).review_comment == "Shorter, please"

    # Publishing an unapproved draft is refused while review is required.
    page.click("#publish-button")
    assert_message(page, "needs approval by another publisher")
    assert component_status(kind, component_id(kind, obj)).published.version == 1

    page.click("button[name=action][value=approve]")
    assert_message(page, "is approved")
    page.click("#publish-button")
    page.wait_for_url(change_url(live_server.url, kind, obj))
    assert_message(page, "The runtime serves it now")
    status = component_status(kind, component_id(kind, obj))
    assert status.published.version == 2 and status.draft is None


@pytest.mark.parametrize("role", ("Admin", "superuser"))
@pytest.mark.parametrize("kind", KINDS)
def test_panel__approved_draft__review_and_publish(live_server, page_as, components_in_every_state, kind, role):
    obj = components_in_every_state[kind]["approved"]
    page = page_as(role)
    page.goto(change_url(live_server.url, kind, obj))
    page.click("#publish-link")
    page.fill("#publish-note", "Ship it")
    page.click("#publish-button")
    page.wait_for_url(change_url(live_server.url, kind, obj))
    assert_message(page, "The runtime serves it now")
    status = component_status(kind, component_id(kind, obj))
    assert status.published.version == 2 and status.draft is None
    assert page.locator("#version-status").inner_text().count("v2") >= 1


@pytest.mark.parametrize("kind", KINDS)
def test_panel__links_open_their_pages_for_a_viewer(live_server, page_as, components_in_every_state, kind):
    obj = components_in_every_state[kind]["draft"]
    page = page_as("Viewer")
    links = {"History & rollback": "/versions/", "See changes": "/publish/", "Agno sessions": "/admin/monitoring/"}
    if kind == "agent":
        links["Metrics"] = "/admin/monitoring/agentmetric/dashboard/"
    if kind == "fragment":
        del links["Agno sessions"]  # a fragment runs nowhere by itself
    for text, where in links.items():
        page.goto(change_url(live_server.url, kind, obj))
        assert page.locator("#toggle-active, #submit-review, #discard-draft, #publish-link").count() == 0
        with page.expect_navigation() as navigation:
            page.click(f"#version-status >> text={text}")
        assert navigation.value.status == 200, text
        assert where in page.url, (text, page.url)
    assert page.errors == []
