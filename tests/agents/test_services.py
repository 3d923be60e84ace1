"""Rules the agent services enforce whoever calls them (admin, commands, API)."""

import pytest
from django.core.exceptions import ValidationError

from agents.models import Agent
from agents.services import agent_update
from teams.services import team_update
from versioning.components import get_kind
from versioning.models import VersionHistory
from versioning.services import component_delete

pytestmark = pytest.mark.django_db


def test_agent_update__id_cannot_change_once_published(make_agent):
    agent = make_agent("cards", publish=True)
    with pytest.raises(ValidationError) as exc:
        agent_update(agent=agent, actor="eddie", note="Rename", agent_id="cards-new")
    assert "cannot change once the agent has been published" in str(exc.value)
    assert Agent.objects.filter(agent_id="cards").exists() and not Agent.objects.filter(agent_id="cards-new").exists()


def test_agent_update__id_may_change_before_the_first_publish(make_agent):
    agent = make_agent("draft-only")
    agent_update(agent=agent, actor="eddie", note="Better id", agent_id="cards")
    assert Agent.objects.get(pk=agent.pk).agent_id == "cards"


def test_team_update__id_cannot_change_once_published(make_team):
    team = make_team("router", publish=True)
    with pytest.raises(ValidationError) as exc:
        team_update(team=team, actor="eddie", note="Rename", team_id="router-new")
    assert "cannot change once the team has been published" in str(exc.value)


def test_component_delete__agent_in_a_team__refused_and_nothing_written(make_team):
    make_team("router", publish=True)  # cards and pix are its members
    before = VersionHistory.objects.count()
    with pytest.raises(ValidationError) as exc:
        component_delete(kind=get_kind("agent"), component_id="cards", actor="paula")
    assert "member of team(s) router" in str(exc.value)
    assert Agent.objects.filter(agent_id="cards").exists()
    assert VersionHistory.objects.count() == before
