"""The evaluations' refusals in the person's language: the release gate's on the publish page or the service,
the start of an evaluation, a case's patterns; what the gate stores (its decision's summary) stays English."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from evaluations import checks
from evaluations.models import GateDecision
from tests.evaluations.conftest import CARDS_RULE, edit_team, publish
from versioning.gates import GateRefused

pytestmark = pytest.mark.django_db

TEAM = "customer-service-router"


def test_gate__refusal_in_portuguese__english_by_default(routed_team, publisher):
    edit_team(publisher, [*routed_team.instructions, "Seja breve."])
    with translation.override("pt-br"), pytest.raises(GateRefused) as refused:
        publish("team", TEAM, publisher)
    assert refused.value.messages == [
        "Os casos de teste recusam esta versão: 2 execuções de caso ainda não foram avaliadas: rode a avaliação "
        "primeiro."
    ]
    with pytest.raises(GateRefused, match="The test cases refuse this version: 2 case runs have not been evaluated"):
        publish("team", TEAM, publisher)


def test_gate__warn_mode_from_a_portuguese_request__the_decision_stores_english(routed_team, publisher, settings):
    settings.HIVE_EVAL_GATE = "warn"
    edit_team(publisher, [i for i in routed_team.instructions if i != CARDS_RULE])
    with translation.override("pt-br"):
        version = publish("team", TEAM, publisher)
    decision = GateDecision.objects.get(candidate_version=version.version)
    assert decision.outcome == "warned"
    assert decision.summary["problems"] == ["2 case runs have not been evaluated yet: run the evaluation first."]


def test_start__no_model_endpoint__the_message_in_portuguese(client, publisher, make_agent, settings):
    settings.HIVE_EVAL_BASE_URL = ""
    make_agent("cards", publish=True)
    client.force_login(publisher)
    client.cookies["django_language"] = "pt-br"
    response = client.post(reverse("admin:evaluations_evalrun_start", args=["agent", "cards", 1]), follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [
        "Nenhum endpoint de modelo de avaliação está configurado: defina HIVE_EVAL_BASE_URL (uma API compatível "
        "com a OpenAI) e, para rubricas, HIVE_EVAL_JUDGE_MODEL."
    ]


def test_case_shapes_and_patterns__in_the_active_language():
    with translation.override("pt-br"):
        assert checks.pattern_error("/(/").startswith("“/(/” não é uma expressão regular válida:")
        assert checks.shape_errors({"critical": "yes", "max_length": "9"}) == {
            "critical": "Deve ser verdadeiro ou falso.",
            "max_length": "Deve ser um número.",
        }
    assert checks.shape_errors({"critical": "yes"}) == {"critical": "Must be true or false."}
