import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from agents.models import Agent
from audit.models import AuditRecord
from runtime.models import RuntimeState
from teams.models import Team
from typification.models import BusinessUnitRoute, TypificationHierarchy
from typification.services import (
    business_unit_route_create,
    business_unit_route_delete,
    business_unit_route_update,
    typification_create,
    typification_delete,
    typification_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_smoke]


def generation() -> int:
    return RuntimeState.objects.get(pk=1).config_generation


@pytest.fixture
def agent():
    return Agent.objects.create(agent_id="pix-specialist", name="Pix Specialist", model_name="gpt-4o")


@pytest.fixture
def team():
    return Team.objects.create(team_id="routing-team", name="Routing Team")


def test_typification_create__normalises_audits_and_saves_a_draft_without_touching_the_runtime():
    before = generation()
    row = typification_create(level1=" PagBank ", level2="Pix", routing_keywords=["pix", " PIX ", "", "transferência"])

    assert (row.level1, row.business_unit, row.routing_keywords) == ("PagBank", "PagBank", ["pix", "transferência"])
    audit = AuditRecord.objects.get(subject_type="typification", action="created")
    assert audit.subject_id == str(row.pk)
    assert audit.after["routing_keywords"] == ["pix", "transferência"] and audit.before is None
    assert generation() == before  # a draft is not what the runtime serves
    draft = AuditRecord.objects.get(subject_type="routing", action="draft_saved")
    assert draft.reason == "Added the typification path PagBank › Pix"


def test_typification_create__gap_or_duplicate__refused_nothing_written():
    typification_create(level1="PagBank", level2="Pix")
    with pytest.raises(ValidationError):
        typification_create(level1="PagBank", level2="Pix")
    with pytest.raises(ValidationError):
        typification_create(level1="PagBank", level3="Pix")
    assert TypificationHierarchy.objects.count() == 1
    assert AuditRecord.objects.filter(subject_type="typification").count() == 1
    assert AuditRecord.objects.filter(subject_type="routing").count() == 1  # the first path's draft only


def test_typification_update__records_before_and_after_and_skips_no_op():
    row = typification_create(level1="PagBank", level2="Pix", routing_keywords=["pix"])
    typification_update(typification=row, routing_keywords=["pix", "ted"], reason="TED goes there too")
    typification_update(typification=row, routing_keywords=["pix", "ted", "TED"])  # the duplicate folds away: no change

    updates = AuditRecord.objects.filter(action="updated")
    assert updates.count() == 1
    audit = updates.get()
    assert audit.before["routing_keywords"] == ["pix"] and audit.after["routing_keywords"] == ["pix", "ted"]
    assert audit.diff == {"changed": {"routing_keywords": {"from": ["pix"], "to": ["pix", "ted"]}}}
    assert audit.reason == "TED goes there too"


def test_typification_update__form_modified_instance__before_is_the_stored_row():
    row = typification_create(level1="PagBank", level2="Pix")
    row.level2 = "Pix e TED"  # what a ModelForm does before save_model
    typification_update(typification=row)
    audit = AuditRecord.objects.get(action="updated")
    assert audit.before["level2"] == "Pix" and audit.after["level2"] == "Pix e TED"


def test_typification_delete__audited():
    row = typification_create(level1="PagBank")
    pk = row.pk
    typification_delete(typification=row, reason="obsolete")
    audit = AuditRecord.objects.get(action="deleted")
    assert audit.subject_id == str(pk) and audit.before["level1"] == "PagBank"
    assert not TypificationHierarchy.objects.exists()


def test_business_unit_route__agent_or_team__audited(agent, team):
    route = business_unit_route_create(business_unit="PagBank", agent=agent)
    business_unit_route_update(route=route, agent=None, team=team)
    business_unit_route_delete(route=route)

    actions = list(
        AuditRecord.objects.filter(subject_type="business_unit_route")
        .order_by("id")
        .values_list("action", "subject_id")
    )
    assert actions == [("created", "PagBank"), ("updated", "PagBank"), ("deleted", "PagBank")]
    update = AuditRecord.objects.get(subject_type="business_unit_route", action="updated")
    assert update.diff["changed"] == {
        "agent": {"from": "pix-specialist", "to": None},
        "team": {"from": None, "to": "routing-team"},
    }


def test_business_unit_route__both_or_neither__refused(agent, team):
    with pytest.raises(ValidationError, match="either an agent or a team"):
        business_unit_route_create(business_unit="PagBank", agent=agent, team=team)
    with pytest.raises(ValidationError, match="either an agent or a team"):
        business_unit_route_create(business_unit="PagBank")
    # The database enforces it too, whatever path a write takes.
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessUnitRoute.objects.create(business_unit="PagBank", agent=agent, team=team)


def test_business_unit_route__protects_its_agent(agent):
    business_unit_route_create(business_unit="PagBank", agent=agent)
    with pytest.raises(ProtectedError):
        agent.delete()


def test_every_write__the_draft_equals_the_working_tables():
    """The working tables and the draft agree after every service call."""
    from typification.selectors import routing_config
    from versioning.selectors import component_status

    row = typification_create(level1="PagBank", level2="Pix")
    typification_create(level1="PagBank", level2="TED")
    typification_delete(typification=row)
    assert component_status("routing", "routing").draft.config == routing_config()
    assert list(routing_config()["paths"]) == ["PagBank › TED"]
