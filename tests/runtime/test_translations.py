"""The runtime's refusals in the person's language: the tools gate on the publish page, the API key service, a
constraint's message; the audit row stays English."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from audit.models import AuditAction, AuditRecord
from hive_portal.testing import key_client, make_api_key
from runtime.models import ApiKey, RuntimeReport
from runtime.services import api_key_create

pytestmark = pytest.mark.django_db


def test_publish__tool_no_runtime_provides__refusal_in_portuguese__audit_in_english(client, publisher, make_agent):
    _, raw = make_api_key(name="staging-runtime", environment="staging")
    key_client(raw).post(
        "/api/v1/runtime/report", {"runtime": "pix-bot", "version": "1", "tools": ["card_lookup"]}, format="json"
    )
    agent = make_agent("cards", tools=["card_lookup", "block_card"])
    client.force_login(publisher)
    client.cookies["django_language"] = "pt-br"
    url = reverse("admin:agents_agent_publish", args=[agent.pk])

    page = client.post(url, {"note": "go", "action": "publish"}).content.decode()
    assert "Nenhum runtime de staging informou ter a(s) ferramenta(s) block_card que cards v1 usa" in page
    assert "Confirme com um motivo para publicar mesmo assim." in page

    assert client.post(url, {"note": "go", "action": "override", "override": "Sai hoje"}).status_code == 302
    row = AuditRecord.objects.get(action=AuditAction.GATE_OVERRIDDEN, subject_id="cards")
    assert row.reason.startswith("Published with tool(s) no runtime of staging reported (block_card)")


def test_api_key_service__refusals_in_the_active_language():
    with translation.override("pt-br"), pytest.raises(ValidationError) as refused:
        api_key_create(name="k", scopes=["config:read"], environment="qa")
    assert refused.value.message_dict["environment"][0].startswith("Ambiente desconhecido “qa”; esperado um destes:")
    with translation.override("pt-br"), pytest.raises(ValidationError) as refused:
        api_key_create(name="k", scopes=[])
    assert refused.value.message_dict["scopes"] == ["Dê à chave pelo menos um escopo."]

    with pytest.raises(ValidationError) as refused:  # English by default (the API, commands, jobs)
        api_key_create(name="k", scopes=["nope"])
    assert refused.value.message_dict["scopes"][0].startswith("Unknown scope(s): nope. Known:")


def test_constraint_message__translated_when_shown():
    key = ApiKey(name="", prefix="hive_x", key_hash="h", scopes=["config:read"], environment="staging")
    with translation.override("pt-br"), pytest.raises(ValidationError, match="Dê um nome à chave."):
        key.validate_constraints()
    report = RuntimeReport(api_key=key, runtime="", environment="staging", tools=[])
    with pytest.raises(ValidationError, match="A runtime must give its name."):
        report.validate_constraints(exclude={"api_key"})
