"""Evaluation-gated publishing in a real browser (Debian's Chromium driven by Playwright): the demo's route team,
its draft judged by its test cases through real Agno against the local fake model server, as each role sees it.

What a request-level test cannot see: the panel's scripts under the Content-Security-Policy, the progress
script reloading the page by itself when the queued run ends, and the answers opening from the keyboard.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_message, run_queued_jobs
from tests.evaluations.conftest import (  # noqa: F401 - demo, fake_llm and routed_team are fixtures
    CARDS_RULE,
    demo,
    edit_team,
    evaluate,
    fake_llm,
    routed_team,
)
from versioning.components import get_kind
from versioning.selectors import component_status
from versioning.services import draft_approve

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

TEAM = "customer-service-router"
CASE = "Cartão perdido"
WRONG_ROUTE = "Routed to credit-specialist, not to cards-specialist."
ROLES = ("Viewer", "Prompt editor", "Publisher", "Admin")
MAY_RUN = {"Viewer": False, "Prompt editor": True, "Publisher": True, "Admin": True}
USERNAMES = {"Admin": "ada-browser"}  # the demo's superuser is already called "admin"


@pytest.fixture
def team(routed_team):  # noqa: F811 - the fixture imported above
    """The demo's route team, live with the cards rule and a critical routing case (``routed_team``)."""
    return routed_team


def team_url(base: str, team, page: str) -> str:
    return f"{base}/admin/teams/team/{team.pk}/{page}/"


def open_as(page_as, role: str):
    return page_as(role, USERNAMES.get(role))


def without_cards_rule(team) -> list[str]:
    return [instruction for instruction in team.instructions if instruction != CARDS_RULE]


def published_version() -> int:
    return component_status("team", TEAM).published.version


def case_row(page):
    return page.locator("tr.hive-eval-row", has_text=CASE)


def test_story__editor_drops_the_cards_rule__publisher_sees_the_regression_and_is_refused(live_server, page_as, team):
    base = live_server.url
    live = published_version()

    # The prompt editor removes the routing rule in the real change form and saves a draft.
    editor = page_as("Prompt editor")
    editor.goto(team_url(base, team, "change"))
    rule = editor.locator(".hive-rows__row", has=editor.locator("textarea", has_text=CARDS_RULE))
    rule.locator(".hive-rows__remove").click()
    editor.fill("#id_change_note", "Shorter routing text")
    editor.click("input[name=_continue]")
    assert_message(editor, "was changed successfully")
    draft = component_status("team", TEAM).draft
    assert draft is not None and draft.config["instructions"] == without_cards_rule(team)

    # The editor (who writes the cases) runs them from "See changes"; the worker runs the queued job.
    editor.goto(team_url(base, team, "publish"))
    expect(case_row(editor).locator(".hive-eval-status")).to_contain_text("Not run yet")
    editor.click("#run-evaluation")
    assert_message(editor, "2 case run(s) queued")  # the draft and the live version
    run_queued_jobs()
    editor.reload()
    expect(case_row(editor).locator(".hive-eval-status")).to_contain_text("Regression")

    # The publisher sees the red case: the draft routes cards to the credit specialist, the live version did not.
    publisher = page_as("Publisher")
    publisher.goto(team_url(base, team, "publish"))
    row = case_row(publisher)
    expect(row.locator(".hive-eval-status")).to_contain_text("Regression")
    live_cell, draft_cell = row.locator("td").nth(1), row.locator("td").nth(2)
    expect(draft_cell).to_contain_text(WRONG_ROUTE)
    expect(draft_cell).to_contain_text("failed")
    expect(live_cell).to_contain_text("passed")
    expect(live_cell.locator(".hive-eval-failures")).to_have_count(0)

    # Publishing is refused, nothing changes, and a publisher is offered no override.
    publisher.click("#publish-button")
    expect(publisher.locator("#gate-refused")).to_contain_text(f"Critical case “{CASE}” fails: {WRONG_ROUTE}")
    assert published_version() == live
    assert component_status("team", TEAM).draft.version == draft.version
    expect(publisher.locator("#override-reason")).to_have_count(0)
    expect(publisher.locator("#override-button")).to_have_count(0)

    # The refusal links to the review page, which shows the same case.
    publisher.click("#gate-refused >> text=See the test cases")
    expect(case_row(publisher).locator(".hive-eval-status")).to_contain_text("Regression")
    expect(case_row(publisher)).to_contain_text(WRONG_ROUTE)


def test_override__admin_gives_a_reason__published_and_audited(live_server, page_as, team, publisher):
    base = live_server.url
    edit_team(publisher, without_cards_rule(team))
    evaluate("team", TEAM)
    draft = component_status("team", TEAM).draft

    admin = open_as(page_as, "Admin")
    admin.goto(team_url(base, team, "publish"))
    expect(admin.locator("#override-reason")).to_have_count(0)  # offered only once the gate has refused
    admin.click("#publish-button")
    expect(admin.locator("#gate-refused")).to_be_visible()
    reason = "Incident 42: the cards unit is closed today"
    admin.fill("#override-reason", reason)
    expect(admin.locator("#override-button")).to_have_text(f"Publish v{draft.version} anyway")
    admin.click("#override-button")
    admin.wait_for_url(team_url(base, team, "change"))
    assert_message(admin, "The runtime serves it now")
    assert published_version() == draft.version

    admin.goto(f"{base}/admin/audit/auditrecord/")
    row = admin.locator("#result_list tbody tr", has_text="Released despite failing test cases")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(reason)
    expect(row).to_contain_text(TEAM)


@pytest.mark.parametrize("state", ("no_draft", "draft", "evaluated", "approved"))
def test_publish_page__each_role__panel_renders_and_run_button_only_for_those_who_may_run(
    live_server, page_as, team, publisher, settings, state
):
    """One database state per test (setting one up costs more than looking at it), every role looking at it."""
    if state != "no_draft":
        edit_team(publisher, without_cards_rule(team))
    if state == "evaluated":
        evaluate("team", TEAM)
    if state == "approved":
        settings.HIVE_REQUIRE_REVIEW = True
        draft_approve(kind=get_kind("team"), component_id=TEAM, actor="another-reviewer")

    for role in ROLES:
        page = open_as(page_as, role)
        response = page.goto(team_url(live_server.url, team, "publish"))
        assert response is not None and response.status == 200, (role, state)
        run_buttons = page.locator("#run-evaluation")
        if state == "no_draft":
            expect(page.locator("#content-main")).to_contain_text("There is no draft to publish")
            expect(page.locator("#evaluation")).to_have_count(0)
            expect(run_buttons).to_have_count(0)
            continue
        status = case_row(page).locator(".hive-eval-status")
        if state == "evaluated":
            expect(status).to_contain_text("Regression")
            expect(page.locator(".hive-eval-problems")).to_contain_text(f"Critical case “{CASE}” fails")
            expect(run_buttons).to_have_count(0)  # every case has its result: nothing to run
        else:
            expect(status).to_contain_text("Not run yet")
            expect(run_buttons).to_have_count(1 if MAY_RUN[role] else 0)
        if state == "approved":
            expect(page.locator("#content-main")).to_contain_text("Approved")
        assert page.errors == [], (role, state, page.errors)


def test_progress__publisher_starts_a_run__page_reloads_itself_with_the_results(live_server, page_as, team, publisher):
    edit_team(publisher, without_cards_rule(team))
    page = page_as("Publisher")
    page.goto(team_url(live_server.url, team, "publish"))
    page.click("#run-evaluation")
    progress = page.locator("#evaluation-progress")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("0/2")
    expect(page.locator("#run-evaluation")).to_have_count(0)  # one run at a time
    run_queued_jobs()
    # No reload here: the progress script sees the run end and reloads the page.
    expect(case_row(page).locator(".hive-eval-status")).to_contain_text("Regression", timeout=15_000)
    expect(progress).to_have_count(0)


def test_progress__refused_publish_while_running__the_reload_does_not_publish_again(
    live_server, page_as, team, publisher
):
    edit_team(publisher, [*team.instructions, "Seja breve."])  # keeps the routing rule: the cases pass
    live = published_version()
    page = page_as("Publisher")
    page.goto(team_url(live_server.url, team, "publish"))
    page.click("#run-evaluation")
    expect(page.locator("#evaluation-progress")).to_be_visible()
    page.click("#publish-button")  # too early: nothing is evaluated yet
    expect(page.locator("#gate-refused")).to_contain_text("not been evaluated yet")
    expect(page.locator("#evaluation-progress")).to_be_visible()
    run_queued_jobs()
    expect(case_row(page).locator(".hive-eval-status")).to_contain_text("Passes", timeout=15_000)
    assert page.url == team_url(live_server.url, team, "publish")
    assert published_version() == live  # the page loaded again; it did not send the publish form again


def test_case_answers__open_from_the_keyboard(live_server, page_as, team, publisher):
    edit_team(publisher, without_cards_rule(team))
    evaluate("team", TEAM)
    page = page_as("Viewer")
    page.goto(team_url(live_server.url, team, "publish"))
    live_answer, draft_answer = case_row(page).locator("details").all()
    live_answer.locator("summary").focus()
    expect(live_answer.locator("summary")).to_be_focused()  # focusable, so Tab reaches it too
    page.keyboard.press("Enter")
    expect(live_answer).to_have_attribute("open", "")
    expect(live_answer.locator("pre")).to_contain_text("Bloqueei o cartão")
    page.keyboard.press("Tab")  # the next focusable thing is the draft's answer
    expect(draft_answer.locator("summary")).to_be_focused()
    page.keyboard.press("Space")
    expect(draft_answer).to_have_attribute("open", "")
    expect(draft_answer.locator("pre")).to_be_visible()
