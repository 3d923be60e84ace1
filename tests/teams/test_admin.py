"""The team admin: ordered members inline, saved through the team service as a draft."""

import pytest
from django.urls import reverse

from teams.models import Team
from versioning.selectors import component_status

pytestmark = pytest.mark.django_db


def _post_data(client, team, members, **overrides):
    response = client.get(reverse("admin:teams_team_change", args=[team.pk]))
    initial = response.context["adminform"].form.initial
    data = {
        "team_id": team.team_id,
        "name": team.name,
        "mode": team.mode,
        "description": team.description,
        "instructions__present": "1",
        "instructions__item": list(team.instructions),
        "model_settings__present": "1",
        "other_parameters__present": "1",
        "determine_input_for_members": "on",
        "change_note": "Reorder members",
        "base_revision": initial["base_revision"],
        "base_snapshot": initial["base_snapshot"],
        "memberships-TOTAL_FORMS": str(len(members)),
        "memberships-INITIAL_FORMS": str(team.memberships.count()),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    existing = {m.agent_id: m for m in team.memberships.all()}
    for i, (agent, position, delete) in enumerate(members):
        membership = existing.get(agent.pk)
        data[f"memberships-{i}-agent"] = str(agent.pk)
        data[f"memberships-{i}-position"] = str(position)
        data[f"memberships-{i}-team"] = str(team.pk)
        if membership:
            data[f"memberships-{i}-id"] = str(membership.pk)
        if delete:
            data[f"memberships-{i}-DELETE"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v not in ("", None)}


def test_team_change__swap_member_positions_in_one_save(client, editor, make_team, make_agent):
    team = make_team("router", publish=True)
    cards, pix = [m.agent for m in team.memberships.order_by("position")]
    client.force_login(editor)
    data = _post_data(client, team, [(cards, 2, False), (pix, 1, False)])
    response = client.post(reverse("admin:teams_team_change", args=[team.pk]), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    status = component_status("team", "router")
    assert [m["agent_id"] for m in status.draft.config["members"]] == ["pix", "cards"]
    assert [m["agent_id"] for m in status.published.config["members"]] == ["cards", "pix"]


def test_team_change__same_agent_twice__is_a_form_error(client, editor, make_team):
    team = make_team("router")
    cards, pix = [m.agent for m in team.memberships.order_by("position")]
    client.force_login(editor)
    data = _post_data(client, team, [(cards, 1, False), (pix, 2, False)])
    data["memberships-1-agent"] = str(cards.pk)
    response = client.post(reverse("admin:teams_team_change", args=[team.pk]), data)
    assert response.status_code == 200
    assert "listed twice" in response.content.decode()


def test_team_publish__member_without_published_version__is_refused(client, publisher, make_team, make_agent):
    draft_only = make_agent("draft-only", name="Draft only")
    team = make_team("router", members=[make_agent("cards", publish=True), draft_only])
    client.force_login(publisher)
    response = client.post(reverse("admin:teams_team_publish", args=[team.pk]), {"note": "go"}, follow=True)
    assert "draft-only has no published version yet" in response.content.decode()
    assert component_status("team", "router").published is None


def test_team_changelist__members_without_extra_queries(client, viewer, make_team):
    make_team("router")
    client.force_login(viewer)
    response = client.get(reverse("admin:teams_team_changelist"))
    assert response.status_code == 200
    assert "cards, pix" in response.content.decode()
    assert Team.objects.count() == 1


def test_viewer__sees_a_published_team_read_only(client, viewer, make_team):
    team = make_team("router", publish=True)
    client.force_login(viewer)
    response = client.get(reverse("admin:teams_team_change", args=[team.pk]))
    assert response.status_code == 200 and b"cards" in response.content


def test_team_change__behaviour_fields_become_agno_parameters(client, editor, make_team):
    team = make_team("router")
    client.force_login(editor)
    members = [(m.agent, m.position, False) for m in team.memberships.order_by("position")]
    data = _post_data(client, team, members, respond_directly="on", max_iterations="4")
    data.pop("determine_input_for_members")  # unticked: differs from Agno's default, so it is stored
    response = client.post(reverse("admin:teams_team_change", args=[team.pk]), data)
    assert response.status_code == 302
    config = component_status("team", "router").draft.config
    assert config["respond_directly"] is True and config["max_iterations"] == 4
    assert config["determine_input_for_members"] is False
