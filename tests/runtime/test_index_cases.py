"""The runtime's agent and team indexes through the shared declarative API cases (tests/cases.py): only
published, active components are listed, with the ``config:read`` scope; reading writes no audit."""

import pytest

from agents.services import agent_create
from teams.services import team_create
from tests.cases import APIListCase
from tests.conftest import AGENT_DEFAULTS
from versioning.components import get_kind
from versioning.services import component_publish, component_set_active

pytestmark = pytest.mark.django_db


def _agents():
    """Published ``cards`` and ``pix``; ``draft-only`` never published; ``retired`` published then deactivated."""
    agents = {}
    for agent_id in ("cards", "pix", "draft-only", "retired"):
        agents[agent_id] = agent_create(actor="setup", note="n", agent_id=agent_id, **AGENT_DEFAULTS)
        if agent_id != "draft-only":
            component_publish(kind=get_kind("agent"), component_id=agent_id, actor="setup")
    component_set_active(kind=get_kind("agent"), component_id="retired", active=False, actor="setup")
    return agents


class TestAgentIndex(APIListCase):
    url = "/api/v1/agents/"
    scope = "config:read"

    def create_objects(self):
        return _agents()

    def listed(self, response):
        return [(a["id"], a["version"]) for a in response.json()["agents"]]

    def expected(self, objects):
        return [("cards", 1), ("pix", 1)]


class TestTeamIndex(APIListCase):
    url = "/api/v1/teams/"
    scope = "config:read"

    def create_objects(self):
        agents = _agents()
        members = [agents["cards"], agents["pix"]]
        for team_id in ("router", "router-draft"):
            team_create(actor="setup", note="n", members=members, team_id=team_id, name=team_id, mode="route")
        component_publish(kind=get_kind("team"), component_id="router", actor="setup")
        return None

    def listed(self, response):
        return [(t["id"], t["version"]) for t in response.json()["teams"]]

    def expected(self, objects):
        return [("router", 1)]
