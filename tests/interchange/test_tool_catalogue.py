"""Imports create catalogue tools or match the ones the catalogue has (Hive YAML, the portal's YAML, Agno JSON)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from agents.models import Agent, AgentTool, Tool, ToolVersion
from agents.services import tool_create
from interchange.documents import ConfigFileErrors
from interchange.importing import components_import
from interchange.writer import dump_document
from versioning.selectors import component_status

os.environ.setdefault("AGNO_TELEMETRY", "false")
pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "automagik"
LAST4 = {"type": "object", "properties": {"last4": {"type": "string"}}, "required": ["last4"]}


def _agent_file(tmp_path: Path, agent_id: str, tools: list) -> Path:
    config = {
        "id": agent_id,
        "name": agent_id.title(),
        "model": {"provider": "openai", "id": "gpt-4o", "params": {}},
        "instructions": ["Be brief."],
        "tools": tools,
    }
    path = tmp_path / f"{agent_id}.yaml"
    path.write_text(dump_document(kind="agent", config=config), encoding="utf-8")
    return path


def _links(agent_id: str) -> list[tuple[str, str, dict]]:
    agent = Agent.objects.get(agent_id=agent_id)
    return [(link.tool.name, link.description, link.config) for link in agent.tool_links.select_related("tool")]


def test_hive_yaml__toolkit_in_the_catalogue__is_matched_and_its_instructions_stay_with_the_agent(tmp_path):
    shell = tool_create(actor="t", name="ShellTools", description="Runs shell commands", source="toolkit")
    folder = tmp_path / "ai" / "agents" / "template-agent"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "template-agent.config.yaml", folder / "config.yaml")

    components_import(paths=[tmp_path], actor="importer")

    assert Tool.objects.count() == 1 and ToolVersion.objects.filter(tool=shell).count() == 1
    assert _links("template-agent") == [
        ("ShellTools", "", {"instructions": ["Execute only the command: echo 'CACHE HOT RELOAD OK'"]})
    ]
    tools = component_status("agent", "template-agent").draft.config["tools"]
    assert tools == [
        {
            "name": "ShellTools",
            "description": "Runs shell commands",
            "instructions": ["Execute only the command: echo 'CACHE HOT RELOAD OK'"],
        }
    ]


def test_portal_yaml__same_definition_matches__new_name_is_created__other_words_stay_on_the_link(tmp_path):
    tool_create(actor="t", name="card_lookup", description="Finds a card", parameters=LAST4)
    _agent_file(
        tmp_path,
        "cards",
        [
            {"name": "card_lookup", "description": "Finds a card", "parameters": LAST4},  # identical: matched
            {"name": "block_card", "description": "Blocks a card", "parameters": LAST4},  # new: created
        ],
    )
    _agent_file(tmp_path, "support", [{"name": "card_lookup", "description": "Finds the customer's card"}])

    report = components_import(paths=[tmp_path], actor="importer")

    assert sorted(c.action for c in report.changes) == ["created", "created"]
    assert sorted(Tool.objects.values_list("name", flat=True)) == ["block_card", "card_lookup"]
    assert Tool.objects.get(name="card_lookup").version == 1  # an import never rewrites the catalogue
    assert Tool.objects.get(name="block_card").parameters == LAST4
    assert _links("cards") == [("card_lookup", "", {}), ("block_card", "", {})]
    assert _links("support") == [("card_lookup", "Finds the customer's card", {})]
    assert any("support.yaml:" in w and "other words" in w for w in report.warnings), report.warnings
    assert any("cards.yaml:" in w and "“block_card” is not in the tool catalogue" in w for w in report.warnings)
    assert not any("“card_lookup” declares" in w for w in report.warnings)

    # The same files again change nothing: the files say what the catalogue says.
    again = components_import(paths=[tmp_path], actor="importer")
    assert [c.action for c in again.changes] == ["unchanged", "unchanged"]
    assert AgentTool.objects.count() == 3 and Tool.objects.count() == 2


def test_portal_yaml__tool_parameters_not_a_json_schema__refused_at_the_file_line_nothing_written(tmp_path):
    _agent_file(tmp_path, "cards", [{"name": "card_lookup", "parameters": {"type": "object", "properties": {"x": 5}}}])
    with pytest.raises(ConfigFileErrors) as caught:
        components_import(paths=[tmp_path], actor="importer")
    text = str(caught.value)
    assert "cards.yaml:" in text and "card_lookup" in text and "JSON Schema" in text
    assert not Tool.objects.exists() and not Agent.objects.exists()


def test_agno_json__function_the_catalogue_has__is_matched(tmp_path):
    from agno.agent import Agent as AgnoAgent
    from agno.models.anthropic import Claude

    def lookup(order_id: str) -> str:
        """Look an order up."""
        return "ok"

    agno_agent = AgnoAgent(id="orders", name="Orders", model=Claude(id="claude-sonnet-4-20250514"), tools=[lookup])
    document = agno_agent.to_dict()
    function = document["tools"][0]
    tool = tool_create(actor="t", name="lookup", description=function["description"], parameters=function["parameters"])
    (tmp_path / "orders.json").write_text(json.dumps(document), encoding="utf-8")

    components_import(paths=[tmp_path], actor="importer")

    assert list(Tool.objects.all()) == [tool] and Tool.objects.get().version == 1
    assert _links("orders") == [("lookup", "", {})]


def test_portal_yaml__other_parameters_than_the_catalogues__kept_as_the_agents_own_with_a_warning(tmp_path):
    tool_create(actor="t", name="card_lookup", description="Finds a card", parameters=LAST4)
    other = {"type": "object", "properties": {"card_id": {"type": "string"}}, "required": []}
    _agent_file(tmp_path, "cards", [{"name": "card_lookup", "description": "Finds a card", "parameters": other}])

    report = components_import(paths=[tmp_path], actor="importer")

    assert Tool.objects.get(name="card_lookup").parameters == LAST4
    assert _links("cards") == [("card_lookup", "", {"parameters": other})]
    assert component_status("agent", "cards").draft.config["tools"][0]["parameters"] == other
    assert any("declares other parameters" in w for w in report.warnings), report.warnings
