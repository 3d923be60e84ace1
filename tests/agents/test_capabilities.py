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


# --- The admin: inline rows saved through the service, filters on the list ------------------------------------


def _post(client, agent, **overrides):
    from tests.agents.test_admin import change_url, form_data

    return client.post(change_url(agent), form_data(client, agent, **overrides))


def _inline_errors(response) -> str:
    texts = []
    for inline in response.context["inline_admin_formsets"]:
        texts.extend(str(error) for error in inline.formset.errors)
        texts.extend(inline.formset.non_form_errors())
    return " ".join(texts)


def test_admin_edit__adds_rows_as_one_draft_of_the_agent(client, editor, make_agent):
    from tests.agents.test_admin import inline_data

    agent = make_agent("cards", publish=True)
    revision = agent.revision
    client.force_login(editor)
    rows = inline_data(
        agent,
        capability_rows=[
            {"name": "refunds", "description": "Refunds card purchases", "parameters": '{"max_amount": 500}'}
        ],
        knowledge_domain_rows=[{"domain": "credit-cards", "priority": "1", "description": "Limits, invoices, fees"}],
    )
    response = _post(client, agent, **rows)
    assert response.status_code == 302, _inline_errors(response) if response.context else response
    agent = Agent.objects.get(pk=agent.pk)
    assert agent.capabilities == [REFUNDS] and agent.knowledge_domains == [CARDS]
    assert agent.revision == revision + 1  # one save, one revision
    status = component_status("agent", "cards")
    assert status.draft.config["capabilities"] == [REFUNDS] and status.draft.config["knowledge_domains"] == [CARDS]
    assert status.draft.edited_by_name == editor.username
    assert "capabilities" not in status.published.config


def test_admin_edit__deleting_a_row__removes_it_from_the_draft(client, editor, make_agent):
    agent = make_agent("cards", capabilities=[REFUNDS, BLOCK], knowledge_domains=[CARDS])
    client.force_login(editor)
    response = _post(client, agent, **{"capability_rows-0-DELETE": "on", "knowledge_domain_rows-0-DELETE": "on"})
    assert response.status_code == 302, _inline_errors(response)
    agent = Agent.objects.get(pk=agent.pk)
    assert agent.capabilities == [BLOCK] and agent.knowledge_domains == []
    assert "knowledge_domains" not in component_status("agent", "cards").draft.config


def test_admin_add__creates_the_agent_with_its_rows(client, editor):
    from django.urls import reverse

    from tests.agents.test_admin import inline_data

    client.force_login(editor)
    data = {
        "agent_id": "credit",
        "name": "Credit",
        "model_provider": "openai",
        "model_name": "gpt-4o",
        "instructions__present": "1",
        "tools__present": "1",
        "model_settings__present": "1",
        "other_parameters__present": "1",
        "change_note": "New agent",
        **inline_data(
            capability_rows=[{"name": "card-block", "description": "Blocks a lost card", "parameters": ""}],
            knowledge_domain_rows=[{"domain": "pix", "priority": "2", "description": ""}],
        ),
    }
    response = client.post(reverse("admin:agents_agent_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors or _inline_errors(response)
    agent = Agent.objects.get(agent_id="credit")
    assert agent.capabilities == [BLOCK] and agent.knowledge_domains == [PIX]
    assert component_status("agent", "credit").draft.config["capabilities"] == [BLOCK]


@pytest.mark.parametrize(
    ("capability_rows", "knowledge_domain_rows", "message"),
    [
        ([{"name": "refunds", "parameters": "{max_amount: 500"}], None, "Enter a valid JSON"),
        ([{"name": "refunds", "parameters": "[500]"}], None, "JSON object in braces"),
        ([{"name": "Refunds Now", "parameters": ""}], None, "lowercase letters"),
        ([{"name": "refunds"}, {"name": "refunds", "description": "again"}], None, "“refunds” is listed twice"),
        (None, [{"domain": "pix", "priority": "1"}, {"domain": "cards", "priority": "1"}], "priority 1 is already"),
        (None, [{"domain": "pix", "priority": "0"}], "greater than or equal to 1"),
        (None, [{"domain": "pix", "priority": "1"}, {"domain": "pix", "priority": "2"}], "“pix” is listed twice"),
    ],
)
def test_admin_edit__bad_rows__form_errors__nothing_saved(
    client, editor, make_agent, capability_rows, knowledge_domain_rows, message
):
    from tests.agents.test_admin import inline_data

    agent = make_agent("cards", capabilities=[BLOCK])
    client.force_login(editor)
    rows = {
        k: v
        for k, v in {"capability_rows": capability_rows, "knowledge_domain_rows": knowledge_domain_rows}.items()
        if v
    }
    response = _post(client, agent, **inline_data(agent, **rows))
    assert response.status_code == 200
    assert message in _inline_errors(response)
    assert Agent.objects.get(pk=agent.pk).capabilities == [BLOCK]


def test_admin_edit__rows_changed_meanwhile__second_save_refused(client, editor, other_editor, make_agent):
    from tests.agents.test_admin import change_url, form_data, inline_data

    agent = make_agent("cards")
    client.force_login(editor)

    first = form_data(client, agent, description="Eddie's words")
    client.force_login(other_editor)
    assert _post(client, agent, **inline_data(agent, capability_rows=[{"name": "refunds"}])).status_code == 302
    client.force_login(editor)
    response = client.post(change_url(agent), first)
    assert response.status_code == 200
    assert "not saved" in " ".join(response.context["adminform"].form.non_field_errors())
    assert Agent.objects.get(pk=agent.pk).capabilities == [{"name": "refunds", "description": "", "parameters": {}}]


def test_admin_changelist__filters_by_capability_and_knowledge_domain(client, viewer, make_agent):
    from django.urls import reverse

    make_agent("cards", capabilities=[REFUNDS], knowledge_domains=[CARDS])
    make_agent("pix", name="Pix specialist", knowledge_domains=["pix"])
    make_agent("loans", name="Loans")
    client.force_login(viewer)
    url = reverse("admin:agents_agent_changelist")

    def listed(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        return sorted(agent.agent_id for agent in response.context["cl"].result_list)

    assert listed() == ["cards", "loans", "pix"]
    assert listed(capability="refunds") == ["cards"]
    assert listed(knowledge_domain="pix") == ["pix"]
    assert listed(knowledge_domain="credit-cards", capability="refunds") == ["cards"]
    page = client.get(url).content.decode()
    assert "By capability" in page and "By knowledge domain" in page and "credit-cards" in page


def test_admin_change_page__viewer_sees_the_rows_read_only(client, viewer, make_agent):
    from tests.agents.test_admin import change_url

    agent = make_agent("cards", capabilities=[REFUNDS], knowledge_domains=[CARDS])
    client.force_login(viewer)
    content = client.get(change_url(agent)).content.decode()
    assert "refunds" in content and "credit-cards" in content
    assert 'name="capability_rows-0-name"' not in content
