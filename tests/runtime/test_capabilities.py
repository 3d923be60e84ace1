"""Capabilities and knowledge domains on the runtime path: carried in the agent documents under
``metadata.hive`` (which Agno's strict loader accepts), and filters of the agent index over what is served."""

import pytest
from django.urls import reverse

from agents.services import agent_update
from common.agno_documents import agent_document, portal_config
from tests.runtime.test_agno_documents import load_agent

pytestmark = pytest.mark.django_db

REFUNDS = {"name": "refunds", "description": "Refunds card purchases", "parameters": {"max_amount": 500}}
BLOCK = {"name": "card-block", "description": "", "parameters": {}}
CARDS = {"domain": "credit-cards", "priority": 1, "description": "Limits, invoices, fees"}
PIX = {"domain": "pix", "priority": 2, "description": ""}


def index(client, **query) -> list[str]:
    response = client.get(reverse("api:v1:agent-index"), query)
    assert response.status_code == 200, response.content
    return [agent["id"] for agent in response.json()["agents"]]


@pytest.fixture
def agents(make_agent):
    """``cards`` (refunds, card-block; credit-cards then pix) and ``pix`` (pix only), both published;
    ``loans`` has refunds in a draft only."""
    make_agent("cards", publish=True, capabilities=[REFUNDS, "card-block"], knowledge_domains=[PIX, CARDS])
    make_agent("pix", publish=True, name="Pix specialist", knowledge_domains=["pix"])
    loans = make_agent("loans", publish=True, name="Loans")
    agent_update(agent=loans, actor="eddie", note="not published", capabilities=[REFUNDS])


# --- The documents ------------------------------------------------------------------------------------------


def test_agent_document__carries_them_under_metadata_hive__agno_loads_it_strictly(runtime_client, agents):
    document = runtime_client.get(reverse("api:v1:agent-config", args=["cards"])).json()
    hive = document["metadata"]["hive"]
    assert hive["capabilities"] == [REFUNDS, BLOCK]
    assert hive["knowledge_domains"] == [CARDS, PIX]  # by priority
    assert "capabilities" not in document and "knowledge_domains" not in document
    assert "parameters" not in hive  # not lumped with the keys Agno does not know
    agent = load_agent(document)
    assert agent.metadata["hive"]["capabilities"] == [REFUNDS, BLOCK]


def test_agent_without_them__document_has_neither(runtime_client, agents):
    hive = runtime_client.get(reverse("api:v1:agent-config", args=["loans"])).json()["metadata"]["hive"]
    assert "capabilities" not in hive and "knowledge_domains" not in hive  # loans' draft is not served


def test_bundle_and_team_member_documents__carry_them(runtime_client, agents, make_team):
    from agents.models import Agent

    make_team("router", members=list(Agent.objects.filter(agent_id__in=["cards", "pix"])), publish=True)
    bundle = runtime_client.get(reverse("api:v1:bundle")).json()
    assert bundle["agents"]["cards"]["metadata"]["hive"]["capabilities"] == [REFUNDS, BLOCK]
    team = runtime_client.get(reverse("api:v1:team-config", args=["router"])).json()
    member = team["metadata"]["hive"]["components"]["agents"]["pix"]
    assert member["metadata"]["hive"]["knowledge_domains"] == [{"domain": "pix", "priority": 1, "description": ""}]


def test_document__reads_back_into_the_same_configuration():
    """``export_components --format agno`` writes documents; importing one gives the configuration back."""
    config = {
        "id": "cards",
        "name": "Cards",
        "model": {"provider": "openai", "id": "gpt-4o", "params": {}},
        "capabilities": [REFUNDS],
        "knowledge_domains": [CARDS],
    }
    assert portal_config("agent", agent_document(config, {"version": 1})) == config


# --- The index filters -----------------------------------------------------------------------------------------


def test_index__filters_by_capability_and_knowledge_domain(runtime_client, agents):
    assert index(runtime_client) == ["cards", "loans", "pix"]
    assert index(runtime_client, capability="refunds") == ["cards"]  # loans' refunds is only a draft
    assert index(runtime_client, capability="card-block") == ["cards"]
    assert index(runtime_client, knowledge_domain="pix") == ["cards", "pix"]
    assert index(runtime_client, knowledge_domain="pix", capability="refunds") == ["cards"]
    assert index(runtime_client, knowledge_domain="credit-cards", capability="nothing-like-it") == []
    assert index(runtime_client) == ["cards", "loans", "pix"]  # each filter is its own cached document


def test_index__filter_follows_what_is_published(runtime_client, agents):
    from versioning.components import get_kind
    from versioning.services import component_publish

    assert index(runtime_client, capability="refunds") == ["cards"]
    component_publish(kind=get_kind("agent"), component_id="loans", actor="paula")
    assert index(runtime_client, capability="refunds") == ["cards", "loans"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"capability": "Refunds Now"}, "capability"),
        ({"capability": ""}, "capability"),
        ({"knowledge_domain": "pix!"}, "knowledge_domain"),
        ({"knowledge_domain": "x" * 101}, "knowledge_domain"),
    ],
)
def test_index__bad_filter__400_naming_the_field(runtime_client, agents, query, field):
    response = runtime_client.get(reverse("api:v1:agent-index"), query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"] and error["message"].startswith(f"{field}:")
