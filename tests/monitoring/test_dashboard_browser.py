"""The business user's path of issue 6 in a real browser (Debian's Chromium driven by Playwright):
import the hierarchy, publish the routing, ask the routing console where a message would go, and compare an agent's
metrics before and after a prompt change on charts drawn by the vendored Chart.js (no network)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from monitoring import rollups
from monitoring.models import AgentMetric

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

DATA = Path(__file__).resolve().parent.parent / "typification" / "data"


def charts_drawn(page) -> int:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('canvas[data-chart]')).filter(c => Chart.getChart(c)).length"
    )


def test_import__console__dashboard_compare(live_server, browser, django_user_model):
    django_user_model.objects.create_superuser("boss", password="correct-horse-42")
    now = timezone.now()
    AgentMetric.objects.bulk_create(
        AgentMetric(
            agent_id="pix-specialist",
            response_time_ms=2000 if i < 40 else 900,  # the new prompt (v2) answers faster
            tokens_used=800,
            success=i % 10 != 0,
            config_version=1 if i < 40 else 2,
            created_at=now - timedelta(hours=80 - i),
        )
        for i in range(80)
    )
    rollups.rebuild()  # written directly, not through ingestion
    base = live_server.url
    page = browser.new_page()
    requests_outside: list[str] = []
    page.on("request", lambda r: requests_outside.append(r.url) if not r.url.startswith(base) else None)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    csp_violations: list[str] = []
    page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "correct-horse-42")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    # Import the hierarchy.
    page.goto(f"{base}/admin/typification/typificationhierarchy/import/")
    page.set_input_files("#id_file", str(DATA / "hierarchy.json"))
    page.click("input[type=submit][value=Import]")
    page.wait_for_url(f"{base}/admin/typification/typificationhierarchy/")
    assert "5 created" in page.content()

    # The import is the routing's draft: publish it from the routing page, so production (and the console) use it.
    assert "differs from what is live" in page.locator("#routing-status").inner_text()
    page.click("#routing-link")
    page.click("#publish-link")
    assert "path added: PagBank › Pix › Pix não recebido" in page.locator("table.hive-diff-table").inner_text()
    page.click("#publish-button")
    page.wait_for_url("**/typification/routingtable/*/change/")
    assert "The runtime serves it now" in page.content()

    # Ask where a message would go.
    page.goto(f"{base}/admin/typification/typificationhierarchy/console/")
    page.fill("#id_text", "meu pix nao foi recebido")
    page.click("input[type=submit][value=Classify]")
    first = page.locator("#results tbody tr").first.inner_text()
    assert "PagBank › Pix › Pix não recebido" in first
    assert "no route" in first  # nobody handles PagBank yet: the console says so and offers a route

    # The agent's dashboard and the before/after comparison, with charts.
    page.goto(f"{base}/admin/monitoring/agentmetric/dashboard/?range=7d&agent=pix-specialist")
    page.wait_for_function("() => typeof Chart !== 'undefined'")
    assert charts_drawn(page) == 6
    page.click("text=Compare its configuration versions")
    page.wait_for_selector("#comparison")
    p95 = page.locator("#comparison tr[data-key=p95_ms]").inner_text()
    assert "2000 ms" in p95 and "900 ms" in p95 and "-55.0%" in p95
    assert charts_drawn(page) == 4

    # The typification tree's buttons and Swagger UI run under the Content-Security-Policy too.
    page.goto(f"{base}/admin/typification/typificationhierarchy/tree/")
    page.click("button[data-tree=open]")
    assert page.locator("#typification-tree details[open]").count() > 0
    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    assert "Hive Portal API" in page.content()
    assert errors == []
    assert csp_violations == []
    assert requests_outside == []  # everything, Chart.js included, comes from the portal itself
