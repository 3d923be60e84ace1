"""The database itself refuses an agent that breaks the rules, whatever code writes it."""

import pytest
from django.db import IntegrityError, transaction

from agents.models import Agent, AgentTool, Tool, ToolVersion

pytestmark = pytest.mark.django_db

VALID = {
    "agent_id": "cards",
    "name": "Cards",
    "model_provider": "openai",
    "model_name": "gpt-4o",
    "model_settings": {},
    "instructions": [],
    "parameters": {},
}


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    "override",
    [
        {"agent_id": "Not A Slug"},
        {"model_provider": "made-up"},
        {"model_name": ""},
        {"name": ""},
        {"model_settings": ["not", "an", "object"]},
        {"instructions": {"not": "a list"}},
        {"parameters": []},
    ],
    ids=lambda o: next(iter(o)),
)
def test_agent__constraint_refuses(override):
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.create(**{**VALID, **override})


@pytest.mark.sqlite_smoke
def test_agent__agent_id_is_unique():
    Agent.objects.create(**VALID)
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.create(**{**VALID, "name": "Other"})


def test_agent__str_and_model_string():
    agent = Agent(**VALID)
    assert str(agent) == "Cards (cards)"
    assert agent.model_string == "openai:gpt-4o"


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    "override",
    [
        {"name": "has spaces"},
        {"name": ""},
        {"source": "made-up"},
        {"parameters": ["not", "an", "object"]},
        {"parameters": {"type": "array"}},
        {"parameters": {}},
    ],
    ids=lambda o: f"{next(iter(o))}={next(iter(o.values()))!r}",
)
def test_tool__constraint_refuses(override):
    with pytest.raises(IntegrityError), transaction.atomic():
        Tool.objects.create(**{"name": "card_lookup", **override})


@pytest.mark.sqlite_smoke
def test_agent_tool__a_tool_once_per_agent_and_settings_cannot_rename_it():
    agent = Agent.objects.create(**VALID)
    tool = Tool.objects.create(name="card_lookup")
    AgentTool.objects.create(agent=agent, tool=tool, position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AgentTool.objects.create(agent=agent, tool=tool, position=2)
    other = Tool.objects.create(name="block_card")
    with pytest.raises(IntegrityError), transaction.atomic():
        AgentTool.objects.create(agent=agent, tool=other, position=2, config={"name": "renamed"})


def test_tool_version__cannot_be_changed():
    tool = Tool.objects.create(name="card_lookup")
    version = ToolVersion.objects.create(tool=tool, version=1, definition=tool.definition())
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        ToolVersion.objects.filter(pk=version.pk).update(change_note="rewritten")
