"""The agents' refusals in the reader's language: Portuguese on a Portuguese page (a deactivation refused in the
admin list, the agent configuration's problems, a constraint's message), English in the default language."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from agents.models import Agent, Tool
from agents.services import agent_update, capability_problems, tool_delete

pytestmark = pytest.mark.django_db


def test_deactivation_refused_in_the_list__portuguese_message(client, publisher, make_team):
    make_team("router", publish=True)
    cards = Agent.objects.get(agent_id="cards")
    client.force_login(publisher)
    client.cookies["django_language"] = "pt-br"
    response = client.post(
        reverse("admin:agents_agent_changelist"),
        {"action": "deactivate_selected", "_selected_action": [cards.pk]},
        follow=True,
    )
    html = response.content.decode()
    # The admin capitalises a message's first letter.
    assert (
        "Cards é membro da(s) equipe(s) ativa(s) router: retire-o delas (e publique) ou desative-as primeiro." in html
    )
    assert "is a member of" not in html
    assert Agent.objects.get(agent_id="cards").is_active


def test_configuration_problems__portuguese_under_portuguese__english_by_default(make_agent):
    agent = make_agent("cards")
    bad = {"model_settings": {"temperature": "hot"}, "capabilities": [{"name": "refunds"}, {"name": "refunds"}]}
    with translation.override("pt-br"), pytest.raises(ValidationError) as caught:
        agent_update(agent=agent, actor="eddie", note="x", **bad)
    assert caught.value.message_dict["model_settings"] == ["temperature deve ser um número, não 'hot'."]
    assert caught.value.message_dict["capabilities"] == [
        "Capacidade 2: “refunds” aparece duas vezes (também na capacidade 1)."
    ]
    with pytest.raises(ValidationError) as caught:
        agent_update(agent=Agent.objects.get(agent_id="cards"), actor="eddie", note="x", **bad)
    assert caught.value.message_dict["model_settings"] == ["temperature must be a number, not 'hot'."]
    assert capability_problems([{"name": "Refunds!"}]) == [
        "Capability 1: the name 'Refunds!' must be lowercase letters, digits, hyphens and underscores, at most 100."
    ]


def test_tool_in_use__refusal_names_its_users_in_the_language(make_agent):
    make_agent("cards", tools=["card_lookup"])
    tool = Tool.objects.get(name="card_lookup")
    with translation.override("pt-br"), pytest.raises(ValidationError) as caught:
        tool_delete(tool=tool, actor="paula")
    assert caught.value.messages == ["card_lookup é usada por agente cards: retire-a deles primeiro."]
    with pytest.raises(ValidationError) as caught:
        tool_delete(tool=tool, actor="paula")
    assert caught.value.messages == ["card_lookup is used by agent cards: remove it from them first."]
    assert caught.value.code == "tool_in_use"


def test_constraint_messages__lazy__shown_in_the_active_language(make_agent):
    agent = make_agent("cards")
    agent.agent_id = "Cards Agent"
    agent.model_settings = []
    with translation.override("pt-br"), pytest.raises(ValidationError) as caught:
        agent.validate_constraints()
    messages = caught.value.messages
    assert "O ID do agente deve ter apenas letras minúsculas, dígitos, hífens e sublinhados." in messages
    assert "Model settings deve ser um objeto JSON." in messages  # common.db's JSON object constraint
    with pytest.raises(ValidationError) as caught:
        agent.validate_constraints()
    assert "Agent ID must be lowercase letters, digits, hyphens and underscores." in caught.value.messages
    assert "Model settings must be a JSON object." in caught.value.messages
