"""Rules that hold whichever door a change comes through (service, admin form, admin delete page, bulk delete):

- a published agent's ``agent_id`` and a published team's ``team_id`` never change (the runtime asks for them);
- an agent a team uses cannot be deleted: the refusal is clear, nothing is deleted or archived, the audit is unchanged.

Where a rule is enforced at the ORM layer too (``TeamMember.agent`` is ``on_delete=PROTECT``) that layer is tested in
``tests/teams/test_models.py``. The id rule is not enforced below the service (``Agent.save()`` accepts a new id):
the service and the admin form are its only guards, and both are tested here.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agents.models import Agent
from agents.services import agent_update
from audit.models import AuditRecord
from teams.models import Team
from teams.services import team_update
from tests.agents.test_admin import form_data as agent_form_data
from tests.teams.test_admin import _post_data as team_form_data
from versioning.components import get_kind
from versioning.models import ComponentVersion
from versioning.services import component_delete

pytestmark = pytest.mark.django_db


def _versions(component_id):
    return sorted(ComponentVersion.objects.filter(component_id=component_id).values_list("version", "status"))


# --- ids are fixed once published: the service ---------------------------------------------------------------


def test_agent_update__published_id_change__refused_with_nothing_written(make_agent):
    agent = make_agent("cards", publish=True)
    audit, versions = AuditRecord.objects.count(), _versions("cards")
    with pytest.raises(ValidationError) as exc:
        agent_update(agent=agent, actor="eddie", note="Rename", agent_id="cards-new", role="New role")
    assert exc.value.message_dict == {"agent_id": ["The agent ID cannot change once the agent has been published."]}
    stored = Agent.objects.get(pk=agent.pk)
    assert (stored.agent_id, stored.role, stored.revision) == ("cards", agent.role, agent.revision)
    assert AuditRecord.objects.count() == audit
    assert _versions("cards") == versions and _versions("cards-new") == []


def test_agent_update__published_id_sent_unchanged__is_an_ordinary_edit(make_agent):
    agent = make_agent("cards", publish=True)
    saved = agent_update(agent=agent, actor="eddie", note="Role", agent_id="cards", role="New role")
    assert (saved.agent_id, saved.role) == ("cards", "New role")


def test_team_update__published_id_change__refused_with_nothing_written(make_team):
    team = make_team("router", publish=True)
    audit, versions = AuditRecord.objects.count(), _versions("router")
    with pytest.raises(ValidationError) as exc:
        team_update(team=team, actor="eddie", note="Rename", team_id="router-new")
    assert exc.value.message_dict == {"team_id": ["The team ID cannot change once the team has been published."]}
    assert Team.objects.get(pk=team.pk).team_id == "router"
    assert AuditRecord.objects.count() == audit
    assert _versions("router") == versions and _versions("router-new") == []


def test_team_update__id_may_change_before_the_first_publish(make_team):
    team = make_team("router")
    team_update(team=team, actor="eddie", note="Better id", team_id="router-main")
    assert Team.objects.get(pk=team.pk).team_id == "router-main"


# --- ids are fixed once published: the admin form -----------------------------------------------------------


def test_agent_admin__published_id_field_is_disabled_and_a_posted_id_ignored(client, editor, make_agent):
    agent = make_agent("cards", publish=True)
    client.force_login(editor)
    url = reverse("admin:agents_agent_change", args=[agent.pk])
    form = client.get(url).context["adminform"].form
    assert form.fields["agent_id"].disabled
    # A hand-made POST with another id: a disabled field keeps its initial value, the rest is saved as a draft.
    response = client.post(url, agent_form_data(client, agent, agent_id="cards-new", role="Posted role"))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    stored = Agent.objects.get(pk=agent.pk)
    assert (stored.agent_id, stored.role) == ("cards", "Posted role")
    assert not Agent.objects.filter(agent_id="cards-new").exists() and _versions("cards-new") == []


def test_agent_admin__unpublished_id_may_change(client, editor, make_agent):
    agent = make_agent("fresh")
    client.force_login(editor)
    url = reverse("admin:agents_agent_change", args=[agent.pk])
    assert not client.get(url).context["adminform"].form.fields["agent_id"].disabled
    response = client.post(url, agent_form_data(client, agent, agent_id="fresh-new"))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert Agent.objects.get(pk=agent.pk).agent_id == "fresh-new"


def test_team_admin__published_id_field_is_disabled_and_a_posted_id_ignored(client, editor, make_team):
    team = make_team("router", publish=True)
    client.force_login(editor)
    url = reverse("admin:teams_team_change", args=[team.pk])
    assert client.get(url).context["adminform"].form.fields["team_id"].disabled
    members = [(m.agent, m.position, False) for m in team.memberships.order_by("position")]
    response = client.post(url, team_form_data(client, team, members, team_id="router-new", description="Posted"))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    stored = Team.objects.get(pk=team.pk)
    assert (stored.team_id, stored.description) == ("router", "Posted")
    assert not Team.objects.filter(team_id="router-new").exists() and _versions("router-new") == []


# --- an agent a team uses cannot be deleted -------------------------------------------------------------------


@pytest.fixture
def agent_in_a_team(make_team):
    """``cards`` (published) is a member of the published team ``router``."""
    make_team("router", publish=True)
    return Agent.objects.get(agent_id="cards")


def test_component_delete__agent_in_a_team__refused_nothing_archived_audit_unchanged(agent_in_a_team):
    audit, versions = AuditRecord.objects.count(), _versions("cards")
    with pytest.raises(ValidationError) as exc:
        component_delete(kind=get_kind("agent"), component_id="cards", actor="paula")
    assert exc.value.messages == ["cards is a member of team(s) router: remove it from them first."]
    assert Agent.objects.filter(agent_id="cards").exists()
    assert _versions("cards") == versions == [(1, "published")]
    assert AuditRecord.objects.count() == audit


def test_admin_delete_page__agent_in_a_team__refused_nothing_deleted(client, publisher, agent_in_a_team):
    client.force_login(publisher)
    url = reverse("admin:agents_agent_delete", args=[agent_in_a_team.pk])
    audit, versions = AuditRecord.objects.count(), _versions("cards")
    response = client.post(url, {"post": "yes"})
    # Django's admin finds the PROTECT reference and shows it instead of deleting.
    assert response.status_code == 200
    assert response.context["protected"], response.context.get("protected")
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert Agent.objects.filter(pk=agent_in_a_team.pk).exists()
    assert _versions("cards") == versions and AuditRecord.objects.count() == audit


def test_admin_bulk_delete__agent_in_a_team__refused_nothing_deleted(client, publisher, agent_in_a_team):
    client.force_login(publisher)
    free = Agent.objects.get(agent_id="pix")  # also in the team: neither may go
    audit = AuditRecord.objects.count()
    response = client.post(
        reverse("admin:agents_agent_changelist"),
        {"action": "delete_selected", "_selected_action": [agent_in_a_team.pk, free.pk], "post": "yes"},
    )
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert Agent.objects.filter(agent_id__in=["cards", "pix"]).count() == 2
    assert AuditRecord.objects.count() == audit


def test_admin_delete_page__agent_in_no_team__deleted_through_the_service_and_audited(client, publisher, make_agent):
    agent = make_agent("loner", publish=True, name="Loner")
    client.force_login(publisher)
    response = client.post(reverse("admin:agents_agent_delete", args=[agent.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Agent.objects.filter(agent_id="loner").exists()
    assert _versions("loner") == [(1, "archived")]
    record = AuditRecord.objects.get(subject_type="agent", subject_id="loner", action="deleted")
    assert (record.actor_name, record.reason) == (publisher.username, "Deleted in the admin")
