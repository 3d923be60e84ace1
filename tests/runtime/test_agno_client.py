"""A real client: Agno 3's own loader builds Agent and Team objects from the API's responses, offline."""

import os

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

os.environ.setdefault("AGNO_TELEMETRY", "false")
from agno.agent import Agent as AgnoAgent  # noqa: E402
from agno.models.base import Model  # noqa: E402
from agno.models.response import ModelResponse  # noqa: E402
from agno.registry import Registry  # noqa: E402
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


def stand_in(spec: dict) -> StandInModel:
    """A live model for the registry, found by the document's id/provider/name as Agno looks it up."""
    return StandInModel(id=spec["id"], provider=spec["provider"], name=spec["name"])


def build_agent(config: dict) -> AgnoAgent:
    registry = Registry(models=[stand_in(config["model"])], tools=[card_lookup])
    return AgnoAgent.from_dict(config, registry=registry, strict=True)


def build_team(config: dict) -> AgnoTeam:
    TeamMode(config["mode"])  # Agno silently accepts unknown strings: validate here
    members = [build_agent(doc) for doc in config["metadata"]["hive"]["components"]["agents"].values()]
    registry = Registry(models=[stand_in(config["model"])], agents=members)
    return AgnoTeam.from_dict(config, registry=registry, strict=True)


def card_lookup(last4: str) -> str:
    """Looks a card up."""
    return "found"


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
    from common.agno_spec import TEAM_MODES

    assert {TeamMode(mode).value for mode in TEAM_MODES} == set(TEAM_MODES)
    assert {m.value for m in TeamMode} == set(TEAM_MODES)
