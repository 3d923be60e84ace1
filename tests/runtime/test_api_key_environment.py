"""An API key belongs to one environment: the admin chooses it from HIVE_ENVIRONMENTS (anything else is a form
error), lists and filters keys by it, and the runtime API serves that environment's configuration."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditRecord, AuditSubject
from hive_portal.testing import key_client
from runtime.models import ApiKey
from runtime.services import api_key_create, api_key_update
from versioning.components import get_kind
from versioning.promotion import component_promote

pytestmark = pytest.mark.django_db

ADD = {"name": "prod-runtime", "scopes": ["config:read"], "expires_at_0": "", "expires_at_1": ""}


def test_admin_add__chosen_environment__saved_and_audited(client, portal_admin):
    client.force_login(portal_admin)
    form = client.get(reverse("admin:runtime_apikey_add")).content.decode()
    assert '<option value="staging" selected>' in form and '<option value="production">' in form
    response = client.post(reverse("admin:runtime_apikey_add"), {**ADD, "environment": "production"})
    assert response.status_code == 200  # the page that shows the secret once
    key = ApiKey.objects.get(name="prod-runtime")
    assert key.environment == "production"
    row = AuditRecord.objects.get(subject_type=AuditSubject.API_KEY, subject_id=str(key.pk))
    assert row.after["environment"] == "production"


def test_admin_add__unknown_environment__form_error_and_no_key(client, portal_admin):
    client.force_login(portal_admin)
    response = client.post(reverse("admin:runtime_apikey_add"), {**ADD, "environment": "qa"})
    assert response.status_code == 200
    assert "environment" in response.context["adminform"].form.errors
    assert not ApiKey.objects.exists()


def test_admin_change__moves_the_key_to_another_environment(client, portal_admin):
    key, _ = api_key_create(name="runtime", scopes=["config:read"])
    client.force_login(portal_admin)
    data = {**ADD, "name": "runtime", "environment": "production"}
    response = client.post(reverse("admin:runtime_apikey_change", args=[key.pk]), data)
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.environment == "production"


def test_admin_list__environment_column_and_filter(client, portal_admin):
    api_key_create(name="stage-key", scopes=["config:read"])
    api_key_create(name="prod-key", scopes=["config:read"], environment="production")
    client.force_login(portal_admin)
    url = reverse("admin:runtime_apikey_changelist")
    page = client.get(url).content.decode()
    assert "column-environment" in page and "?environment=production" in page
    filtered = client.get(url, {"environment": "production"}).content.decode()
    assert "prod-key" in filtered and "stage-key" not in filtered


def test_service__unknown_environment__refused_on_create_and_update():
    with pytest.raises(ValidationError) as exc:
        api_key_create(name="x", scopes=["config:read"], environment="qa")
    assert "environment" in exc.value.message_dict
    key, _ = api_key_create(name="y", scopes=["config:read"])
    with pytest.raises(ValidationError):
        api_key_update(key=key, environment="qa")
    key.refresh_from_db()
    assert key.environment == "staging"


def test_command__environment_option(capsys):
    call_command("create_api_key", "prod-runtime", "--environment", "production")
    assert ApiKey.objects.get(name="prod-runtime").environment == "production"


def test_runtime__a_production_key_is_served_what_production_serves(make_agent, portal_admin):
    from agents.services import agent_update
    from versioning.services import component_publish

    agent = make_agent("cards", publish=True)
    component_promote(kind=get_kind("agent"), component_id="cards", environment="production", actor="ops", note="go")
    agent_update(agent=agent, actor="eddie", note="Shorter", role="Short answers")
    component_publish(kind=get_kind("agent"), component_id="cards", actor="ops")
    _, staging_raw = api_key_create(name="stage", scopes=["config:read"])
    _, production_raw = api_key_create(name="prod", scopes=["config:read"], environment="production")
    url = reverse("api:v1:agent-config", args=["cards"])
    assert key_client(staging_raw).get(url).json()["metadata"]["hive"]["version"] == 2
    assert key_client(production_raw).get(url).json()["metadata"]["hive"]["version"] == 1
