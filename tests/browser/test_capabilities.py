"""Capabilities and knowledge domains on the agent change form in a real browser, as every role that may edit:
the person adds rows to the inlines (one through "Add another"), saves, and the agent's draft holds them; a
mistake in a capability's parameters is shown at the row and nothing is saved. The rows pass axe's checks."""

from __future__ import annotations

import pytest

from agents.models import Agent
from tests.browser.helpers import BROWSER_ROLES, assert_message
from tests.browser.test_accessibility import violations
from tests.browser.test_change_forms import change_url, draft_of

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("role", BROWSER_ROLES)
def test_agent_form__add_a_capability_and_a_knowledge_domain__saved_in_the_draft(
    live_server, page_as, components_in_every_state, role
):
    agent = components_in_every_state["agent"]["no_draft"]
    page = page_as(role)
    url = change_url(live_server.url, "agent", agent)
    page.goto(url)
    page.fill("#id_capability_rows-0-name", "refunds")
    page.fill("#id_capability_rows-0-description", "Refunds card purchases")
    page.fill("#id_capability_rows-0-parameters", '{"max_amount": 500}')
    page.click("#capability_rows-group .add-row a")  # Django's "Add another" row, built by the admin's script
    page.fill("#id_capability_rows-1-name", "card-block")
    page.fill("#id_knowledge_domain_rows-0-domain", "credit-cards")
    page.fill("#id_knowledge_domain_rows-0-priority", "1")
    page.fill("#id_change_note", "Capabilities in the browser")
    page.click("input[name=_continue]")
    page.wait_for_url(url)
    assert_message(page, "was changed successfully")

    draft = draft_of("agent", agent)
    assert draft is not None
    assert draft.config["capabilities"] == [
        {"name": "refunds", "description": "Refunds card purchases", "parameters": {"max_amount": 500}},
        {"name": "card-block", "description": "", "parameters": {}},
    ]
    assert draft.config["knowledge_domains"] == [{"domain": "credit-cards", "priority": 1, "description": ""}]
    # The saved rows are on the form again, editable.
    assert page.input_value("#id_capability_rows-0-name") == "refunds"
    assert page.input_value("#id_knowledge_domain_rows-0-domain") == "credit-cards"
    assert violations(page) == []  # the rows' cells, their Delete boxes included, are named for screen readers
    assert page.errors == []


def test_agent_form__parameters_that_are_not_json__shown_at_the_row__nothing_saved(
    live_server, page_as, components_in_every_state
):
    agent = components_in_every_state["agent"]["no_draft"]
    page = page_as("Prompt editor")
    page.goto(change_url(live_server.url, "agent", agent))
    page.fill("#id_capability_rows-0-name", "refunds")
    page.fill("#id_capability_rows-0-parameters", "max_amount: 500")
    page.fill("#id_change_note", "A mistake")
    page.click("input[name=_continue]")
    error = page.locator("#capability_rows-group .errorlist")
    error.first.wait_for()
    assert "Enter a valid JSON" in error.all_inner_texts()[0]
    assert page.input_value("#id_capability_rows-0-parameters") == "max_amount: 500"  # kept as typed
    assert draft_of("agent", agent) is None and not Agent.objects.get(pk=agent.pk).capabilities
