"""An agent's capabilities and knowledge domains: rows the database keeps unique per agent, written through the
agent services, carried in the versioned configuration (draft → published version) and restored by rollback."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agents.models import Agent, AgentCapability, AgentKnowledgeDomain
from agents.selectors import agent_config
from agents.services import agent_update
from versioning.components import get_kind
from versioning.selectors import component_status
from versioning.services import component_publish, component_rollback, draft_discard

pytestmark = pytest.mark.django_db

REFUNDS = {"name": "refunds", "description": "Refunds card purchases", "parameters": {"max_amount": 500}}
BLOCK = {"name": "card-block", "description": "Blocks a lost card", "parameters": {}}
CARDS = {"domain": "credit-cards", "priority": 1, "description": "Limits, invoices, fees"}
PIX = {"domain": "pix", "priority": 2, "description": ""}


def _refused(**fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fields["model"].objects.create(**{k: v for k, v in fields.items() if k != "model"})


# --- The rows and their constraints -----------------------------------------------------------------------------


def test_constraints__refuse_a_capability_twice_or_a_shared_position(make_agent):
    agent = make_agent("cards")
    AgentCapability.objects.create(agent=agent, name="refunds", position=1)
    _refused(model=AgentCapability, agent=agent, name="refunds", position=2)
    _refused(model=AgentCapability, agent=agent, name="card-block", position=1)
    other = make_agent("pix", name="Pix specialist")
    AgentCapability.objects.create(agent=other, name="refunds", position=1)  # per agent: another may have it


def test_constraints__refuse_a_bad_name_or_parameters_that_are_not_an_object(make_agent):
    agent = make_agent("cards")
    _refused(model=AgentCapability, agent=agent, name="Refunds Now", position=1)
    _refused(model=AgentCapability, agent=agent, name="refunds", position=1, parameters=[1, 2])


def test_constraints__refuse_a_domain_twice_a_shared_priority_or_priority_zero(make_agent):
    agent = make_agent("cards")
    AgentKnowledgeDomain.objects.create(agent=agent, domain="pix", priority=1)
    _refused(model=AgentKnowledgeDomain, agent=agent, domain="pix", priority=2)
    _refused(model=AgentKnowledgeDomain, agent=agent, domain="cards", priority=1)
    _refused(model=AgentKnowledgeDomain, agent=agent, domain="cards", priority=0)
    _refused(model=AgentKnowledgeDomain, agent=agent, domain="Cards!", priority=3)


# --- Services: written as rows, validated first --------------------------------------------------------------


def test_create__writes_rows_in_order__the_config_carries_them(make_agent):
    agent = make_agent("cards", capabilities=[REFUNDS, "card-block"], knowledge_domains=[PIX, CARDS])
    assert list(agent.capability_rows.values_list("name", "position")) == [("refunds", 1), ("card-block", 2)]
    assert list(agent.knowledge_domain_rows.values_list("domain", "priority")) == [("credit-cards", 1), ("pix", 2)]
    config = agent_config(Agent.objects.get(pk=agent.pk))
    assert config["capabilities"] == [REFUNDS, BLOCK | {"description": ""}]
    assert config["knowledge_domains"] == [CARDS, PIX]  # by priority
    draft = component_status("agent", "cards").draft
    assert draft.config["capabilities"] == config["capabilities"]
    assert draft.config["knowledge_domains"] == config["knowledge_domains"]


def test_agent_without_them__config_has_neither_key(make_agent):
    """Configurations published before capabilities existed keep their content hash."""
    config = agent_config(make_agent("cards"))
    assert "capabilities" not in config and "knowledge_domains" not in config


def test_bare_domains__take_their_place_as_priority(make_agent):
    agent = make_agent("cards", knowledge_domains=["pix", "credit-cards"])
    assert list(agent.knowledge_domain_rows.values_list("domain", "priority")) == [("pix", 1), ("credit-cards", 2)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("capabilities", [REFUNDS, {"name": "refunds"}], "“refunds” is listed twice"),
        ("capabilities", [{"name": "Refunds Now"}], "Capability 1: the name 'Refunds Now' must be lowercase"),
        ("capabilities", [{"name": "refunds", "parameters": ["max"]}], "parameters must be a JSON object"),
        ("capabilities", [{"name": "refunds", "limit": 3}], "unknown key “limit”"),
        ("capabilities", "refunds", "Capabilities must be a list"),
        ("knowledge_domains", [CARDS, PIX | {"priority": 1}], "priority 1 is already credit-cards's"),
        ("knowledge_domains", [CARDS | {"priority": 0}], "priority must be a whole number from 1"),
        ("knowledge_domains", [CARDS, CARDS | {"priority": 2}], "“credit-cards” is listed twice"),
        ("knowledge_domains", [{"domain": "pix", "priority": True}], "priority must be a whole number"),
    ],
)
def test_update__refuses_bad_rows__names_the_field__writes_nothing(make_agent, field, value, message):
    agent = make_agent("cards", capabilities=[REFUNDS], knowledge_domains=[CARDS])
    revision = Agent.objects.get(pk=agent.pk).revision
    with pytest.raises(ValidationError) as caught:
        agent_update(agent=agent, actor="eddie", note="bad", **{field: value})
    assert any(message in text for text in caught.value.message_dict[field]), caught.value.message_dict
    agent = Agent.objects.get(pk=agent.pk)
    assert agent.revision == revision
    assert agent.capabilities == [REFUNDS] and agent.knowledge_domains == [CARDS]


def test_parameters__cannot_hide_capabilities(make_agent):
    with pytest.raises(ValidationError) as caught:
        make_agent("cards", parameters={"capabilities": [REFUNDS]})
    assert "has its own field" in str(caught.value.message_dict["parameters"])


def test_update__without_them__keeps_the_rows(make_agent):
    agent = make_agent("cards", capabilities=[REFUNDS], knowledge_domains=[CARDS])
    agent_update(agent=agent, actor="eddie", note="prompt only", description="New words")
    agent = Agent.objects.get(pk=agent.pk)
    assert agent.capabilities == [REFUNDS] and agent.knowledge_domains == [CARDS]


# --- Versions: publish, rollback, discard ---------------------------------------------------------------------


def test_publish_then_rollback__restores_that_versions_rows(make_agent):
    kind = get_kind("agent")
    agent = make_agent("cards", capabilities=[REFUNDS], knowledge_domains=[CARDS], publish=True)
    assert component_status("agent", "cards").published.config["capabilities"] == [REFUNDS]
    agent_update(agent=agent, actor="eddie", note="v2", capabilities=[BLOCK], knowledge_domains=[PIX | {"priority": 1}])
    component_publish(kind=kind, component_id="cards", actor="paula")
    assert component_status("agent", "cards").published.config["knowledge_domains"] == [PIX | {"priority": 1}]

    component_rollback(kind=kind, component_id="cards", to_version=1, actor="paula", note="back")
    agent = Agent.objects.get(agent_id="cards")
    assert agent.capabilities == [REFUNDS] and agent.knowledge_domains == [CARDS]
    published = component_status("agent", "cards").published
    assert published.version == 3 and published.config["capabilities"] == [REFUNDS]


def test_rollback_to_a_version_without_them__removes_the_rows(make_agent):
    kind = get_kind("agent")
    agent = make_agent("cards", publish=True)
    agent_update(agent=agent, actor="eddie", note="v2", capabilities=[REFUNDS], knowledge_domains=[CARDS])
    component_publish(kind=kind, component_id="cards", actor="paula")
    component_rollback(kind=kind, component_id="cards", to_version=1, actor="paula", note="back")
    assert not AgentCapability.objects.exists() and not AgentKnowledgeDomain.objects.exists()


def test_discard__working_copy_goes_back_to_the_published_rows(make_agent):
    agent = make_agent("cards", capabilities=[REFUNDS], publish=True)
    agent_update(agent=agent, actor="eddie", note="draft", capabilities=[BLOCK, REFUNDS])
    draft_discard(kind=get_kind("agent"), component_id="cards", actor="paula")
    assert Agent.objects.get(agent_id="cards").capabilities == [REFUNDS]
