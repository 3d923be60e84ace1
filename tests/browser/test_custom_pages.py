"""The portal's own admin pages in a real browser: each form is filled and submitted as a person would, and
the page reports success or a clear error. (The change forms have tests/browser/test_change_forms.py.)"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.services import agent_update
from knowledge.models import KnowledgeEntry
from runtime.models import ApiKey
from tests.browser.helpers import assert_message
from typification.models import BusinessUnitRoute, TypificationHierarchy
from typification.services import routing_publish, typification_create
from versioning.components import get_kind
from versioning.selectors import component_status
from versioning.services import component_publish

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

KNOWLEDGE_CSV = Path(__file__).resolve().parent.parent / "fixtures" / "automagik" / "knowledge_rag.csv"


def test_history__compare_two_versions__then_roll_back(live_server, page_as, make_agent):
    agent = make_agent("cards", publish=True)
    agent_update(
        agent=agent, actor="eddie", note="Warmer tone", instructions=["Seja cordial.", "Never ask for the CVV."]
    )
    component_publish(kind=get_kind("agent"), component_id="cards", actor="paula")
    base = live_server.url
    page = page_as("Publisher")

    page.goto(f"{base}/admin/agents/agent/{agent.pk}/versions/")
    page.click("text=Compare any two versions")
    page.select_option("select[name=a]", "1")
    page.select_option("select[name=b]", "2")
    page.click("input[type=submit][value=Compare]")
    page.wait_for_url("**/compare/?a=1&b=2")
    assert any("cordial" in text for text in page.locator(".hive-diff ins").all_inner_texts())

    page.goto(f"{base}/admin/agents/agent/{agent.pk}/versions/")
    page.click("#versions >> text=roll back to this")
    page.click("input[type=submit][value='Roll back to v1']")  # the browser refuses: a reason is required
    assert page.url.endswith("/rollback/1/")
    assert component_status("agent", "cards").published.version == 2
    page.fill("#rollback-note", "The warmer tone confused customers")
    page.click("input[type=submit][value='Roll back to v1']")
    page.wait_for_url(f"{base}/admin/agents/agent/{agent.pk}/versions/")
    assert_message(page, "Rolled back")
    live = component_status("agent", "cards").published
    assert live.version == 3 and live.rolled_back_from == 1
    assert live.config["instructions"][0] == "Be concise."
    assert page.errors == []


def test_typification__tree_search__console__and_a_new_route(live_server, page_as, make_team):
    make_team("router", publish=True)  # publishes the agents "cards" and "pix" too
    for level3 in ("Cartão bloqueado", "Fatura"):
        typification_create(
            actor="setup", level1="Cartoes", level2="Cartão de crédito", level3=level3, routing_keywords=["cartao"]
        )
    routing_publish(actor="setup")  # the console classifies against the published routing
    base = live_server.url
    page = page_as("Publisher")

    page.goto(f"{base}/admin/typification/typificationhierarchy/tree/")
    page.fill("#tree-search input[name=q]", "fatura")
    page.click("#tree-search input[type=submit]")
    page.wait_for_url("**/tree/?q=fatura")
    assert "1 path matching “fatura”" in page.inner_text(".typ-note")

    page.goto(f"{base}/admin/typification/typificationhierarchy/console/")
    page.fill("#id_text", "meu cartao foi bloqueado")
    page.click("input[type=submit][value=Classify]")
    page.wait_for_url("**/console/?text=*")
    assert "Cartão bloqueado" in page.locator("#results tbody tr").first.inner_text()

    # Both an agent and a team: a form error on the page, nothing saved.
    page.goto(f"{base}/admin/typification/businessunitroute/add/?business_unit=Cartoes")
    page.select_option("#id_agent", label="Cards specialist (cards)")
    page.select_option("#id_team", index=1)
    page.fill("#id_reason", "Cards unit goes live")
    page.click("input[name=_save]")
    expect(page.locator("#content-main")).to_contain_text("Choose either an agent or a team")
    assert BusinessUnitRoute.objects.count() == 0

    page.select_option("#id_team", index=0)
    page.click("input[name=_save]")
    page.wait_for_url(f"{base}/admin/typification/businessunitroute/")
    assert_message(page, "was added successfully")
    assert_message(page, "Saved to the routing draft")
    assert BusinessUnitRoute.objects.get(business_unit="Cartoes").agent.agent_id == "cards"
    assert TypificationHierarchy.objects.count() == 2
    assert "Cartoes" in component_status("routing", "routing").draft.config["routes"]
    assert page.errors == []


def test_knowledge__import_csv__bad_file_error__similar_entries(live_server, page_as, tmp_path):
    base = live_server.url
    page = page_as("Publisher")

    bad = tmp_path / "broken.csv"
    bad.write_text("question,answer\n,No question here\n", encoding="utf-8")
    page.goto(f"{base}/admin/knowledge/knowledgeentry/import/")
    page.set_input_files("#id_file", str(bad))
    page.fill("#id_business_unit", "Suporte")
    page.click("#content-main input[type=submit]")
    expect(page.locator(".errornote")).to_contain_text("Nothing was imported")
    assert page.locator("#import-problems li").count() >= 1
    assert KnowledgeEntry.objects.count() == 0

    page.set_input_files("#id_file", str(KNOWLEDGE_CSV))
    page.fill("#id_business_unit", "Suporte")
    page.click("#content-main input[type=submit]")
    page.wait_for_url(f"{base}/admin/knowledge/knowledgeentry/")
    assert_message(page, "entries added")
    created = KnowledgeEntry.objects.count()
    assert created > 5

    page.fill("#knowledge-similar-input", "rotate server logs")
    page.click("#knowledge-similarity-form input[type=submit]")
    page.wait_for_url("**similar=rotate*")
    first = page.locator("#result_list tbody tr").first.inner_text()
    assert "rotate" in first.lower(), first

    page.locator("#result_list tbody tr a").first.click()
    expect(page.locator("#knowledge-similar-entries table tbody tr")).to_have_count(5)
    assert page.errors == []


def test_dashboards__period_forms_submit__and_bad_period_is_a_form_error(live_server, page_as):
    base = live_server.url
    page = page_as("Viewer")
    page.goto(f"{base}/admin/monitoring/agentmetric/dashboard/")
    page.select_option("#id_range", "30d")
    page.click(".hive-dash-form input[type=submit]")
    page.wait_for_url("**range=30d*")

    page.select_option("#id_range", "custom")
    page.fill("#id_start", "2026-05-10")
    page.fill("#id_end", "2026-05-01")
    page.click(".hive-dash-form input[type=submit]")
    expect(page.locator(".hive-dash-form")).to_contain_text("must end on or after its first day")

    page.goto(f"{base}/admin/monitoring/routingdecision/dashboard/")
    page.select_option("#id_range", "24h")
    page.click(".hive-dash-form input[type=submit]")
    page.wait_for_url("**range=24h*")
    assert page.errors == []


def test_api_key__created_once__works__past_expiry_is_a_form_error(live_server, page_as):
    base = live_server.url
    page = page_as("Admin")
    page.goto(f"{base}/admin/runtime/apikey/add/")
    page.fill("#id_name", "browser-runtime")
    page.check("input[name=scopes][value='config:read']")
    page.fill("#id_expires_at_0", "2001-01-01")
    page.fill("#id_expires_at_1", "10:00:00")
    page.click("input[name=_save]")
    expect(page.locator("#content-main")).to_contain_text("The expiry must be in the future")
    assert ApiKey.objects.count() == 0

    page.fill("#id_expires_at_0", "")
    page.fill("#id_expires_at_1", "")
    page.click("input[name=_save]")
    raw_key = page.inner_text("#new-api-key").strip()  # waits for the page that shows it
    assert ApiKey.objects.get().name == "browser-runtime"
    request = urllib.request.Request(f"{base}/api/v1/bundle", headers={"Authorization": f"Bearer {raw_key}"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200 and "bundle_version" in json.loads(response.read())
    page.click("text=Done")
    assert raw_key not in page.content()  # shown once, never again
