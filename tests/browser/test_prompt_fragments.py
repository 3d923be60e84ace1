"""The issue's story in a real browser: a prompt editor changes the shared “tone of voice” fragment once and submits
it; a publisher (who did not edit it: four eyes) sees the seven agents it changes, reviews one diff, approves and
publishes them all at once."""

from __future__ import annotations

import pytest
from django.test import override_settings

from prompts.models import PromptFragment
from prompts.services import fragment_create, variable_create
from tests.browser.helpers import assert_message
from versioning.components import get_kind
from versioning.models import ComponentVersion
from versioning.selectors import component_status
from versioning.services import component_publish

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

AGENTS = ("cards", "pix", "loans", "insurance", "investments", "accounts", "fraud")


@pytest.fixture
def seven_agents(make_agent):
    variable_create(actor="test-setup", name="customer_name", type="string", required=True)
    fragment = fragment_create(
        actor="test-setup", note="shared", name="tone-of-voice", title="Tone of voice",
        text="Fale com {{ customer_name }} de forma cordial.",
    )  # fmt: skip
    component_publish(kind=get_kind("fragment"), component_id="tone-of-voice", actor="test-setup")
    for agent_id in AGENTS:
        make_agent(agent_id, name=agent_id.title(), instructions=["{{> tone-of-voice }}", "Seja breve."], publish=True)
    make_agent("other", name="Other", publish=True)  # includes nothing: stays as it is
    return fragment


def live_version(agent_id: str) -> ComponentVersion:
    return component_status("agent", agent_id).published


@override_settings(HIVE_REQUIRE_REVIEW=True)
def test_edit_the_tone_once__publisher_sees_seven_agents__publishes_them_all(live_server, page_as, seven_agents):
    url = f"{live_server.url}/admin/prompts/promptfragment/{seven_agents.pk}/change/"
    editor = page_as("Prompt editor")
    editor.goto(url)
    for agent_id in AGENTS:  # the form lists who uses it before anything is saved
        assert f"agent {agent_id}" in editor.inner_text(".field-used_by")
    editor.fill("#id_text", "Fale com {{ customer_name }} com carinho e sem jargão.")
    editor.fill("#id_change_note", "Tom mais caloroso")
    editor.click("input[name=_continue]")
    assert_message(editor, "was changed successfully")
    assert "com carinho e sem jargão" in editor.inner_text(".field-rendered")
    editor.click("#submit-review")
    assert_message(editor, "submitted for review")

    publisher = page_as("Publisher")
    publisher.goto(url)
    publisher.click("#publish-link")
    panel = publisher.locator("#fragment-dependents")
    for agent_id in AGENTS:
        assert f"agent {agent_id}" in panel.inner_text()
    assert "agent other" not in panel.inner_text()
    assert "com carinho" in " ".join(publisher.locator(".hive-diff ins").all_inner_texts())  # the one diff
    publisher.click("button[name=action][value=approve]")
    assert_message(publisher, "is approved")
    publisher.fill("#publish-note", "Novo tom para todos")
    publisher.click("#publish-button")
    publisher.wait_for_url(url)
    assert_message(publisher, "The runtime serves it now")

    fragment_version = component_status("fragment", "tone-of-voice").published.version
    for agent_id in AGENTS:
        live = live_version(agent_id)
        assert live.version == 2, agent_id
        assert live.config["instructions"][0] == "Fale com {customer_name} com carinho e sem jargão."
        assert live.config["prompt"]["fragments"] == {"tone-of-voice": fragment_version}
    assert live_version("other").version == 1
    assert PromptFragment.objects.get(name="tone-of-voice").version == f"v{fragment_version}"


def test_agent_form__shows_the_prompt_as_the_runtime_gets_it(live_server, page_as, seven_agents):
    from agents.models import Agent

    agent = Agent.objects.get(agent_id="cards")
    page = page_as("Prompt editor")
    page.goto(f"{live_server.url}/admin/agents/agent/{agent.pk}/change/")
    rendered = page.inner_text(".field-rendered_prompt")
    assert "Fale com {customer_name} de forma cordial." in rendered
    assert "tone-of-voice v1" in rendered
    values = page.evaluate(
        "() => [...document.querySelectorAll('#agent_form textarea, #agent_form input')].map(e => e.value)"
    )
    assert "{{> tone-of-voice }}" in values  # the form edits what people wrote


def test_fragment_form__malformed_marker__form_error_nothing_saved(live_server, page_as, seven_agents):
    page = page_as("Prompt editor")
    page.goto(f"{live_server.url}/admin/prompts/promptfragment/{seven_agents.pk}/change/")
    page.fill("#id_text", "Fale com {{ nome do cliente }}.")
    page.fill("#id_change_note", "typo")
    page.click("input[name=_continue]")
    assert "is neither an include" in page.inner_text(".errorlist")
    assert component_status("fragment", "tone-of-voice").draft is None
