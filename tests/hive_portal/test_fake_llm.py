"""The fake OpenAI-compatible server drives real Agno 3.1.10 agents and teams (no network beyond 127.0.0.1)."""

import os

os.environ.setdefault("AGNO_TELEMETRY", "false")

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from agno.agent import Agent
from agno.models.openai import OpenAIChat
from agno.run.agent import RunContentEvent, RunErrorEvent, RunOutput
from agno.run.base import RunStatus
from agno.team import Team, TeamMode

from hive_portal.fake_llm import FakeLLM


@pytest.fixture
def llm():
    with FakeLLM() as server:
        yield server


def chat_model(server: FakeLLM, **kwargs) -> OpenAIChat:
    # max_retries=0: the OpenAI SDK would otherwise retry a scripted 429/5xx twice with back-off.
    kwargs.setdefault("max_retries", 0)
    return OpenAIChat(id="gpt-4o-mini", base_url=server.url + "/v1", api_key="test", **kwargs)


def get_balance(account: str) -> str:
    """Return the balance of a bank account.

    Args:
        account: The account number.
    """
    return f"R$ 10,00 na conta {account}"


# --- The server on its own, through the OpenAI SDK ------------------------------------------------


def test_sdk__plain_reply__parsed_with_echoed_model_and_word_count_usage(llm):
    llm.add_rule(user=r"olá", reply="bom dia a você")
    client = openai.OpenAI(base_url=llm.url + "/v1", api_key="test", max_retries=0)

    completion = client.chat.completions.create(
        model="any-model-id",
        messages=[{"role": "system", "content": "seja breve"}, {"role": "user", "content": "olá mundo"}],
    )

    assert completion.object == "chat.completion"
    assert completion.model == "any-model-id"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "bom dia a você"
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens, completion.usage.total_tokens) == (
        4,
        4,
        8,
    )
    assert llm.requests[0]["model"] == "any-model-id"


def test_sdk__rules__first_match_wins_over_conditions_and_default(llm):
    llm.add_rule(model=r"^other$", reply="by model")
    llm.add_rule(system=r"pirate", user=r"hello", reply="arr")
    llm.add_rule(user=r"hello", reply="hi")
    llm.add_rule(when=lambda request: request.get("temperature") == 0.5, reply="by predicate")
    llm.add_rule(user=r"fn", reply_fn=lambda request: {"content": f"{len(request['messages'])} messages"})
    client = openai.OpenAI(base_url=llm.url + "/v1", api_key="test", max_retries=0)

    def ask(*messages, model="gpt-4o-mini", **kwargs):
        completion = client.chat.completions.create(model=model, messages=list(messages), **kwargs)
        return completion.choices[0].message.content

    # content as a list of parts counts too; the last user message is the one matched
    assert (
        ask(
            {"role": "developer", "content": [{"type": "text", "text": "a pirate"}]},
            {"role": "user", "content": "hello"},
        )
        == "arr"
    )
    assert (
        ask({"role": "user", "content": "pirate"}, {"role": "user", "content": [{"type": "text", "text": "hello"}]})
        == "hi"
    )
    assert ask({"role": "user", "content": "hello"}, model="other") == "by model"
    assert ask({"role": "user", "content": "x"}, temperature=0.5) == "by predicate"
    assert ask({"role": "user", "content": "fn"}) == "1 messages"
    assert ask({"role": "user", "content": "nothing matches"}) == "ok"

    llm.clear_rules()
    assert ask({"role": "user", "content": "hello"}) == "ok"
    assert llm.calls == 7


def test_sdk__broken_rule__answers_500_and_is_recorded(llm):
    llm.add_rule(when=lambda request: 1 / 0, reply="never")
    client = openai.OpenAI(base_url=llm.url + "/v1", api_key="test", max_retries=0)

    with pytest.raises(openai.InternalServerError, match="FakeLLM rule failed"):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert llm.errors == ["ZeroDivisionError: division by zero"]


def test_sdk__stream__content_and_tool_call_deltas_and_usage_chunk(llm):
    llm.add_rule(
        reply="vou consultar", tool_calls=[("get_balance", {"account": "1"}), ("get_balance", {"account": "2"})]
    )
    client = openai.OpenAI(base_url=llm.url + "/v1", api_key="test", max_retries=0)

    chunks = list(
        client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "saldo"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "vou consultar"
    arguments = {0: "", 1: ""}
    for chunk in chunks:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            arguments[delta.index] += delta.function.arguments or ""
    assert [json.loads(arguments[0]), json.loads(arguments[1])] == [{"account": "1"}, {"account": "2"}]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == 1


# --- Real Agno objects ----------------------------------------------------------------------------


def test_agent__tool_call_then_answer_with_tool_result(llm):
    llm.add_rule(user=r"saldo", after_tool=False, tool_call=("get_balance", {"account": "123"}))
    llm.add_rule(after_tool=True, reply="Seu saldo é {last_tool_result}.")
    agent = Agent(model=chat_model(llm), instructions="Você é o atendente do banco.", tools=[get_balance])

    run_output = agent.run("Qual o saldo da minha conta?")

    assert run_output.status == RunStatus.completed
    assert run_output.content == "Seu saldo é R$ 10,00 na conta 123."
    # RunOutput.tools: one agno.models.response.ToolExecution per call, with the parsed arguments and the result.
    [tool] = run_output.tools
    assert (tool.tool_name, tool.tool_args, tool.result) == ("get_balance", {"account": "123"}, "R$ 10,00 na conta 123")
    assert tool.tool_call_error is False
    # RunOutput.metrics (agno.metrics.RunMetrics): tokens summed over both model calls, duration in seconds.
    assert run_output.metrics.input_tokens > 0 and run_output.metrics.output_tokens > 0
    assert run_output.metrics.total_tokens == run_output.metrics.input_tokens + run_output.metrics.output_tokens
    assert run_output.metrics.duration > 0
    assert llm.calls == 2
    first, second = llm.requests
    # OpenAIChat sends Agno's system prompt with the role "developer" and offers the tool by name.
    assert [m["role"] for m in first["messages"]] == ["developer", "user"]
    assert "atendente do banco" in first["messages"][0]["content"]
    assert [t["function"]["name"] for t in first["tools"]] == ["get_balance"]
    assert [m["role"] for m in second["messages"]] == ["developer", "user", "assistant", "tool"]


def test_route_team__leader_delegates_to_the_member_whose_rule_answers(llm):
    # Member rules first: the leader's prompt lists each member's role (not its instructions), and the
    # member receives the leader's task as its user message, which may repeat the customer's words.
    llm.add_rule(system=r"cuida de cartões de crédito", reply="Sua fatura do cartão é R$ 100,00.")
    llm.add_rule(system=r"cuida de transferências Pix", reply="Seu Pix foi enviado.")
    llm.add_rule(
        user=r"cartão",
        tool_call=("delegate_task_to_member", {"member_id": "cards", "task": "Informar a fatura do cartão"}),
    )
    llm.add_rule(user=r"pix", tool_call=("delegate_task_to_member", {"member_id": "pix", "task": "Enviar um Pix"}))
    cards = Agent(
        id="cards", name="Cards", role="Especialista em cartões", instructions="Você cuida de cartões de crédito."
    )
    pix = Agent(id="pix", name="Pix", role="Especialista em Pix", instructions="Você cuida de transferências Pix.")
    team = Team(members=[cards, pix], mode=TeamMode.route, model=chat_model(llm), id="router")

    team_output = team.run("Qual a fatura do meu cartão?")

    # How to read the routed member from a TeamRunOutput (Agno 3.1.10):
    #   team_output.member_responses[i].agent_id  -- one RunOutput per member run, in delegation order
    #   (a nested team would appear as a TeamRunOutput with .team_id). The leader's own call is in
    #   team_output.tools: ToolExecution(tool_name="delegate_task_to_member", tool_args={"member_id": ..., "task": ...},
    #   result=<the member's reply>). member_id is the member's explicit `id` verbatim (a member without an id is
    #   addressed by its name made url-safe: "Card Team" -> "card-team"). In route mode the member's reply is the
    #   team's content and the leader makes no second call.
    assert team_output.status == RunStatus.completed
    assert team_output.content == "Sua fatura do cartão é R$ 100,00."
    assert [member.agent_id for member in team_output.member_responses] == ["cards"]
    assert team_output.member_responses[0].parent_run_id == team_output.run_id
    [delegation] = team_output.tools
    assert delegation.tool_name == "delegate_task_to_member"
    assert delegation.tool_args == {"member_id": "cards", "task": "Informar a fatura do cartão"}
    assert delegation.result == "Sua fatura do cartão é R$ 100,00."
    assert team_output.metrics.input_tokens > 0 and team_output.metrics.duration > 0
    assert llm.calls == 2
    leader_request, member_request = llm.requests
    assert [t["function"]["name"] for t in leader_request["tools"]] == ["delegate_task_to_member"]
    assert set(leader_request["tools"][0]["function"]["parameters"]["properties"]) == {"member_id", "task"}
    assert '<member id="cards" name="Cards">' in leader_request["messages"][0]["content"]
    assert member_request["messages"][-1] == {"role": "user", "content": "Informar a fatura do cartão"}

    llm.reset_stats()
    assert [m.agent_id for m in team.run("Quero mandar um pix").member_responses] == ["pix"]


def test_agent__stream__content_arrives_and_tool_runs(llm):
    llm.add_rule(user=r"saldo", after_tool=False, tool_call=("get_balance", {"account": "9"}))
    llm.add_rule(after_tool=True, reply="Saldo em streaming: {last_tool_result}.")
    agent = Agent(model=chat_model(llm), tools=[get_balance])

    events = list(agent.run("Qual o meu saldo?", stream=True, yield_run_output=True))

    streamed = "".join(e.content for e in events if isinstance(e, RunContentEvent) and isinstance(e.content, str))
    assert streamed == "Saldo em streaming: R$ 10,00 na conta 9."
    run_output = events[-1]
    assert isinstance(run_output, RunOutput)
    assert run_output.content == streamed
    assert [(t.tool_name, t.tool_args) for t in run_output.tools] == [("get_balance", {"account": "9"})]
    assert run_output.metrics.input_tokens > 0
    assert all(r["stream"] is True and r["stream_options"] == {"include_usage": True} for r in llm.requests)


@pytest.mark.parametrize("status", [500, 429])
def test_agent__model_http_error__run_returns_error_status_without_raising(llm, status):
    # Agno 3.1.10 does not raise: OpenAIChat turns the SDK's APIStatusError/RateLimitError into
    # agno.exceptions.ModelProviderError, and Agent.run catches it (agno/agent/_run.py) and returns the
    # RunOutput with status RunStatus.error and content = the error's message. Team.run does the same
    # (and adds a TeamRunError event to .events); a stream yields a RunErrorEvent and no RunOutput.
    # Retries: Agent.retries, Team.retries and Model.retries default to 0, but the OpenAI SDK client retries
    # 429/5xx itself (max_retries=2 with back-off) unless OpenAIChat(max_retries=0).
    llm.add_rule(status=status, reply="scripted failure")
    agent = Agent(model=chat_model(llm))

    run_output = agent.run("oi")

    assert run_output.status == RunStatus.error
    assert run_output.content == "scripted failure"
    assert llm.calls == 1

    llm.reset_stats()
    events = list(agent.run("oi", stream=True, yield_run_output=True))
    assert [type(e) for e in events] == [RunErrorEvent]
    assert events[0].content == "scripted failure"


def test_agent__model_500__openai_sdk_retries_twice_by_default(llm):
    llm.add_rule(status=500, reply="scripted failure")
    agent = Agent(model=OpenAIChat(id="gpt-4o-mini", base_url=llm.url + "/v1", api_key="test"))

    run_output = agent.run("oi")

    assert run_output.status == RunStatus.error
    assert llm.calls == 3


def test_route_team__model_error__team_output_has_error_status(llm):
    llm.add_rule(status=429, reply="rate limited")
    team = Team(members=[Agent(id="cards", name="Cards", role="Cartões")], mode=TeamMode.route, model=chat_model(llm))

    team_output = team.run("cartão")

    assert team_output.status == RunStatus.error
    assert team_output.content == "rate limited"
    assert [event.event for event in team_output.events] == ["TeamRunError"]


def test_latency__concurrent_requests_overlap(llm):
    llm.latency = 0.3
    client = openai.OpenAI(base_url=llm.url + "/v1", api_key="test", max_retries=0)
    start = threading.Barrier(8)

    def one(i):
        start.wait()
        completion = client.chat.completions.create(model="m", messages=[{"role": "user", "content": f"pedido {i}"}])
        return completion.choices[0].message.content

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(one, range(8)))
    elapsed = time.monotonic() - began

    assert replies == ["ok"] * 8
    assert llm.calls == 8
    assert llm.max_in_flight >= 4
    assert elapsed < 8 * 0.3  # served one after the other it would take at least 2.4 s

    llm.reset_stats()
    assert (llm.calls, llm.requests, llm.max_in_flight) == (0, [], 0)


def test_rule_delay__adds_to_latency(llm):
    llm.add_rule(reply="slow", delay=0.2)
    client = openai.OpenAI(base_url=llm.url + "/v1", api_key="test", max_retries=0)

    began = time.monotonic()
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])

    assert time.monotonic() - began >= 0.2
