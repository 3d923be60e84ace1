"""A real client: Agno 3 builds Agent and Team objects from the API's responses, offline."""

import os

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

os.environ.setdefault("AGNO_TELEMETRY", "false")
agno = pytest.importorskip("agno", reason="agno is a test dependency (requirements-dev.txt)")

from agno.agent import Agent as AgnoAgent  # noqa: E402
from agno.models.base import Model  # noqa: E402
from agno.models.response import ModelResponse  # noqa: E402
from agno.team import Team as AgnoTeam  # noqa: E402
from agno.team import TeamMode  # noqa: E402


class StandInModel(Model):
    """An offline model: no network, no key. Remembers the provider/params the portal asked for."""

    def invoke(self, *args, **kwargs):
        return ModelResponse(role="assistant", content="ok")

    async def ainvoke(self, *args, **kwargs):
        return ModelResponse(role="assistant", content="ok")

    def invoke_stream(self, *args, **kwargs):
        yield ModelResponse(role="assistant", content="ok")

    async def ainvoke_stream(self, *args, **kwargs):
        yield ModelResponse(role="assistant", content="ok")

    def _parse_provider_response(self, response, **kwargs):
        return ModelResponse(role="assistant", content="ok")

    def _parse_provider_response_delta(self, response):
        return ModelResponse(role="assistant", content="ok")


def resolve_model(spec):
    if spec is None:
        return None
    return StandInModel(id=spec["id"], provider=spec["provider"])


AGENT_KEYS = {
    "id", "name", "description", "role", "instructions", "system_message", "expected_output", "markdown",
    "add_history_to_context", "num_history_runs", "metadata",
}  # fmt: skip


def build_agent(config: dict) -> AgnoAgent:
    kwargs = {k: v for k, v in config.items() if k in AGENT_KEYS}
    kwargs["model"] = resolve_model(config["model"])
    return AgnoAgent(**kwargs)


def build_team(config: dict) -> AgnoTeam:
    mode = TeamMode(config["mode"])  # Agno silently accepts unknown strings: validate here
    members = [build_agent(member) for member in config["members"]]
    return AgnoTeam(
        members=members,
        id=config["id"],
        name=config["name"],
        mode=mode,
        instructions=config["instructions"],
        model=resolve_model(config["model"]),
    )


def test_agno_builds_agent_and_team_from_the_api(runtime_client, make_team, make_agent):
    make_team(
        "router",
        publish=True,
        mode="coordinate",
        model_provider="openai",
        model_name="gpt-4o-mini",
        instructions=["Pergunte o motivo do contato.", "Encaminhe ao especialista certo."],
    )
    agent_config = runtime_client.get(reverse("api:v1:agent-config", args=["cards"])).json()
    agent = build_agent(agent_config)
    assert agent.id == "cards"
    assert agent.instructions == ["Be concise.", "Never ask for the card's CVV."]
    assert agent.model.id == "gpt-4o"

    team_config = runtime_client.get(reverse("api:v1:team-config", args=["router"])).json()
    team = build_team(team_config)
    assert team.mode == TeamMode.coordinate
    assert [m.id for m in team.members] == ["cards", "pix"]
    assert team.instructions == ["Pergunte o motivo do contato.", "Encaminhe ao especialista certo."]
    assert team.model.id == "gpt-4o-mini"


def test_every_portal_team_mode_is_an_agno_team_mode():
    from hive_portal.agno_spec import TEAM_MODES

    assert {TeamMode(mode).value for mode in TEAM_MODES} == set(TEAM_MODES)
    assert {m.value for m in TeamMode} == set(TEAM_MODES)
