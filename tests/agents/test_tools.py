"""The tool catalogue: tools as versioned records, picked by agents, changed into the agents' drafts."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from agents.forms import ToolForm
from agents.models import Agent, AgentTool, Tool, ToolVersion
from agents.services import agent_update, tool_create, tool_update
from audit.services import json_diff
from versioning.components import get_kind
from versioning.diffs import summarize_changes
from versioning.selectors import component_status
from versioning.services import component_publish, component_rollback

pytestmark = pytest.mark.django_db

CARD_LOOKUP = {
    "type": "object",
    "properties": {"last4": {"type": "string", "description": "The card's last four digits"}},
    "required": ["last4"],
}


def _tool(name="card_lookup", **fields):
    return tool_create(
        actor="test-setup", name=name, description="Finds a card", parameters=CARD_LOOKUP, category="Cards", **fields
    )


def _form_data(**overrides):
    data = {
        "name": "block_card",
        "description": "Blocks a card",
        "source": "function",
        "category": "Cards",
        "owner": "Cards squad",
        "parameter_rows__present": "1",
        "parameter_rows__name": ["last4", "reason"],
        "parameter_rows__type": ["string", "string"],
        "parameter_rows__description": ["Last four digits", "Why"],
        "parameter_rows__required": ["yes", "no"],
        "parameter_rows__enum": ["", "lost, stolen, damaged"],
        "parameters_schema": "",
        "change_note": "",
    }
    data.update(overrides)
    return data


def _posted(data):
    """As a browser posts it: several inputs may share a name."""
    return MultiValueDict({key: value if isinstance(value, list) else [value] for key, value in data.items()})


# --- The tool form: parameters as rows, a schema checked as JSON Schema ---------------------------------------


def test_tool_form__rows__become_a_json_schema_object():
    form = ToolForm(data=_posted(_form_data()))
    assert form.is_valid(), form.errors
    assert form.instance.parameters == {
        "type": "object",
        "properties": {
            "last4": {"type": "string", "description": "Last four digits"},
            "reason": {"type": "string", "description": "Why", "enum": ["lost", "stolen", "damaged"]},
        },
        "required": ["last4"],
    }


@pytest.mark.parametrize(
    "override, field, message",
    [
        # Not a JSON Schema at all: a type that does not exist.
        (
            {"parameters_schema": '{"type": "object", "properties": {"x": {"type": "strnig"}}}'},
            "parameters_schema",
            "not a valid json schema",
        ),
        ({"parameters_schema": '{"type": "array"}'}, "parameters_schema", "type"),
        (
            {"parameters_schema": '{"type": "object", "properties": {}, "required": ["ghost"]}'},
            "parameters_schema",
            "ghost",
        ),
        ({"parameters_schema": "{not json"}, "parameters_schema", "json"),
        (
            {"parameter_rows__type": ["integer", "string"], "parameter_rows__enum": ["one, two", ""]},
            "parameter_rows",
            "integer",
        ),
        ({"parameter_rows__name": ["last4", "last4"]}, "parameter_rows", "twice"),
        ({"parameter_rows__name": ["has space", "reason"]}, "parameter_rows", "letters"),
        ({"parameter_rows__type": ["string", "boolean"]}, "parameter_rows", "allowed values are for"),
        ({"name": "has space"}, "name", "letters"),
    ],
)
def test_tool_form__bad_parameters__are_a_form_error_naming_the_field(override, field, message):
    form = ToolForm(data=_posted(_form_data(**override)))
    assert not form.is_valid()
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field]).lower()
    assert not Tool.objects.exists()


def test_tool_form__schema_the_rows_cannot_show__is_edited_as_json():
    nested = {
        "type": "object",
        "properties": {"address": {"type": "object", "properties": {"city": {"type": "string"}}}},
        "required": [],
    }
    tool = tool_create(actor="t", name="geo", parameters=nested)
    form = ToolForm(instance=tool)
    assert form.initial["parameters_schema"] == nested
    assert "parameter_rows" not in form.initial


def test_tool_form__changing_a_used_tool__needs_a_change_note(make_agent):
    make_agent("cards", tools=["card_lookup"])
    tool = Tool.objects.get(name="card_lookup")
    form = ToolForm(instance=tool, data=_posted(_form_data(name="card_lookup", description="Other words")))
    assert not form.is_valid()
    assert "change_note" in form.errors


# --- Agents pick tools; a tool change reaches them as drafts -------------------------------------------------


def test_agent_create__names_known_and_new_tools__links_the_catalogue_in_order(make_agent):
    tool = _tool()
    agent = make_agent("cards", tools=["new_tool", "card_lookup"])
    links = list(agent.tool_links.select_related("tool"))
    assert [(link.position, link.tool.name) for link in links] == [(1, "new_tool"), (2, "card_lookup")]
    assert links[1].tool == tool and Tool.objects.count() == 2
    assert ToolVersion.objects.get(tool__name="new_tool").version == 1
    # The configuration (and so the runtime document) holds the catalogue's definition.
    config = component_status("agent", "cards").draft.config
    assert config["tools"] == [
        "new_tool",
        {"name": "card_lookup", "description": "Finds a card", "parameters": CARD_LOOKUP},
    ]


def test_agent__description_for_this_agent_and_settings__stay_on_the_link(make_agent):
    _tool()
    agent = make_agent(
        "cards", tools=[{"name": "card_lookup", "description": "Looks up a PagBank card", "instructions": ["Be brief"]}]
    )
    link = AgentTool.objects.get(agent=agent)
    assert link.description == "Looks up a PagBank card"
    assert link.config == {"instructions": ["Be brief"]}
    assert Tool.objects.get(name="card_lookup").description == "Finds a card"
    assert agent.tools == [
        {
            "name": "card_lookup",
            "description": "Looks up a PagBank card",
            "parameters": CARD_LOOKUP,
            "instructions": ["Be brief"],
        }
    ]


def test_tool_update__new_version_and_a_draft_with_the_change_for_every_agent_using_it(make_agent):
    _tool()
    make_agent("cards", tools=["card_lookup"], publish=True)
    make_agent("pix", tools=[], publish=True)
    tool = Tool.objects.get(name="card_lookup")
    tool_update(tool=tool, actor="eddie", note="Say which card", description="Finds a card by its last digits")
    tool.refresh_from_db()
    assert tool.version == 2
    assert list(tool.versions.values_list("version", flat=True)) == [2, 1]
    status = component_status("agent", "cards")
    assert status.draft is not None and "Say which card" in status.draft.change_note
    # The agent's version diff shows the tool change like any other field.
    lines = summarize_changes(json_diff(status.published.config, status.draft.config))
    assert any("tools" in line for line in lines), lines
    assert status.draft.config["tools"][0]["description"] == "Finds a card by its last digits"
    assert status.published.config["tools"][0]["description"] == "Finds a card"  # live is untouched
    assert component_status("agent", "pix").draft is None


def test_tool_update__nothing_changed__no_version_no_draft(make_agent):
    _tool()
    make_agent("cards", tools=["card_lookup"], publish=True)
    tool = Tool.objects.get(name="card_lookup")
    tool_update(tool=tool, actor="eddie", note="", description="Finds a card")
    assert Tool.objects.get(name="card_lookup").version == 1
    assert component_status("agent", "cards").draft is None


def test_tool_update__bad_schema__refused_and_nothing_written(make_agent):
    _tool()
    make_agent("cards", tools=["card_lookup"], publish=True)
    tool = Tool.objects.get(name="card_lookup")
    with pytest.raises(ValidationError) as caught:
        tool_update(tool=tool, actor="eddie", note="x", parameters={"type": "object", "properties": {"a": 5}})
    assert "parameters" in caught.value.message_dict
    assert Tool.objects.get(name="card_lookup").version == 1
    assert component_status("agent", "cards").draft is None


def test_rollback__restores_the_tools_of_that_version(make_agent):
    _tool()
    _tool("block_card")
    agent = make_agent("cards", tools=["card_lookup"], publish=True)
    agent = agent_update(agent=agent, actor="eddie", note="more tools", tools=["block_card", "card_lookup"])
    component_publish(kind=get_kind("agent"), component_id="cards", actor="paula")
    component_rollback(kind=get_kind("agent"), component_id="cards", to_version=1, actor="paula", note="back")
    agent = Agent.objects.get(agent_id="cards")
    assert [link.tool.name for link in agent.tool_links.select_related("tool")] == ["card_lookup"]


def test_tool_in_use__cannot_be_deleted(make_agent, client, publisher):
    make_agent("cards", tools=["card_lookup"])
    tool = Tool.objects.get(name="card_lookup")
    client.force_login(publisher)
    response = client.post(reverse("admin:agents_tool_delete", args=[tool.pk]), {"post": "yes"})
    assert response.status_code == 200  # Django's page naming the protected links
    assert Tool.objects.filter(pk=tool.pk).exists()


# --- The admin: who may do what ---------------------------------------------------------------------------------


def test_roles__editors_add_and_change_tools__only_publishers_delete(editor, publisher, viewer):
    assert editor.has_perm("agents.add_tool") and editor.has_perm("agents.change_tool")
    assert not editor.has_perm("agents.delete_tool")
    assert publisher.has_perm("agents.delete_tool")
    assert viewer.has_perm("agents.view_tool") and not viewer.has_perm("agents.change_tool")


def test_admin__editor_adds_a_tool_with_the_parameter_rows(client, editor):
    client.force_login(editor)
    response = client.post(reverse("admin:agents_tool_add"), {**_form_data(), "change_note": "new"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    tool = Tool.objects.get(name="block_card")
    assert tool.parameters["required"] == ["last4"]
    assert tool.versions.get().created_by == editor


def test_admin__bad_schema__form_error_not_a_500(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("admin:agents_tool_add"),
        _form_data(parameters_schema='{"type": "object", "properties": {"x": {"type": "strnig"}}}'),
    )
    assert response.status_code == 200
    assert "parameters_schema" in response.context["adminform"].form.errors
    assert not Tool.objects.exists()


def test_admin__agent_form_picks_from_the_catalogue(client, editor, make_agent):
    _tool("block_card")
    agent = make_agent("cards", tools=["card_lookup"])
    client.force_login(editor)
    page = client.get(reverse("admin:agents_agent_change", args=[agent.pk])).content.decode()
    assert '<select name="tools__tool"' in page and '<option value="block_card"' in page
    assert "tools__parameters" not in page  # nobody types a tool as JSON


# --- Teams pick catalogue tools too -----------------------------------------------------------------------------


def test_team__tools_from_the_catalogue__in_its_configuration_and_a_tool_change_drafts_it(make_team):
    from teams.models import TeamTool

    _tool()
    make_team("router", publish=True, tools=["card_lookup"])
    assert [link.tool.name for link in TeamTool.objects.filter(team__team_id="router")] == ["card_lookup"]
    published = component_status("team", "router").published
    assert published.config["tools"] == [
        {"name": "card_lookup", "description": "Finds a card", "parameters": CARD_LOOKUP}
    ]

    tool_update(tool=Tool.objects.get(name="card_lookup"), actor="eddie", note="Clearer", description="Finds cards")
    draft = component_status("team", "router").draft
    assert draft is not None and draft.config["tools"][0]["description"] == "Finds cards"


def test_team__tools_as_a_parameter__refused_they_have_their_own_field(make_team):
    with pytest.raises(ValidationError) as caught:
        make_team("router", parameters={"tools": ["card_lookup"]})
    assert "its own field" in " ".join(caught.value.message_dict["parameters"])


def test_tool_used_by_a_team__cannot_be_deleted(make_team):
    from agents.services import tool_delete

    make_team("router", tools=["card_lookup"])
    with pytest.raises(ValidationError, match="team router"):
        tool_delete(tool=Tool.objects.get(name="card_lookup"), actor="paula")


def test_admin__tool_page_shows_its_versions_and_who_uses_it(client, viewer, make_agent):
    make_agent("cards", tools=["card_lookup"])
    tool = Tool.objects.get(name="card_lookup")
    tool_update(tool=tool, actor="eddie", note="Name the digits", description="Finds a card by its last digits")
    client.force_login(viewer)
    page = client.get(reverse("admin:agents_tool_change", args=[tool.pk])).content.decode()
    assert "v2" in page and "Name the digits" in page and "v1" in page
    assert "agent cards" in page and "No runtime has reported this tool" in page
