"""Runtimes report the tools their registry provides; the admin says who provides what and asks before
publishing an agent whose tools no runtime provides."""

import pytest
from django.test import override_settings
from django.urls import reverse

from agents.models import Tool
from audit.models import AuditAction, AuditRecord
from hive_portal.testing import error_of, key_client, make_api_key
from runtime.models import RuntimeReport
from versioning.selectors import component_status

pytestmark = pytest.mark.django_db
REPORT_URL = "/api/v1/runtime/report"


def _report(raw_key: str, tools, runtime="pix-bot", version="2.4.1"):
    return key_client(raw_key).post(REPORT_URL, {"runtime": runtime, "version": version, "tools": tools}, format="json")


@pytest.fixture
def staging_key(db):
    _, raw = make_api_key(name="staging-runtime", environment="staging")
    return raw


# --- The report -----------------------------------------------------------------------------------------------


def test_report__records_the_runtime_its_environment_and_tools(staging_key, make_agent):
    make_agent("cards", tools=["card_lookup"])
    response = _report(staging_key, ["card_lookup", "extra_fn", "card_lookup"])
    assert response.status_code == 200, response.content
    assert response.json() == {
        "runtime": "pix-bot",
        "environment": "staging",
        "tools": 2,
        "not_in_catalogue": ["extra_fn"],
    }
    report = RuntimeReport.objects.get()
    assert (report.runtime, report.runtime_version, report.environment) == ("pix-bot", "2.4.1", "staging")
    assert report.tools == ["card_lookup", "extra_fn"]


def test_report__again__replaces_what_the_same_runtime_said(staging_key):
    _report(staging_key, ["a_fn", "b_fn"])
    first = RuntimeReport.objects.get().last_seen
    _report(staging_key, ["b_fn"], version="2.5.0")
    report = RuntimeReport.objects.get()
    assert report.tools == ["b_fn"] and report.runtime_version == "2.5.0" and report.last_seen >= first
    _report(staging_key, ["c_fn"], runtime="cards-bot")
    assert RuntimeReport.objects.count() == 2


@pytest.mark.parametrize(
    "body, field",
    [
        ({"runtime": "x", "tools": ["has space"]}, "tools"),
        ({"runtime": "", "tools": []}, "runtime"),
        ({"runtime": "x", "tools": "card_lookup"}, "tools"),
        ({"runtime": "x"}, "tools"),
        ({"runtime": "x", "tools": [], "extra": 1}, "extra"),
    ],
)
def test_report__bad_body__400_naming_the_field_nothing_stored(staging_key, body, field):
    response = key_client(staging_key).post(REPORT_URL, body, format="json")
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert not RuntimeReport.objects.exists()


def test_report__a_person_or_no_key__refused(client, portal_admin):
    assert client.post(REPORT_URL, {"runtime": "x", "tools": []}, content_type="application/json").status_code in (
        401,
        403,
    )
    client.force_login(portal_admin)
    response = client.post(REPORT_URL, {"runtime": "x", "tools": []}, content_type="application/json")
    assert response.status_code == 403
    assert not RuntimeReport.objects.exists()


# --- The admin: who provides what, and a warning on agents ------------------------------------------------------


def test_tool_page__lists_the_runtimes_that_provide_it_and_when_seen(client, viewer, staging_key, make_agent):
    make_agent("cards", tools=["card_lookup"])
    _report(staging_key, ["card_lookup"])
    tool = Tool.objects.get(name="card_lookup")
    client.force_login(viewer)
    page = client.get(reverse("admin:agents_tool_change", args=[tool.pk])).content.decode()
    assert "pix-bot" in page and "2.4.1" in page and "staging" in page and "last seen" in page
    listing = client.get(reverse("admin:agents_tool_changelist")).content.decode()
    assert "pix-bot" in listing


def test_agent_page__warns_about_a_tool_no_runtime_reported(client, editor, staging_key, make_agent):
    agent = make_agent("cards", tools=["card_lookup", "block_card"])
    _report(staging_key, ["card_lookup"])
    client.force_login(editor)
    response = client.get(reverse("admin:agents_agent_change", args=[agent.pk]))
    warnings = [str(m) for m in response.context["messages"]]
    assert any("block_card" in w and "card_lookup" not in w for w in warnings), warnings

    _report(staging_key, ["card_lookup", "block_card"])
    response = client.get(reverse("admin:agents_agent_change", args=[agent.pk]))
    assert not any("No runtime has reported" in str(m) for m in response.context["messages"])


# --- Publishing asks first ----------------------------------------------------------------------------------------


def _publish(client, agent, **data):
    return client.post(reverse("admin:agents_agent_publish", args=[agent.pk]), {"note": "go", **data})


def test_publish__tool_no_runtime_of_the_environment_provides__asks_for_a_reason_then_publishes(
    client, publisher, staging_key, make_agent
):
    agent = make_agent("cards", tools=["card_lookup", "block_card"])
    _report(staging_key, ["card_lookup"])
    client.force_login(publisher)

    response = _publish(client, agent, action="publish")
    assert response.status_code == 200
    page = response.content.decode()
    assert "block_card" in page and "Publish although no runtime provides these tools" in page
    assert component_status("agent", "cards").published is None

    response = _publish(client, agent, action="override", override="The runtime ships it this afternoon")
    assert response.status_code == 302
    assert component_status("agent", "cards").published is not None
    row = AuditRecord.objects.get(action=AuditAction.GATE_OVERRIDDEN, subject_id="cards")
    assert "block_card" in row.reason and "this afternoon" in row.reason


def test_publish__every_tool_provided__publishes_without_asking(client, publisher, staging_key, make_agent):
    agent = make_agent("cards", tools=["card_lookup"])
    _report(staging_key, ["card_lookup"])
    client.force_login(publisher)
    assert _publish(client, agent, action="publish").status_code == 302
    assert component_status("agent", "cards").published is not None


def test_publish__no_runtime_ever_reported__nothing_to_judge_by__publishes(client, publisher, make_agent):
    agent = make_agent("cards", tools=["card_lookup"])
    client.force_login(publisher)
    assert _publish(client, agent, action="publish").status_code == 302


@override_settings(HIVE_REQUIRE_REVIEW=True)
def test_publish__under_review__refused_outright(client, publisher, second_publisher, staging_key, make_agent):
    from versioning.components import get_kind
    from versioning.services import draft_approve, draft_submit

    agent = make_agent("cards", tools=["block_card"])
    _report(staging_key, ["card_lookup"])
    draft_submit(kind=get_kind("agent"), component_id="cards", actor=publisher)
    draft_approve(kind=get_kind("agent"), component_id="cards", actor=second_publisher)
    client.force_login(publisher)
    response = _publish(client, agent, action="override", override="please")
    assert response.status_code == 200
    assert "deploy a runtime that provides them first" in response.content.decode()
    assert component_status("agent", "cards").published is None
