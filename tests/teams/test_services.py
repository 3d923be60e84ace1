"""Team services: members in order, legacy mode names, and what must hold before a team goes live."""

import pytest
from django.core.exceptions import ValidationError

from teams.models import Team
from teams.services import team_create, team_update
from versioning.components import get_kind
from versioning.selectors import component_status
from versioning.services import component_delete, component_publish, component_rollback

pytestmark = pytest.mark.django_db
TEAM = get_kind("team")


def test_create__collaborate_is_stored_as_broadcast(make_agent):
    team = team_create(actor="x", note="n", team_id="t", name="T", mode="collaborate", members=[make_agent("a")])
    assert team.mode == "broadcast"


def test_create__unknown_mode_is_refused(make_agent):
    with pytest.raises(ValidationError) as caught:
        team_create(actor="x", note="n", team_id="t", name="T", mode="sequential", members=[make_agent("a")])
    assert "mode" in caught.value.message_dict
    assert not Team.objects.exists()


def test_members__positions_are_renumbered_in_the_chosen_order(make_agent):
    a, b, c = make_agent("a"), make_agent("b"), make_agent("c")
    team = team_create(actor="x", note="n", team_id="t", name="T", members=[(c, 30), (a, 10), (b, 20)])
    assert component_status("team", "t").draft.config["members"] == [
        {"agent_id": "a", "position": 1}, {"agent_id": "b", "position": 2}, {"agent_id": "c", "position": 3},
    ]  # fmt: skip
    team_update(team=team, actor="x", note="reorder", members=[c, a])
    assert [m["agent_id"] for m in component_status("team", "t").draft.config["members"]] == ["c", "a"]


def test_members__duplicates_are_refused(make_agent):
    a = make_agent("a")
    with pytest.raises(ValidationError, match="only once"):
        team_create(actor="x", note="n", team_id="t", name="T", members=[a, a])


def test_publish__a_team_without_members_cannot_go_live():
    team_create(actor="x", note="n", team_id="empty", name="Empty")
    with pytest.raises(ValidationError, match="at least one member"):
        component_publish(kind=TEAM, component_id="empty", actor="p")


def test_rollback__restores_the_members_of_that_version(make_team, make_agent):
    team = make_team("router", publish=True)
    credit = make_agent("credit", publish=True, name="Credit")
    team_update(
        team=team,
        actor="x",
        note="add credit",
        members=[*[m.agent for m in team.memberships.order_by("position")], credit],
    )
    component_publish(kind=TEAM, component_id="router", actor="p")
    component_rollback(kind=TEAM, component_id="router", to_version=1, actor="p", note="without credit")
    assert list(team.memberships.order_by("position").values_list("agent__agent_id", flat=True)) == ["cards", "pix"]


def test_delete__keeps_the_history(make_team):
    make_team("router", publish=True)
    component_delete(kind=TEAM, component_id="router", actor="admin", reason="retired")
    assert not Team.objects.exists()
    assert component_status("team", "router").published is None  # archived, still in component_versions
