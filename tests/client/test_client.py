"""HivePortal: Agno objects built losslessly from the portal, ETag freshness, the disk cache, clear errors."""

from __future__ import annotations

import httpx
import pytest

from tests.client.conftest import DEMO_TOOLS

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent__model_built_with_every_setting_and_tools_bound(portal_factory, demo):
    portal = portal_factory(tools=DEMO_TOOLS)
    pix = portal.agent("pix-specialist")
    assert type(pix.model).__name__ == "Claude"
    assert (pix.model.id, pix.model.temperature, pix.model.max_tokens) == ("claude-sonnet-4-20250514", 0.3, 1500)
    assert [t.name for t in pix.tools] == ["pix_transaction_lookup"]
    assert pix.tools[0].entrypoint("E123") == "pix E123: completed"
    cards = portal.agent("cards-specialist")
    assert (type(cards.model).__name__, cards.model.temperature, cards.model.max_output_tokens) == (
        "OpenAIResponses",
        0.3,
        1200,
    )
    assert cards.metadata["hive"]["version"] == 2


def test_team__members_models_and_mode(portal_factory, demo):
    team = portal_factory(tools=DEMO_TOOLS).team("customer-service-router")
    assert team.mode.value == "route" and team.respond_directly is True
    assert [m.id for m in team.members] == ["cards-specialist", "pix-specialist", "credit-specialist"]
    assert team.members[2].model.temperature == 0.1 and team.model.temperature == 0.0


def test_missing_tool__error_names_the_agent_and_the_tool(portal_factory, demo):
    from hive_portal_client import HivePortalError

    portal = portal_factory(tools=[DEMO_TOOLS[0]])
    with pytest.raises(
        HivePortalError, match=r"Agent “cards-specialist” uses tool\(s\) block_card .*HivePortal\(tools="
    ):
        portal.agent("cards-specialist")


def test_unknown_agent__error_says_it_is_not_published(portal_factory, demo):
    from hive_portal_client import HivePortalError

    with pytest.raises(HivePortalError, match="“nope” is not published"):
        portal_factory(tools=DEMO_TOOLS).agent("nope")


def test_since__unchanged_bundle_is_a_304__a_publish_arrives_as_a_delta(portal_factory, transport, demo):
    from agents.models import Agent
    from agents.services import agent_update
    from versioning.components import get_kind
    from versioning.services import component_publish

    portal = portal_factory(tools=DEMO_TOOLS)
    first = portal.agent("credit-specialist")
    assert portal.refresh() is False  # 304: nothing changed
    assert transport.requests[-1].url.params["since"] == str(portal.version)
    assert portal.agent("credit-specialist") is first  # same bundle version, same object
    seen = []
    portal.on_change(lambda bundle: seen.append(bundle["bundle_version"]))
    agent = Agent.objects.get(agent_id="credit-specialist")
    agent_update(agent=agent, actor="e", note="warmer", model_settings={"temperature": 0.5, "max_tokens": 1000})
    component_publish(kind=get_kind("agent"), component_id="credit-specialist", actor="p")
    assert portal.refresh() is True and seen == [portal.version]
    assert portal.agent("credit-specialist").model.temperature == 0.5
    assert portal._etag is None  # a delta merged: the bundle is whole, the next refresh asks since it
    whole = portal_factory(tools=DEMO_TOOLS, cache_dir=None).bundle()
    assert portal.bundle() == whole


def test_disk_cache__a_runtime_starts_while_the_portal_is_down(portal_factory, transport, demo):
    from hive_portal_client import PortalUnavailable

    portal_factory(tools=DEMO_TOOLS).bundle()  # a previous run saved the last-known-good bundle
    transport.down = True
    restarted = portal_factory(tools=DEMO_TOOLS)
    team = restarted.team("customer-service-router")
    assert restarted.stale is True and len(team.members) == 3
    with pytest.raises(PortalUnavailable, match="no cached bundle"):
        portal_factory(tools=DEMO_TOOLS, cache_dir=None).bundle()


def test_toolkit_named_in_the_portal__its_functions_are_bound(portal_factory, make_agent):
    from agno.tools.toolkit import Toolkit

    class ShellTools(Toolkit):
        def __init__(self):
            super().__init__(name="ShellTools", tools=[self.run_shell_command])

        def run_shell_command(self, command: str) -> str:
            """Run a shell command."""
            return f"ran {command}"

    make_agent("ops", publish=True, tools=[{"name": "ShellTools", "instructions": ["Only echo."]}])
    agent = portal_factory(tools=[ShellTools()]).agent("ops")
    assert [t.name for t in agent.tools] == ["run_shell_command"]
    assert agent.tools[0].entrypoint(command="echo ok") == "ran echo ok"
    assert agent.metadata["hive"]["tools"] == {"ShellTools": {"instructions": ["Only echo."]}}


@pytest.mark.postgres_only
def test_watch__long_poll_on_a_long_poll_server__picks_up_a_publish(portal_factory, transport, demo, settings):
    import threading

    import httpx

    from agents.models import Agent
    from agents.services import agent_update
    from runtime.watcher import watcher
    from versioning.components import get_kind
    from versioning.services import component_publish

    settings.HIVE_RUNTIME_LISTEN, settings.HIVE_LONG_POLL = True, True
    watcher.reset()
    portal = portal_factory(tools=DEMO_TOOLS)
    first = portal.bundle()["bundle_version"]
    arrived = threading.Event()
    portal.on_change(lambda bundle: arrived.set())
    portal.watch(interval=0.2, wait=2, events_http=httpx.Client(base_url="http://events.test", transport=transport))
    agent = Agent.objects.get(agent_id="credit-specialist")
    agent_update(agent=agent, actor="e", note="x", instructions=["Nova instrução."])
    component_publish(kind=get_kind("agent"), component_id="credit-specialist", actor="p")
    assert arrived.wait(30)
    assert portal.version > first and portal.agent("credit-specialist").instructions == ["Nova instrução."]
    assert any(r.url.path == "/api/v1/bundle/wait" for r in transport.requests)
    portal.close()
    watcher.reset()


def test_watch__long_poll_answering_at_once__polls_at_the_interval_instead_of_spinning(portal_factory, demo):
    """A long-poll server whose listener is reconnecting answers ``waited: true`` without holding the request:
    the client must not ask again in a tight loop."""
    import time

    asked = []

    def answer_at_once(request: httpx.Request) -> httpx.Response:
        asked.append(time.monotonic())
        return httpx.Response(200, json={"changed": False, "waited": True, "bundle_version": 1})

    portal = portal_factory(tools=DEMO_TOOLS)
    portal.bundle()
    events = httpx.Client(base_url="http://events.test", transport=httpx.MockTransport(answer_at_once))
    portal.watch(interval=0.2, events_http=events, wait=25)
    time.sleep(1.0)
    portal.close()
    assert 2 <= len(asked) <= 8, len(asked)  # about one per interval, not thousands


def test_report__after_the_first_fetch_the_runtime_tells_the_portal_its_tools(portal_factory, transport, demo):
    from agno.tools.toolkit import Toolkit

    from runtime.models import RuntimeReport

    class ShellTools(Toolkit):
        def __init__(self):
            super().__init__(name="ShellTools", tools=[self.run_shell_command])

        def run_shell_command(self, command: str) -> str:
            """Run a shell command."""
            return command

    portal = portal_factory(tools=[*DEMO_TOOLS, ShellTools()], runtime_name="pix-bot", runtime_version="2.4.1")
    portal.refresh()
    report = RuntimeReport.objects.get()
    assert (report.runtime, report.runtime_version, report.api_key.name) == ("pix-bot", "2.4.1", "runtime-client")
    assert report.tools == sorted([t.__name__ for t in DEMO_TOOLS] + ["ShellTools", "run_shell_command"])
    posts = [r for r in transport.requests if r.url.path == "/api/v1/runtime/report"]
    assert len(posts) == 1
    portal.refresh()  # within the interval: no second report
    assert len([r for r in transport.requests if r.url.path == "/api/v1/runtime/report"]) == 1


def test_report__portal_refuses_it__the_fetch_still_succeeds_and_it_retries_later(portal_factory, transport, demo):
    from runtime.models import RuntimeReport

    refused = portal_factory(tools=DEMO_TOOLS, runtime_name="   ")  # blank: 400
    assert refused.refresh() is True and refused.agent("pix-specialist") is not None
    assert not RuntimeReport.objects.exists()
    refused.refresh()  # not recorded as reported: asks again with the next fetch
    assert len([r for r in transport.requests if r.url.path == "/api/v1/runtime/report"]) == 2

    long_name = portal_factory(tools=DEMO_TOOLS, runtime_name="x" * 300)  # cut to the portal's 100
    long_name.refresh()
    assert RuntimeReport.objects.get().runtime == "x" * 100
    quiet = portal_factory(tools=DEMO_TOOLS, report_tools=False)
    quiet.refresh()
    assert RuntimeReport.objects.count() == 1


def test_team_leader_tools_from_the_catalogue__bound_by_the_runtime(portal_factory, make_team):
    def escalate(reason: str) -> str:
        """Hand the conversation to a person."""
        return f"escalated: {reason}"

    make_team("desk", publish=True, tools=["escalate"])
    team = portal_factory(tools=[*DEMO_TOOLS, escalate]).team("desk")
    assert [t.name for t in team.tools] == ["escalate"]
    assert team.tools[0].entrypoint(reason="angry") == "escalated: angry"
