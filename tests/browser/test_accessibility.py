"""Accessibility of the portal's own pages, checked in the browser with axe-core (axe-playwright-python bundles it):
no serious or critical violation on the home page, the status panel, review-and-publish with its diff, history and
compare, the dashboards, the routing console and tree, the knowledge search with its similar entries, the imports
and the notification settings. The diff is also readable without colour (insertions and deletions are marked in
the text itself)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from agents.services import agent_update
from knowledge.services import knowledge_entry_create
from monitoring.services import agent_metrics_ingest, routing_decisions_ingest
from tests.browser.helpers import tab_to
from typification.services import typification_create
from versioning.components import get_kind
from versioning.services import draft_submit

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

AGENT = get_kind("agent")
BLOCKING = ("serious", "critical")
# The WCAG 2.2 A and AA rules (axe's best-practice rules beyond them would flag Django's own icon-labelled search box).
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


def violations(page) -> list[str]:
    """axe-core's serious and critical violations of the WCAG 2.2 A/AA rules on the page, one line each."""
    results = Axe().run(page, options={**WCAG, "resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [", ".join(node["target"]) for node in violation["nodes"]][:5]
            found.append(f"{violation['impact']} {violation['id']}: {violation['help']} — {targets}")
    return found


@pytest.fixture
def portal(make_team, db):
    """A published team with two agents, a submitted draft of "cards" with changed instructions, metrics and
    routing decisions for the dashboards, a typification path and knowledge entries."""
    make_team("router", publish=True)
    cards = AGENT.model.objects.get(agent_id="cards")
    agent_update(
        agent=cards,
        actor="eddie",
        note="Warmer tone",
        instructions=["Seja cordial.", "Never ask for the card's CVV."],
        role="Answers card questions warmly",
    )
    draft_submit(kind=AGENT, component_id="cards", actor="eddie")
    now = timezone.now()
    agent_metrics_ingest(
        records=[
            {
                "agent_id": "cards",
                "response_time_ms": 400 + 10 * i,
                "success": i % 9 != 0,
                "config_version": 1,
                "created_at": now - timedelta(hours=i),
            }
            for i in range(60)
        ]
    )
    routing_decisions_ingest(
        records=[
            {
                "session_id": f"s{i}",
                "query": "perdi meu cartão",
                "routed_to": "cards",
                "confidence_score": 0.3 + (i % 7) / 10,
                "typification_result": {"business_unit": "Cartões", "path": ["Cartões", "Bloqueio"]},
                "created_at": now - timedelta(hours=i),
            }
            for i in range(40)
        ]
    )
    typification_create(
        actor="setup", level1="Cartões", level2="Bloqueio", business_unit="Cartões", routing_keywords=["cartão"]
    )
    for i, (question, answer) in enumerate(
        [
            ("Como bloquear o cartão?", "No app, em Cartões › Bloquear."),
            ("Perdi meu cartão", "Bloqueie pelo app e peça outro."),
            ("Cartão não chegou", "O prazo de entrega é de 10 dias úteis."),
        ]
    ):
        knowledge_entry_create(
            actor="setup", question=question, answer=answer, business_unit="Cartões", category=f"Cartões {i}"
        )
    return {"cards": cards}


PAGES = [
    ("home", "/admin/"),
    ("agent change page with its status panel", "/admin/agents/agent/{cards}/change/"),
    ("review and publish with the diff", "/admin/agents/agent/{cards}/publish/"),
    ("history", "/admin/agents/agent/{cards}/versions/"),
    ("compare", "/admin/agents/agent/{cards}/compare/?a=1&b=2"),
    ("agent dashboard", "/admin/monitoring/agentmetric/dashboard/?range=7d&agent=cards"),
    ("version comparison dashboard", "/admin/monitoring/agentmetric/compare/?agent=cards&a=1&b=2"),
    ("routing dashboard", "/admin/monitoring/routingdecision/dashboard/?range=7d"),
    ("routing console", "/admin/typification/typificationhierarchy/console/"),
    ("typification tree", "/admin/typification/typificationhierarchy/tree/"),
    ("knowledge search", "/admin/knowledge/knowledgeentry/?similar=cart%C3%A3o"),
    ("knowledge import", "/admin/knowledge/knowledgeentry/import/"),
    ("typification import", "/admin/typification/typificationhierarchy/import/"),
    ("notification settings", "/admin/notifications/notificationpreference/mine/"),
]


@pytest.mark.parametrize("name, path", PAGES, ids=[name for name, _ in PAGES])
def test_page__no_serious_or_critical_axe_violation(live_server, page_as, portal, name, path):
    page = page_as("Publisher")
    page.goto(live_server.url + path.format(cards=portal["cards"].pk))
    assert violations(page) == []


def test_routing_console__with_results__no_serious_or_critical_violation(live_server, page_as, portal):
    page = page_as("Publisher")
    page.goto(f"{live_server.url}/admin/typification/typificationhierarchy/console/")
    page.fill("#id_text", "perdi meu cartão")
    page.click("input[type=submit][value=Classify]")
    page.wait_for_selector("#results")
    assert violations(page) == []


def test_knowledge_entry__similar_entries__no_serious_or_critical_violation(live_server, page_as, portal):
    from knowledge.models import KnowledgeEntry

    entry = KnowledgeEntry.objects.order_by("pk").first()
    page = page_as("Publisher")
    page.goto(f"{live_server.url}/admin/knowledge/knowledgeentry/{entry.pk}/change/")
    page.wait_for_selector("#knowledge-similar-entries")
    assert violations(page) == []


def test_diff__readable_without_colour(live_server, page_as, portal):
    """Insertions and deletions say so in text a screen reader reads and a colour-blind person sees, not only in
    their green and red."""
    page = page_as("Publisher")
    page.goto(f"{live_server.url}/admin/agents/agent/{portal['cards'].pk}/compare/?a=1&b=2")
    inserted = page.locator(".hive-diff ins").first
    deleted = page.locator(".hive-diff del").first
    for element, word in ((inserted, "added"), (deleted, "removed")):
        marker = element.evaluate(
            "e => getComputedStyle(e, '::before').content + ' ' + (e.getAttribute('aria-label') || '')"
        )
        visible = element.evaluate("e => getComputedStyle(e).textDecorationLine + ' ' + getComputedStyle(e).fontWeight")
        assert word in marker.lower() or word in (element.get_attribute("title") or "").lower(), marker
        assert "underline" in visible or "line-through" in visible, visible


def test_review_and_publish__keyboard_only(live_server, page_as, portal, settings):
    from versioning.selectors import component_status

    settings.HIVE_REQUIRE_REVIEW = True  # the four-eyes step first, then publishing
    page = page_as("Publisher")
    page.goto(f"{live_server.url}/admin/agents/agent/{portal['cards'].pk}/publish/")
    tab_to(page, "#review-note")
    page.keyboard.type("Tone is fine")
    tab_to(page, "button[value=approve]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert component_status("agent", "cards").draft.review_state == "approved"

    tab_to(page, "#publish-note")
    page.keyboard.type("Warmer tone, approved")
    tab_to(page, "#publish-button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/admin/agents/agent/{portal['cards'].pk}/change/")
    live = component_status("agent", "cards").published
    assert live.version == 2 and live.config["instructions"][0] == "Seja cordial."
    assert violations(page) == []
