"""The tool catalogue in a real browser: a business user writes a tool's parameters as rows (never JSON), and an
agent picks the tool from a list."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_message

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only]


def _row(page, number: int):
    return page.locator(".hive-rows[data-name=parameter_rows] .hive-rows__list > li").nth(number - 1)


def test_parameter_editor__rows_become_the_tools_json_schema(live_server, page_as, transactional_db):
    from agents.models import Tool

    page = page_as("Prompt editor")
    page.goto(f"{live_server.url}/admin/agents/tool/add/")
    page.fill("#id_name", "block_card")
    page.fill("#id_description", "Blocks a card at once")
    page.fill("#id_category", "Cards")

    first = _row(page, 1)
    first.locator("input[name=parameter_rows__name]").fill("last4")
    first.locator("select[name=parameter_rows__type]").select_option("string")
    first.locator("input[name=parameter_rows__description]").fill("The card's last four digits")
    first.locator("select[name=parameter_rows__required]").select_option("yes")

    page.get_by_role("button", name="Add a parameter").click()
    second = _row(page, 2)
    second.locator("input[name=parameter_rows__name]").fill("reason")
    second.locator("input[name=parameter_rows__enum]").fill("lost, stolen")

    page.get_by_role("button", name="Add a parameter").click()
    third = _row(page, 3)
    third.locator("input[name=parameter_rows__name]").fill("attempts")
    third.locator("select[name=parameter_rows__type]").select_option("integer")
    third.locator("input[name=parameter_rows__enum]").fill("one, two")  # not integers: refused

    page.click("input[name=_save]")
    expect(page.locator(".errorlist")).to_contain_text("allowed values of an integer parameter must be integers")
    assert not Tool.objects.exists()
    # The rows come back as typed, so only the mistake needs fixing.
    expect(_row(page, 3).locator("input[name=parameter_rows__enum]")).to_have_value("one, two")
    _row(page, 3).locator("input[name=parameter_rows__enum]").fill("1, 2, 3")
    page.click("input[name=_save]")

    assert_message(page, "was added successfully")
    tool = Tool.objects.get(name="block_card")
    assert tool.parameters == {
        "type": "object",
        "properties": {
            "last4": {"type": "string", "description": "The card's last four digits"},
            "reason": {"type": "string", "enum": ["lost", "stolen"]},
            "attempts": {"type": "integer", "enum": [1, 2, 3]},
        },
        "required": ["last4"],
    }

    # Opened again, the same rows are there to edit, and removing one drops the parameter.
    page.goto(f"{live_server.url}/admin/agents/tool/{tool.pk}/change/")
    expect(_row(page, 2).locator("input[name=parameter_rows__name]")).to_have_value("reason")
    _row(page, 3).get_by_role("button", name="Remove").click()
    page.fill("#id_change_note", "Attempts are not asked for")
    page.click("input[name=_save]")
    assert_message(page, "was changed successfully")
    tool.refresh_from_db()
    assert list(tool.parameters["properties"]) == ["last4", "reason"] and tool.version == 2


def test_agent_form__tools_are_chosen_from_the_catalogue(live_server, page_as, transactional_db):
    from agents.models import Agent
    from agents.services import agent_create, tool_create

    tool_create(actor="setup", name="block_card", description="Blocks a card")
    agent = agent_create(
        actor="setup", note="setup", agent_id="cards", name="Cards", model_provider="openai", model_name="gpt-4o",
        tools=["card_lookup"],
    )  # fmt: skip
    page = page_as("Prompt editor")
    page.goto(f"{live_server.url}/admin/agents/agent/{agent.pk}/change/")
    tools = page.locator(".hive-rows[data-name=tools]")
    tools.get_by_role("button", name="Add a tool").click()
    rows = tools.locator(".hive-rows__list > li")
    rows.last.locator("select[name=tools__tool]").select_option("block_card")
    rows.last.locator("input[name=tools__description]").fill("Blocks a PagBank card")
    page.fill("#id_change_note", "Cards can be blocked")
    page.click("input[name=_save]")

    assert_message(page, "was changed successfully")
    links = list(Agent.objects.get(agent_id="cards").tool_links.select_related("tool"))
    assert [(link.tool.name, link.description) for link in links] == [
        ("card_lookup", ""),
        ("block_card", "Blocks a PagBank card"),
    ]
