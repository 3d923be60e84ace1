"""agents.0003: the per-agent tool lists of before the catalogue become catalogue tools and links, and every
agent's configuration stays what it was."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("agents", "0002_tool_catalogue")]
AFTER = [("agents", "0004_remove_agent_tools")]
LAST4 = {"type": "object", "properties": {"last4": {"type": "string"}}}

TOOL_LISTS = {
    "cards": [
        "card_lookup",
        {"name": "block_card", "description": "Blocks a card", "parameters": LAST4},
        {"name": "ShellTools", "instructions": ["Only echo."]},
    ],
    "pix": [{"name": "block_card", "description": "Blocks a card", "parameters": LAST4}, "card_lookup"],
    "odd": [
        {"name": "block_card", "description": "Bloqueia um cartão", "parameters": LAST4},  # other words
        {"name": "card_lookup", "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}},
        {"name": "legacy", "parameters": {"properties": {"q": {"type": "string"}}}},  # no type: never checked
    ],
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_tools_into_catalogue__identical_definitions_share_a_tool__configurations_unchanged():
    from agents.selectors import agent_config

    old = _migrate(BEFORE)
    Agent = old.get_model("agents", "Agent")
    for agent_id, tools in TOOL_LISTS.items():
        Agent.objects.create(agent_id=agent_id, name=agent_id, model_name="gpt-4o", tools=tools)
    try:
        _migrate(AFTER)
    finally:
        _migrate(_latest())

    from agents.models import Agent as CurrentAgent
    from agents.models import AgentTool, Tool

    assert sorted(Tool.objects.values_list("name", flat=True)) == ["ShellTools", "block_card", "card_lookup", "legacy"]
    assert Tool.objects.get(name="legacy").parameters == {"type": "object", "properties": {"q": {"type": "string"}}}
    block = Tool.objects.get(name="block_card")
    assert (block.description, block.parameters, block.version) == ("Blocks a card", LAST4, 1)
    assert block.versions.get().version == 1
    assert Tool.objects.get(name="ShellTools").source == "toolkit"
    odd = {link.tool.name: link for link in AgentTool.objects.filter(agent__agent_id="odd").select_related("tool")}
    assert odd["block_card"].description == "Bloqueia um cartão"
    assert odd["card_lookup"].config == {"parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}
    for agent_id, tools in TOOL_LISTS.items():
        assert agent_config(CurrentAgent.objects.get(agent_id=agent_id))["tools"] == tools


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
