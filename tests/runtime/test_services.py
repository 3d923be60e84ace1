"""API keys: every creation, change and revocation leaves an audit row (never the key's hash)."""

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditRecord, AuditSubject
from runtime.models import ApiKey
from runtime.services import api_key_create, api_key_revoke, api_key_update

pytestmark = pytest.mark.django_db


def _rows():
    return list(AuditRecord.objects.filter(subject_type=AuditSubject.API_KEY).order_by("id"))


def test_create_update_revoke__each_audited_with_actor_and_without_secrets(portal_admin):
    key, raw = api_key_create(name="prod-runtime", scopes=["config:read"], created_by=portal_admin)
    api_key_update(key=key, scopes=["config:read", "metrics:write"], name="prod-runtime", actor=portal_admin)
    api_key_revoke(key=key, actor=portal_admin, reason="Leaked in a log")
    api_key_revoke(key=key, actor=portal_admin)  # twice: nothing more

    rows = _rows()
    assert [r.action for r in rows] == [AuditAction.CREATED, AuditAction.UPDATED, AuditAction.DEACTIVATED]
    assert {r.actor_name for r in rows} == {portal_admin.username}
    assert all((r.subject_type, r.subject_id) == ("api_key", str(key.pk)) for r in rows)
    assert rows[0].after["scopes"] == ["config:read"] and rows[0].before is None
    assert rows[1].diff["changed"]["scopes"]["to"] == ["config:read", "metrics:write"]
    assert rows[2].reason == "Leaked in a log" and rows[2].after["revoked_at"]
    for row in rows:
        text = str(row.before) + str(row.after) + str(row.diff)
        assert key.key_hash not in text and raw not in text


def test_update_without_change__no_audit_row(portal_admin):
    key, _ = api_key_create(name="k", scopes=["config:read"], created_by=portal_admin)
    api_key_update(key=key, scopes=["config:read"], name="k", actor=portal_admin)
    assert len(_rows()) == 1


def test_failed_create__no_key_and_no_audit_row():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        api_key_create(name="x", scopes=["config:write"])
    assert not ApiKey.objects.exists() and _rows() == []


def test_admin__create_and_revoke_are_audited_as_the_admin(client, portal_admin):
    client.force_login(portal_admin)
    client.post(
        reverse("admin:runtime_apikey_add"), {"name": "staging", "scopes": ["config:read"], "environment": "staging"}
    )
    key = ApiKey.objects.get(name="staging")
    client.post(reverse("admin:runtime_apikey_changelist"), {"action": "revoke_selected", "_selected_action": [key.pk]})
    assert [(r.action, r.actor_name) for r in _rows()] == [
        (AuditAction.CREATED, portal_admin.username),
        (AuditAction.DEACTIVATED, portal_admin.username),
    ]


def test_command__create_is_audited(capsys):
    from django.core.management import call_command

    call_command("create_api_key", "cli-key", "--scopes", "config:read")
    assert [(r.action, r.actor_name) for r in _rows()] == [(AuditAction.CREATED, "manage.py create_api_key")]
