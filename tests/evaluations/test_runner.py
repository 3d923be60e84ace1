"""The runner on an agent through real Agno: stubbed tools with canned results, the knowledge base, the judge,
earlier messages, JSON answers, timeouts, concurrency, and the job queue."""

from __future__ import annotations

import json

import pytest

from agents.models import Agent
from agents.services import agent_update
from evaluations.models import EvalResult, RunState
from evaluations.services import case_create
from tests.evaluations.conftest import evaluate

pytestmark = pytest.mark.django_db

PIX = "pix-specialist"
JUDGE = '{"score": 8, "reason": "Explica o MED e o prazo."}'


def edit_pix(actor, **fields):
    agent = Agent.objects.get(agent_id=PIX)
    return agent_update(agent=agent, actor=actor, note="test", **fields)


@pytest.fixture
def pix_case(demo, fake_llm, publisher):
    fake_llm.add_rule(model=r"judge-model", reply=JUDGE)
    return case_create(
        actor=publisher, component_type="agent", component_id=PIX, name="Golpe pelo Pix",
        message="Caí num golpe pelo Pix ontem", critical=True, must_contain=["MED", "/R\\$ ?500/"],
        must_not_contain=["senha"], max_length=300,
        tools_called=[{"name": "pix_transaction_lookup", "arguments": {"id": "E1"}}],
        tools_not_called=["block_card"], tool_results={"pix_transaction_lookup": "Transação E1 de R$ 500"},
        judge_rubric="Explica como registrar o MED.", judge_min_score=7,
    )  # fmt: skip


def test_agent_case__tools_stubbed_with_canned_results__judged(pix_case, publisher, fake_llm):
    edit_pix(publisher, description="Especialista de Pix (revisado).")
    run = evaluate("agent", PIX)
    assert (run.state, run.total, run.completed) == (RunState.DONE, 2, 2)
    for result in EvalResult.objects.all():
        assert result.passed, result.failures
        assert result.output == "Abra o MED: Transação E1 de R$ 500"
        assert result.tool_calls == [
            {"name": "pix_transaction_lookup", "arguments": {"id": "E1"}, "result": "Transação E1 de R$ 500"}
        ]
        assert (result.judge_score, result.judge_reason) == (8.0, "Explica o MED e o prazo.")
        assert result.model == "claude-sonnet-4-20250514" and result.input_tokens > 0
    # The configured model id and its settings went to the endpoint; the judge used the pinned judge model.
    models = {r["model"] for r in fake_llm.requests}
    assert models == {"claude-sonnet-4-20250514", "judge-model"}
    agent_request = next(r for r in fake_llm.requests if r["model"] == "claude-sonnet-4-20250514")
    assert agent_request["temperature"] == 0.3 and agent_request["max_tokens"] == 1500


def test_agent_case__judge_below_passing_score__fails_with_its_reason(pix_case, publisher, fake_llm):
    fake_llm.clear_rules()
    fake_llm.add_rule(model=r"judge-model", reply='{"score": 3, "reason": "Não menciona o MED."}')
    fake_llm.add_rule(reply="Ligue para o banco.")
    edit_pix(publisher, description="Especialista de Pix (revisado).")
    evaluate("agent", PIX)
    result = EvalResult.objects.filter(version=Agent.objects.get(agent_id=PIX).pk).first() or EvalResult.objects.first()
    assert not result.passed
    assert "The answer does not contain “MED”." in result.failures
    assert "Tool pix_transaction_lookup was not called." in result.failures
    assert "The judge scored 3/10; 7 is needed." in result.failures
    assert result.judge_reason == "Não menciona o MED."


def test_knowledge__search_answers_from_the_canned_result(demo, fake_llm, publisher):
    pix = Agent.objects.get(agent_id=PIX)
    edit_pix(publisher, parameters={**pix.parameters, "knowledge": {"business_unit": "pix"}, "search_knowledge": True})
    fake_llm.clear_rules()
    fake_llm.add_rule(after_tool=False, tool_call=("search_knowledge_base", {"query": "golpe pix"}))
    fake_llm.add_rule(after_tool=True, reply="Segundo a base: {last_tool_result}")
    case_create(
        actor=publisher, component_type="agent", component_id=PIX, name="Base de conhecimento",
        message="Como funciona o MED?", must_contain=["80 dias"],
        tools_called=[{"name": "search_knowledge_base", "arguments": {}}],
        tool_results={"search_knowledge_base": "O MED pode ser pedido em até 80 dias."},
    )  # fmt: skip
    run = evaluate("agent", PIX)
    result = EvalResult.objects.get(version=run.candidate_version)
    assert result.passed, (result.failures, result.output, result.error)
    assert "O MED pode ser pedido em até 80 dias." in result.output  # Agno hands documents over as JSON
    live = EvalResult.objects.get(version=run.baseline_version)  # no knowledge base on the live version
    assert not live.passed and "Tool search_knowledge_base was not called." in live.failures


def test_earlier_messages_and_json_schema(demo, fake_llm, publisher):
    fake_llm.clear_rules()
    fake_llm.add_rule(
        when=lambda request: sum(m["role"] == "user" for m in request["messages"]) == 2,
        reply=json.dumps({"intent": "golpe", "valor": 500}),
    )
    fake_llm.add_rule(reply="sem contexto")
    case_create(
        actor=publisher, component_type="agent", component_id=PIX, name="Classificação JSON",
        message="E agora?", context=[{"role": "user", "content": "Caí num golpe"}, {"role": "assistant", "content": "Sinto muito."}],
        output_schema={"type": "object", "required": ["intent", "valor"], "properties": {"valor": {"type": "string"}}},
    )  # fmt: skip
    edit_pix(publisher, description="Especialista de Pix (revisado).")
    evaluate("agent", PIX)
    results = list(EvalResult.objects.all())
    assert len(results) == 2
    for result in results:
        assert result.output == '{"intent": "golpe", "valor": 500}'
        assert result.failures == ["The answer does not match the JSON schema at valor: 500 is not of type 'string'"]


def test_case_timeout__an_evaluator_error(demo, fake_llm, publisher, settings):
    settings.HIVE_EVAL_TIMEOUT = 1
    fake_llm.clear_rules()
    fake_llm.add_rule(reply="tarde demais", delay=3)
    case_create(actor=publisher, component_type="agent", component_id=PIX, name="Lento", message="Oi")
    run = evaluate("agent", PIX)
    assert run.state == RunState.DONE
    result = EvalResult.objects.get()
    assert not result.passed and "no answer within 1 s" in result.error


def test_cases_run_concurrently(demo, fake_llm, publisher, settings):
    settings.HIVE_EVAL_CONCURRENCY = 4
    fake_llm.clear_rules()
    fake_llm.add_rule(reply="ok", delay=0.3)
    for number in range(8):
        case_create(actor=publisher, component_type="agent", component_id=PIX, name=f"Caso {number}", message="Oi")
    run = evaluate("agent", PIX)
    assert run.completed == 8 and run.max_in_flight == 4


@pytest.mark.django_db(transaction=True)
def test_request__queues_a_job_the_worker_runs(demo, fake_llm, publisher):
    from evaluations.services import evaluation_request
    from hive_portal.testing import queued_jobs, run_pending_jobs

    case_create(actor=publisher, component_type="agent", component_id=PIX, name="Oi", message="Oi", must_contain=["ok"])
    run = evaluation_request(component_type="agent", component_id=PIX, actor=publisher)
    assert run.state == RunState.QUEUED and run.total == 1  # no draft: the live version alone
    assert [job["task_name"] for job in queued_jobs("evaluations.execute_run")] == ["evaluations.execute_run"]
    run_pending_jobs()
    run.refresh_from_db()
    assert (run.state, run.completed) == (RunState.DONE, 1)
    assert EvalResult.objects.get().passed
