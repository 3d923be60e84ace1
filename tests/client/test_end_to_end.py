"""Offline end to end: the route team the business users published, built by the client, driven by a scripted
model (no network). The leader forwards a Portuguese message to the Pix specialist, who searches the portal's
knowledge and answers; the run's metrics and the routing decision reach the portal tagged with the versions that
ran; a publish while the runtime runs is picked up by the next run."""

from __future__ import annotations

import json

import pytest
from agno.models.base import Model
from agno.models.response import ModelResponse

from tests.client.conftest import DEMO_TOOLS

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGE = "Caí num golpe pelo Pix ontem, consigo o dinheiro de volta?"


class ScriptedModel(Model):
    """Answers from a script instead of a provider: ``script(messages) -> ModelResponse``."""

    def __init__(self, *, script, **kwargs):
        super().__init__(**kwargs)
        self.script = script
        self.calls = 0

    def invoke(self, *args, messages=None, **kwargs):
        self.calls += 1
        return self.script(messages or [])

    async def ainvoke(self, *args, **kwargs):
        return self.invoke(*args, **kwargs)

    def invoke_stream(self, *args, **kwargs):
        yield self.invoke(*args, **kwargs)

    async def ainvoke_stream(self, *args, **kwargs):
        yield self.invoke(*args, **kwargs)

    def _parse_provider_response(self, response, **kwargs):
        return response

    def _parse_provider_response_delta(self, response):
        return response


def _tool_call(name: str, **arguments) -> ModelResponse:
    call = {"id": f"call-{name}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    return ModelResponse(role="assistant", tool_calls=[call])


def _tool_results(messages) -> list[str]:
    return [str(m.content) for m in messages if m.role == "tool"]


def leader_script(messages):
    if not _tool_results(messages):
        user = next(m for m in messages if m.role == "user")
        return _tool_call("delegate_task_to_member", member_id="pix-specialist", task=str(user.content))
    return ModelResponse(role="assistant", content=_tool_results(messages)[-1])


def pix_script(messages):
    results = _tool_results(messages)
    if not results:
        return _tool_call("search_knowledge_base", query="golpe pix devolução")
    return ModelResponse(role="assistant", content=f"Segundo a base de conhecimento: {results[-1]}")


def _publish_pix(**parameters):
    from agents.models import Agent
    from agents.services import agent_update
    from versioning.components import get_kind
    from versioning.services import component_publish

    agent = Agent.objects.get(agent_id="pix-specialist")
    agent_update(agent=agent, actor="eddie", note="knowledge", parameters={**agent.parameters, **parameters})
    return component_publish(kind=get_kind("agent"), component_id="pix-specialist", actor="paula").version


def test_route_team__forwards_searches_answers_reports_and_follows_a_publish(portal_factory, demo):
    from monitoring import rollups
    from monitoring.models import AgentMetric, RoutingDecision

    pix_version = _publish_pix(knowledge={"business_unit": "pix", "max_results": 3}, search_knowledge=True)
    AgentMetric.objects.all().delete()
    RoutingDecision.objects.all().delete()
    rollups.rebuild()  # the demo's metrics went by hand, not by retention: their rollups follow them
    leader = ScriptedModel(id="gpt-4o-mini", provider="OpenAI", name="OpenAIResponses", script=leader_script)
    pix = ScriptedModel(id="claude-sonnet-4-20250514", provider="Anthropic", name="Claude", script=pix_script)
    portal = portal_factory(tools=DEMO_TOOLS, models=[leader, pix])

    team = portal.team("customer-service-router")
    assert team.members[1].knowledge.name == "hive-portal:pix"
    output = team.run(MESSAGE, session_id="sess-1")

    assert "MED" in str(output.content)  # the Pix knowledge entry about golpes, found through the portal
    assert [r.agent_id for r in output.member_responses] == ["pix-specialist"]
    assert portal.reporter.flush()
    metric = AgentMetric.objects.get()
    assert (metric.agent_id, metric.config_version, metric.success) == ("pix-specialist", pix_version, True)
    decision = RoutingDecision.objects.get()
    assert (decision.routed_to, decision.query, decision.config_version) == ("pix-specialist", MESSAGE, 1)

    # A publish while the runtime runs: the next run uses it, no restart.
    newer = _publish_pix(additional_context="Cite o prazo de 80 dias do MED.")
    assert portal.refresh() is True
    team = portal.team("customer-service-router")
    assert team.members[1].additional_context == "Cite o prazo de 80 dias do MED."
    team.run("Meu pix não caiu", session_id="sess-2")
    assert portal.reporter.flush()
    assert sorted(AgentMetric.objects.values_list("config_version", flat=True)) == [pix_version, newer]
    assert portal.reporter.dropped == 0 and portal.reporter.failed == 0
    # The per-version dashboard of the Pix specialist shows both versions that ran.
    from monitoring.selectors import agent_versions

    dashboard = agent_versions(agent_id="pix-specialist")
    assert [(row["config_version"], row["requests"]) for row in dashboard] == [(newer, 1), (pix_version, 1)]


def _failing(messages):
    raise RuntimeError("upstream timeout")


def test_failed_runs__reported_with_their_error(portal_factory, demo):
    """Agno calls no post-hook after a failed run; the client reports it anyway."""
    from monitoring.models import AgentMetric

    AgentMetric.objects.all().delete()
    broken = ScriptedModel(id="gpt-4o-mini", provider="OpenAI", name="OpenAIChat", script=_failing)
    portal = portal_factory(tools=DEMO_TOOLS, models=[broken])
    output = portal.agent("credit-specialist").run("Quais as taxas?", session_id="s-err")
    assert output.status.value == "ERROR"

    leader = ScriptedModel(id="gpt-4o-mini", provider="OpenAI", name="OpenAIResponses", script=leader_script)
    pix = ScriptedModel(id="claude-sonnet-4-20250514", provider="Anthropic", name="Claude", script=_failing)
    team_portal = portal_factory(tools=DEMO_TOOLS, models=[leader, pix])
    team_portal.team("customer-service-router").run(MESSAGE, session_id="s-err-2")
    assert portal.reporter.flush() and team_portal.reporter.flush()
    failed = AgentMetric.objects.filter(success=False).order_by("agent_id")
    assert [(m.agent_id, m.error_message) for m in failed] == [
        ("credit-specialist", "upstream timeout"),
        ("pix-specialist", "upstream timeout"),
    ]


def test_failed_streamed_and_async_runs__reported(portal_factory, demo):
    """A streamed run that fails ends with Agno's RunError event and no post-hook: the client reports it, as it
    does a failed ``arun``."""
    import asyncio

    from monitoring.models import AgentMetric

    AgentMetric.objects.all().delete()
    broken = ScriptedModel(id="gpt-4o-mini", provider="OpenAI", name="OpenAIChat", script=_failing)
    portal = portal_factory(tools=DEMO_TOOLS, models=[broken])
    agent = portal.agent("credit-specialist")
    events = list(agent.run("Quais as taxas?", session_id="s-stream", stream=True))
    assert [e.event for e in events if e.event == "RunError"] == ["RunError"]

    async def consume():
        return [event async for event in agent.arun("E o limite?", session_id="s-astream", stream=True)]

    assert any(e.event == "RunError" for e in asyncio.run(consume()))
    awaited = asyncio.run(agent.arun("E a fatura?", session_id="s-await"))  # not streamed: awaited as in Agno
    assert awaited.status.value == "ERROR"
    assert portal.reporter.flush()
    failed = AgentMetric.objects.filter(success=False).order_by("session_id")
    assert [(m.agent_id, m.session_id, m.error_message) for m in failed] == [
        ("credit-specialist", "s-astream", "upstream timeout"),
        ("credit-specialist", "s-await", "upstream timeout"),
        ("credit-specialist", "s-stream", "upstream timeout"),
    ]
    assert all(m.config_version == 1 for m in failed)
