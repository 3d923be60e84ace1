"""The document contract: every runtime document is what Agno 3's own ``to_dict()`` writes, and Agno's own
loader (``Agent.from_dict`` / ``Team.from_dict`` with ``strict=True``) accepts it and writes it back.

Agno is a pinned dependency (requirements.txt: evaluations run it), so these tests always run.
"""

from __future__ import annotations

import copy
import os
import shutil
from io import StringIO
from pathlib import Path

import pytest

os.environ.setdefault("AGNO_TELEMETRY", "false")

from agno.agent import Agent as AgnoAgent  # noqa: E402
from agno.exceptions import ComponentRehydrationError  # noqa: E402
from agno.models.utils import get_model_from_dict  # noqa: E402
from agno.registry import Registry  # noqa: E402
from agno.team import Team as AgnoTeam  # noqa: E402

from common.agno_spec import (
    MODEL_CLASSES,  # noqa: E402
    MODEL_KEYS,  # noqa: E402
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "automagik"
# Agno 3.1.10's from_dict leaves these as TODO (it never rebuilds them): the runtime client sets them.
NOT_REBUILT_BY_AGNO = {"output_model", "parser_model", "events_to_skip"}
# Model settings a provider class fills in when it is built (e.g. Claude's cache flags).
MODEL_IDENTITY = ("provider", "id", "name")


# --- What an application hands Agno's Registry -------------------------------------------------


def live_model(spec: dict):
    """The model class Agno resolves for the document's provider/name, built with every setting."""
    model_class = type(get_model_from_dict(spec))
    params = {k: v for k, v in spec.items() if k not in MODEL_IDENTITY}
    return model_class(id=spec["id"], **params)


def a_tool(name: str):
    def tool(**kwargs) -> str:
        return f"{name} ran"

    tool.__name__ = name
    return tool


class NamedKnowledge:
    """The smallest object Agno accepts as knowledge (agno.knowledge.protocol.KnowledgeProtocol)."""

    def __init__(self, name: str):
        self.name = name

    def build_context(self, **kwargs) -> str:
        return ""

    def get_tools(self, **kwargs):
        return []

    async def aget_tools(self, **kwargs):
        return []


def registry_for(*documents: dict) -> Registry:
    models, tools, knowledge = [], {}, {}
    for doc in documents:
        for key in MODEL_KEYS:
            if isinstance(doc.get(key), dict):
                models.append(live_model(doc[key]))
        for tool in doc.get("tools", []):
            tools[tool["name"]] = a_tool(tool["name"])
        if doc.get("knowledge"):
            name = doc["knowledge"]["name"]
            knowledge[name] = NamedKnowledge(name)
    return Registry(models=models, tools=list(tools.values()), knowledge=list(knowledge.values()))


# --- The round trip --------------------------------------------------------------------------------


def assert_round_trip(document: dict, rebuilt: dict, defaults) -> None:
    """``rebuilt`` (Agno's ``to_dict()`` of what ``from_dict`` built) equals ``document`` key by key,
    apart from keys Agno leaves out because they hold its own default."""
    for key, value in document.items():
        if key in NOT_REBUILT_BY_AGNO:
            continue
        if key == "tools":
            assert [t["name"] for t in rebuilt["tools"]] == [t["name"] for t in value]
            for mine, agnos in zip(value, rebuilt["tools"]):
                if "description" in mine:
                    assert agnos["description"] == mine["description"], mine["name"]
                if mine["parameters"].get("properties"):  # declared here; else Agno reads the function's
                    assert agnos["parameters"]["properties"] == mine["parameters"]["properties"], mine["name"]
                assert not agnos["requires_confirmation"] and not agnos["external_execution"]
            continue
        if key == "model" or key in MODEL_KEYS:
            for setting, expected in value.items():
                assert rebuilt[key].get(setting, getattr(defaults.live_models[key], setting)) == expected, (
                    key,
                    setting,
                )
            continue
        if key in rebuilt:
            assert rebuilt[key] == value, key
        else:
            assert getattr(defaults.fresh, key) == value, f"{key}: Agno left it out, but it is not Agno's default"
    # Agno writes a few defaults anyway (add_search_knowledge_instructions=True): those only.
    extra = {
        k: v for k, v in rebuilt.items() if k not in document and k != "team_id" and getattr(defaults.fresh, k) != v
    }
    assert not extra, f"Agno wrote values the document does not have: {extra}"


class Defaults:
    def __init__(self, fresh, built):
        self.fresh = fresh
        self.live_models = {key: getattr(built, key) for key in MODEL_KEYS if getattr(built, key, None) is not None}


def load_agent(document: dict) -> AgnoAgent:
    agent = AgnoAgent.from_dict(copy.deepcopy(document), registry=registry_for(document), strict=True)
    assert_round_trip(document, agent.to_dict(), Defaults(AgnoAgent(), agent))
    return agent


def load_team(document: dict) -> AgnoTeam:
    members = [
        AgnoAgent.from_dict(copy.deepcopy(doc), registry=registry_for(doc), strict=True)
        for doc in document["metadata"]["hive"]["components"]["agents"].values()
    ]
    registry = registry_for(document)
    registry.agents.extend(members)
    team = AgnoTeam.from_dict(copy.deepcopy(document), registry=registry, strict=True)
    assert_round_trip(document, team.to_dict(), Defaults(AgnoTeam(members=[]), team))
    return team


# --- Every demo and fixture component ---------------------------------------------------------------


@pytest.fixture
def demo(db):
    from hive_portal.demo import load_demo

    load_demo(StringIO())


@pytest.fixture
def fixtures_published(tmp_path):
    from interchange.importing import components_import

    for name in ("template-agent", "template-team"):
        shutil.copy(FIXTURES / f"{name}.config.yaml", tmp_path / f"{name}.yaml")
    components_import(paths=[tmp_path], actor="test", publish=True)


def test_demo__every_agent_and_team__loads_strictly_and_round_trips(runtime_client, demo):
    bundle = runtime_client.get("/api/v1/bundle").json()
    assert set(bundle["agents"]) == {"cards-specialist", "pix-specialist", "credit-specialist"}
    for agent_id, document in bundle["agents"].items():
        agent = load_agent(document)
        assert agent.id == agent_id
        single = runtime_client.get(f"/api/v1/agents/{agent_id}/config").json()
        assert single["metadata"]["hive"].pop("live") is True
        assert single == document  # the bundle and the endpoint deliver the same document

    team_doc = runtime_client.get("/api/v1/teams/customer-service-router/config").json()
    assert team_doc == bundle["teams"]["customer-service-router"]
    team = load_team(team_doc)
    assert [m.id for m in team.members] == ["cards-specialist", "pix-specialist", "credit-specialist"]
    assert team.mode.value == "route" and team.respond_directly is True


def test_demo__models_keep_every_setting_the_portal_holds(runtime_client, demo):
    cards = runtime_client.get("/api/v1/agents/cards-specialist/config").json()
    assert cards["model"] == {
        "provider": "OpenAI", "name": "OpenAIResponses", "id": "gpt-4o", "temperature": 0.3, "max_output_tokens": 1200,
    }  # fmt: skip
    pix = load_agent(runtime_client.get("/api/v1/agents/pix-specialist/config").json())
    assert type(pix.model).__name__ == "Claude"
    assert (pix.model.temperature, pix.model.max_tokens) == (0.3, 1500)


def test_fixtures__automagik_agent_and_team__load_strictly_and_round_trip(runtime_client, fixtures_published):
    agent_doc = runtime_client.get("/api/v1/agents/template-agent/config").json()
    agent = load_agent(agent_doc)
    assert agent.update_memory_on_run is True and agent.enable_session_summaries is True
    assert agent.num_history_runs == 30 and agent.tool_call_limit == 15
    assert agent_doc["model"] == {
        "provider": "OpenAI",
        "name": "OpenAIChat",
        "id": "gpt-5",
        "temperature": 0.3,
        "max_tokens": 4000,
    }
    # What Agno cannot rebuild from a document stays with the portal's data, not dropped.
    assert agent_doc["metadata"]["hive"]["db"] == {"table_name": "template_agent", "auto_upgrade_schema": True}
    assert agent_doc["metadata"]["hive"]["tools"] == {
        "ShellTools": {"instructions": ["Execute only the command: echo 'CACHE HOT RELOAD OK'"]}
    }
    assert agent_doc["metadata"]["hive_source"]["mcp_servers"] == ["agno-docs:*", "search-repo-docs:*"]
    assert "db" not in agent_doc

    team_doc = runtime_client.get("/api/v1/teams/template-team/config").json()
    assert team_doc["members"] == [{"type": "agent", "agent_id": "template-agent"}]
    assert team_doc["output_model"] == {
        "provider": "Anthropic",
        "name": "Claude",
        "id": "claude-haiku-4-20250201",
        "temperature": 0.5,
    }
    team = load_team(team_doc)
    assert [m.id for m in team.members] == ["template-agent"]
    assert (team.model.temperature, team.model.max_tokens) == (0.7, 2000)


# --- What strict loading refuses --------------------------------------------------------------------


def test_unresolvable_tool__agno_strict_load_names_it(runtime_client, demo):
    document = runtime_client.get("/api/v1/agents/cards-specialist/config").json()
    registry = registry_for(document)
    registry.tools[:] = [t for t in registry.tools if t.__name__ != "block_card"]
    with pytest.raises(ComponentRehydrationError, match="block_card"):
        AgnoAgent.from_dict(document, registry=registry, strict=True)


def test_team_members__are_agno_references__not_inline_configs(runtime_client, demo):
    document = runtime_client.get("/api/v1/teams/customer-service-router/config").json()
    assert all(set(m) == {"type", "agent_id"} and m["type"] == "agent" for m in document["members"])
    with pytest.raises(ComponentRehydrationError, match="cards-specialist"):
        AgnoTeam.from_dict(document, registry=registry_for(document), strict=True)  # members not supplied


def test_model_classes__match_agno_provider_table():
    from agno.models.utils import _PROVIDERS

    for key, (name, provider) in MODEL_CLASSES.items():
        module, class_name, default_name, display = _PROVIDERS[key]
        assert (name, provider.lower()) == (default_name, display), key


def test_pagbank_style_agent__knowledge_binding_by_name_and_flags_on_the_agent(runtime_client, tmp_path):
    from django.core.management import call_command

    from tests.interchange.test_hive_format import PAGBANK_AGENT

    (tmp_path / "config.yaml").write_text(PAGBANK_AGENT, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_components", str(tmp_path), "--publish", stdout=out, stderr=err)
    assert (
        f"warning: {tmp_path / 'config.yaml'}:18: “memory.enable_user_memories” is called “update_memory_on_run”"
        in err.getvalue()
    )

    document = runtime_client.get("/api/v1/agents/pagbank/config").json()
    assert document["knowledge"] == {"name": "hive-portal:PagBank"}
    assert document["metadata"]["hive"]["knowledge"] == {
        "name": "hive-portal:PagBank", "business_unit": "PagBank", "max_results": 3, "max_distance": 0.3,
        "valid_metadata_filters": ["business_unit", "category"],
    }  # fmt: skip
    assert document["model"] == {
        "provider": "Anthropic",
        "name": "Claude",
        "id": "claude-sonnet-4-20250514",
        "temperature": 0.1,
        "max_tokens": 2000,
    }
    agent = load_agent(document)
    assert agent.knowledge.name == "hive-portal:PagBank"
    assert agent.search_knowledge is True and agent.enable_agentic_knowledge_filters is True
    assert agent.update_memory_on_run is True and agent.search_past_sessions is True
    assert (agent.model.temperature, agent.model.max_tokens) == (0.1, 2000)
    with pytest.raises(ComponentRehydrationError, match="hive-portal:PagBank"):
        AgnoAgent.from_dict(document, registry=Registry(models=[live_model(document["model"])]), strict=True)


def test_stored_knowledge_grouping__agent_flags_lifted_out_of_knowledge(runtime_client, make_agent):
    """Versions published before the flattening stored Hive's knowledge: section as it was."""
    from django.utils import timezone

    from agents.selectors import agent_config
    from common.hashing import canonical_hash
    from runtime.state import bump_config_generation
    from versioning.models import ComponentVersion, VersionStatus

    agent = make_agent("legacy")  # never published through today's rules, which refuse flags inside knowledge
    config = {**agent_config(agent), "knowledge": {"search_knowledge": True, "business_unit": "cards"}}
    ComponentVersion.objects.create(
        component_type="agent", component_id="legacy", version=99, config=config, content_hash=canonical_hash(config),
        status=VersionStatus.PUBLISHED, change_note="published by an older portal", published_at=timezone.now(),
    )  # fmt: skip
    bump_config_generation()
    document = runtime_client.get("/api/v1/agents/legacy/config").json()
    assert document["knowledge"] == {"name": "hive-portal:cards"} and document["search_knowledge"] is True
    load_agent(document)


def test_catalogue_tools__agent_and_team_leader__load_strictly_and_round_trip(runtime_client, make_team):
    from agents.services import tool_create

    tool_create(
        actor="t",
        name="escalate",
        description="Hand the conversation to a person",
        parameters={"type": "object", "properties": {"reason": {"type": "string"}}, "required": ["reason"]},
    )
    make_team("desk", publish=True, tools=[{"name": "escalate", "description": "Call a supervisor"}])
    team_doc = runtime_client.get("/api/v1/teams/desk/config").json()
    assert team_doc["tools"] == [
        {
            "name": "escalate",
            "description": "Call a supervisor",  # this team's own words; the catalogue's parameters
            "parameters": {"type": "object", "properties": {"reason": {"type": "string"}}, "required": ["reason"]},
        }
    ]
    team = load_team(team_doc)
    assert [t.name for t in team.tools] == ["escalate"]
    agent = load_agent(runtime_client.get("/api/v1/agents/cards/config").json())
    assert [t.name for t in agent.tools] == ["card_lookup"]


def test_prompt_fragments__expanded_text_loads_strictly_and_agno_fills_the_variables(runtime_client, make_team):
    from agno.run import RunContext

    from prompts.services import fragment_create, variable_create
    from versioning.components import get_kind
    from versioning.services import component_publish

    variable_create(actor="t", name="customer_name", type="string", required=True)
    fragment_create(actor="t", note="n", name="tone", title="Tone", text="Fale com {{ customer_name }}.")
    component_publish(kind=get_kind("fragment"), component_id="tone", actor="t")
    make_team("desk", publish=True, instructions=["{{> tone }}", "Route."])
    team_doc = runtime_client.get("/api/v1/teams/desk/config").json()
    assert team_doc["instructions"] == ["Fale com {customer_name}.", "Route."]
    assert team_doc["metadata"]["hive"]["prompt"]["fragments"] == {"tone": 1}
    team = load_team(team_doc)
    assert team.instructions == ["Fale com {customer_name}.", "Route."]
    # Agno itself fills the placeholder from the run's session state.
    from agno.agent._messages import format_message_with_state_variables

    agent = load_agent(runtime_client.get("/api/v1/agents/cards/config").json())
    context = RunContext(run_id="r", session_id="s", session_state={"customer_name": "Maria"})
    assert format_message_with_state_variables(agent, team.instructions[0], context) == "Fale com Maria."
