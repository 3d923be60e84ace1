"""“Add as test case” from monitoring: its refusals in the person's language, English by default."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from evaluations.models import EvalCase
from monitoring.models import RoutingDecision
from monitoring.services import routing_decision_case_create

pytestmark = pytest.mark.django_db

DECISIONS = "/admin/monitoring/routingdecision/"


@pytest.fixture
def router(make_team):
    return make_team("router")


def decide(query: str, routed_to: str, minute: int = 0) -> RoutingDecision:
    return RoutingDecision.objects.create(
        session_id=f"s-{minute}", query=query, routed_to=routed_to, confidence_score=0.9,
        created_at=datetime(2026, 1, 5, 14, minute, tzinfo=UTC),
    )  # fmt: skip


def test_add_as_test_case__refused_decisions__messages_in_portuguese(client, editor, router, make_team, make_agent):
    make_team("desk", members=[], mode="route")
    make_agent("credit")
    to_team, to_loner = decide("Quero falar", "desk", 1), decide("Quero crédito", "credit", 2)
    client.force_login(editor)
    client.cookies["django_language"] = "pt-br"

    done = client.post(
        DECISIONS,
        {"action": "add_as_test_case", "_selected_action": [to_team.pk, to_loner.pk], "post": "yes", "team": "router"},
        follow=True,
    )

    assert [str(m) for m in done.context["messages"]] == [
        f"A decisão de roteamento nº {to_team.pk} (Quero falar) não foi adicionada: Foi para “desk”, que não é um "
        "agente do portal: um caso de teste espera um agente membro.",
        f"A decisão de roteamento nº {to_loner.pk} (Quero crédito) não foi adicionada: Foi para credit, que não é "
        "membro de nenhuma equipe.",
    ]
    assert not EvalCase.objects.exists()


def test_service__team_that_does_not_route__refused_in_the_active_language(make_team):
    make_team("coord", members=[], mode="coordinate")
    decision = decide("Oi", "cards")
    with translation.override("pt-br"), pytest.raises(ValidationError) as refused:
        routing_decision_case_create(decision=decision, team_id="coord", actor="t")
    assert refused.value.messages == ["A equipe coord não encaminha (o modo dela é coordinate)."]
    assert refused.value.code == "not_routing"
    with pytest.raises(ValidationError, match=r"^\['Team coord does not route \(its mode is coordinate\)\.'\]$"):
        routing_decision_case_create(decision=decision, team_id="coord", actor="t")


def test_add_as_test_case__confirmation_page_and_result_in_portuguese(client, editor, router):
    decision = decide("Perdi meu cartão", "cards")
    client.force_login(editor)
    client.cookies["django_language"] = "pt-br"
    data = {"action": "add_as_test_case", "_selected_action": [decision.pk]}

    page = client.post(DECISIONS, data).content.decode()
    assert "Adicionar decisões de roteamento como casos de teste" in page and "Equipe de roteamento" in page
    assert 'value="Adicionar 1 caso de teste"' in page and "Foi para" in page

    done = client.post(DECISIONS, {**data, "post": "yes", "team": "router"}, follow=True)
    assert [str(m) for m in done.context["messages"]][0].startswith("Adicionados (1 da equipe router): <a href=")
    assert EvalCase.objects.get().expected_member == "cards"
