"""Team rules the database enforces: known modes, a complete model, members once and in distinct places,
and agents a team uses cannot be deleted from under it."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from teams.models import Team, TeamMember

pytestmark = pytest.mark.django_db


def _team(**override):
    fields = {
        "team_id": "router",
        "name": "Router",
        "mode": "route",
        "instructions": [],
        "parameters": {},
        "model_settings": {},
    }
    return Team.objects.create(**{**fields, **override})


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    "override",
    [
        {"mode": "collaborate"},
        {"mode": "parallel"},
        {"model_provider": "openai"},
        {"model_name": "gpt-4o"},
        {"team_id": "Bad ID"},
    ],
    ids=lambda o: f"{next(iter(o))}={next(iter(o.values()))}",
)
def test_team__constraint_refuses(override):
    with pytest.raises(IntegrityError), transaction.atomic():
        _team(**override)


def test_members__same_agent_twice__refused(make_agent):
    team = _team()
    agent = make_agent("cards")
    TeamMember.objects.create(team=team, agent=agent, position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamMember.objects.create(team=team, agent=agent, position=2)


@pytest.mark.postgres_only
def test_members__two_in_one_position__refused_at_commit(make_agent):
    team = _team()
    TeamMember.objects.create(team=team, agent=make_agent("cards"), position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamMember.objects.create(team=team, agent=make_agent("pix"), position=1)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would check


@pytest.mark.postgres_only
def test_members__can_swap_positions_in_one_transaction(make_agent):
    team = _team()
    a = TeamMember.objects.create(team=team, agent=make_agent("cards"), position=1)
    b = TeamMember.objects.create(team=team, agent=make_agent("pix"), position=2)
    with transaction.atomic():
        TeamMember.objects.filter(pk=a.pk).update(position=2)
        TeamMember.objects.filter(pk=b.pk).update(position=1)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert list(team.memberships.order_by("position").values_list("agent__agent_id", flat=True)) == ["pix", "cards"]


def test_agent_in_a_team__cannot_be_deleted(make_agent):
    team = _team()
    agent = make_agent("cards")
    TeamMember.objects.create(team=team, agent=agent, position=1)
    with pytest.raises(ProtectedError):
        agent.delete()


def test_deleting_a_team__removes_its_memberships(make_agent):
    team = _team()
    TeamMember.objects.create(team=team, agent=make_agent("cards"), position=1)
    team.delete()
    assert not TeamMember.objects.exists()
