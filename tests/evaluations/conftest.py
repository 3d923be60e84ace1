"""Evaluations against real Agno objects and a local OpenAI-compatible server (``hive_portal.fake_llm``): the
demo's route team and its specialists, scripted per prompt, no network."""

from __future__ import annotations

import os
from io import StringIO

import pytest

from hive_portal.fake_llm import FakeLLM

os.environ.setdefault("AGNO_TELEMETRY", "false")

# What makes the leader route card messages right: the live team's instructions carry it; a draft that drops
# it routes cards to the credit specialist.
CARDS_RULE = "Mensagens sobre cartão vão para cards-specialist."
CARD_MESSAGE = "Perdi meu cartão, preciso bloquear agora"


def script_demo(llm: FakeLLM) -> None:
    """Members first (their prompts carry their own instructions), then the leader (it lists its members)."""
    llm.add_rule(system=r"Nunca peça a senha do cartão", reply="Bloqueei o cartão final 1234. Não informe sua senha.")
    llm.add_rule(system=r"custo efetivo total", reply="Para crédito, consulte o CET no app.")
    llm.add_rule(system=r"MED em até 80 dias", after_tool=False, tool_call=("pix_transaction_lookup", {"id": "E1"}))
    llm.add_rule(system=r"MED em até 80 dias", after_tool=True, reply="Abra o MED: {last_tool_result}")
    llm.add_rule(
        system=CARDS_RULE,
        user=r"cart[ãa]o",
        tool_call=("delegate_task_to_member", {"member_id": "cards-specialist", "task": CARD_MESSAGE}),
    )
    llm.add_rule(
        system=r"<member id=", user=r"cart[ãa]o",
        tool_call=("delegate_task_to_member", {"member_id": "credit-specialist", "task": CARD_MESSAGE}),
    )  # fmt: skip


@pytest.fixture
def fake_llm(settings):
    with FakeLLM() as llm:
        script_demo(llm)
        settings.HIVE_EVAL_BASE_URL = llm.url + "/v1"
        settings.HIVE_EVAL_API_KEY = "test"
        settings.HIVE_EVAL_JUDGE_MODEL = "judge-model"
        settings.HIVE_EVAL_GATE = "enforce"
        settings.HIVE_EVAL_TIMEOUT = 20
        yield llm


@pytest.fixture
def demo(db):
    from hive_portal.demo import load_demo

    load_demo(StringIO())


def edit_team(actor, instructions: list[str]):
    from teams.models import Team
    from teams.services import team_update

    team = Team.objects.get(team_id="customer-service-router")
    return team_update(team=team, actor=actor, note="routing text", instructions=instructions)


def publish(component_type: str, component_id: str, actor, **kwargs):
    from versioning.components import get_kind
    from versioning.services import component_publish

    return component_publish(kind=get_kind(component_type), component_id=component_id, actor=actor, **kwargs)


def evaluate(component_type: str, component_id: str, actor="eval-test"):
    """Request an evaluation of the draft against the live version and run it here (the job's body)."""
    from evaluations.services import evaluation_execute, evaluation_request

    run = evaluation_request(component_type=component_type, component_id=component_id, actor=actor)
    if run.total:
        run = evaluation_execute(run_id=run.pk)
    return run


@pytest.fixture
def routed_team(demo, fake_llm, publisher):
    """The live team routes cards right (its instructions carry CARDS_RULE), with a critical routing case."""
    from django.test import override_settings

    from evaluations.services import case_create
    from teams.models import Team

    team = Team.objects.get(team_id="customer-service-router")
    with override_settings(HIVE_EVAL_GATE="off"):
        edit_team(publisher, [*team.instructions, CARDS_RULE])
        publish("team", "customer-service-router", publisher)
    case_create(
        actor=publisher, component_type="team", component_id="customer-service-router", name="Cartão perdido",
        message=CARD_MESSAGE, critical=True, expected_member="cards-specialist", must_contain=["bloque"],
    )  # fmt: skip
    return Team.objects.get(team_id="customer-service-router")
