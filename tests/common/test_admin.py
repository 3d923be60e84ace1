"""The shared admin bases: one history (the portal's audit trail, no Django LogEntry), History links to it,
service-backed saves, atomic bulk deletes."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from agents.models import Agent
from agents.services import agent_update
from audit.models import AuditRecord
from knowledge.models import KnowledgeEntry
from knowledge.services import knowledge_entry_create, knowledge_entry_update
from runtime.models import ApiKey
from teams.services import team_update

pytestmark = pytest.mark.django_db
AUDIT_LOG = reverse("admin:audit_auditrecord_changelist")


def _history_target(client, url) -> tuple[str, dict]:
    response = client.get(url)
    assert response.status_code == 302, response.content
    parts = urlsplit(response["Location"])
    return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


def test_knowledge_entry_added_in_the_admin__audited_once_and_no_log_entry(client, publisher):
    client.force_login(publisher)
    response = client.post(
        reverse("admin:knowledge_knowledgeentry_add"),
        {
            "business_unit": "pagbank",
            "category": "Cards",
            "subcategory": "",
            "question": "Lost card?",
            "answer": "Block it.",
            "metadata": "{}",
        },
    )
    assert response.status_code == 302, response.content
    entry = KnowledgeEntry.objects.get()
    assert AuditRecord.objects.filter(subject_type="knowledge", subject_id=str(entry.pk)).count() == 1
    assert LogEntry.objects.count() == 0


def test_knowledge_entry_history__is_its_audit_trail(client, publisher):
    entry = knowledge_entry_create(
        business_unit="pagbank", category="Cards", question="Lost card?", answer="Block it.", embed=False
    )
    client.force_login(publisher)
    path, query = _history_target(client, reverse("admin:knowledge_knowledgeentry_history", args=[entry.pk]))
    assert (path, query) == (AUDIT_LOG, {"subject_type": "knowledge", "subject_id": str(entry.pk)})
    listed = client.get(path, query)
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == list(
        AuditRecord.objects.filter(subject_type="knowledge", subject_id=str(entry.pk))
    )


def test_agent_history__is_the_audit_trail_of_its_agent_id(client, viewer, make_agent):
    agent = make_agent("cards", publish=True)
    make_agent("pix")
    client.force_login(viewer)
    path, query = _history_target(client, reverse("admin:agents_agent_history", args=[agent.pk]))
    assert (path, query) == (AUDIT_LOG, {"subject_type": "agent", "subject_id": "cards"})
    rows = list(client.get(path, query).context["cl"].result_list)
    assert rows and {row.subject_id for row in rows} == {"cards"}


def test_api_key_history__named_by_the_key_id(client, portal_admin):
    from runtime.services import api_key_create

    key, _ = api_key_create(name="runtime-prod", scopes=["config:read"], created_by=None)
    client.force_login(portal_admin)
    _, query = _history_target(client, reverse("admin:runtime_apikey_history", args=[key.pk]))
    assert query == {"subject_type": "api_key", "subject_id": str(key.pk)}


def test_history_of_a_missing_object__back_to_the_list(client, publisher):
    client.force_login(publisher)
    response = client.get(reverse("admin:knowledge_knowledgeentry_history", args=[999999]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_api_key_added_in_the_admin__no_log_entry(client, portal_admin):
    client.force_login(portal_admin)
    response = client.post(
        reverse("admin:runtime_apikey_add"), {"name": "runtime-prod", "scopes": ["config:read"], "expires_at": ""}
    )
    assert response.status_code == 200  # the page that shows the key once
    assert ApiKey.objects.filter(name="runtime-prod").exists()
    assert LogEntry.objects.count() == 0


def test_component_bulk_delete__all_or_nothing(make_team, make_agent, portal_admin):
    make_team("router")  # uses "cards" and "pix"
    make_agent("spare")
    model_admin = admin.site._registry[Agent]
    request = RequestFactory().post("/")
    request.user = portal_admin
    with pytest.raises(ValidationError):
        model_admin.delete_queryset(
            request, Agent.objects.filter(agent_id__in=["spare", "cards"]).order_by("agent_id").reverse()
        )
    assert set(Agent.objects.values_list("agent_id", flat=True)) == {"cards", "pix", "spare"}


# --- common.services.apply_fields: one error type for a field no service edits -------------------


def _agent_pk(agent, team, entry):
    agent_update(agent=agent, actor="t", note="n", pk=5)


def _team_revision(agent, team, entry):
    team_update(team=team, actor="t", note="n", revision=9)


def _entry_embedding(agent, team, entry):
    knowledge_entry_update(entry=entry, data={"embedding": [1]})


@pytest.mark.parametrize(
    ("update", "field"), [(_agent_pk, "pk"), (_team_revision, "revision"), (_entry_embedding, "embedding")]
)
def test_services__a_field_they_do_not_edit__validation_error_naming_it(make_team, update, field):
    team = make_team("router")
    agent = team.members.first()
    entry = knowledge_entry_create(
        business_unit="pagbank", category="Cards", question="Lost card?", answer="Block it.", embed=False
    )
    before = AuditRecord.objects.count()
    with pytest.raises(ValidationError) as caught:
        update(agent, team, entry)
    assert list(caught.value.message_dict) == [field]
    assert AuditRecord.objects.count() == before
