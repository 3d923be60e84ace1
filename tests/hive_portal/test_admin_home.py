"""The admin home (hive_portal.admin_site, hive_portal.overview): what waits for each person, and the models grouped
by task with the technical tables for the Admin role only."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.services import agent_update
from hive_portal import overview
from monitoring.services import agent_metrics_ingest
from versioning.components import get_kind
from versioning.services import component_publish, draft_submit

pytestmark = pytest.mark.django_db

AGENT = get_kind("agent")


def home(client, user) -> str:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<div class="module hive-overview-section" id="{section_id}">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def groups(html: str) -> list[str]:
    main = html.split('<div id="content-main">')[1].split('<div id="content-related">')[0]
    return re.findall(r'<span class="section">([^<]+)</span>', main)


@pytest.fixture
def submitted(make_agent, editor):
    """Agent "cards" published, then a draft by the editor submitted for review."""
    make_agent("cards", publish=True)
    agent = AGENT.model.objects.get(agent_id="cards")
    agent_update(agent=agent, actor=editor, note="Warmer tone", role="Answers card questions warmly")
    draft_submit(kind=AGENT, component_id="cards", actor=editor, note="Please check the tone")


def test_home__editor_sees_their_draft__not_the_review_queue(client, editor, submitted):
    html = home(client, editor)
    drafts = section(html, "overview-drafts")
    assert "Agent cards v2" in drafts and "Waiting for review" in drafts
    assert 'id="overview-review"' not in html  # editors do not review


def test_home__publisher_sees_the_draft_waiting_for_review_with_a_link(client, publisher, submitted):
    html = home(client, publisher)
    review = section(html, "overview-review")
    assert "Agent cards v2" in review and "eddie-editor" in review and "Please check the tone" not in review
    agent = AGENT.model.objects.get(agent_id="cards")
    assert f'href="/admin/agents/agent/{agent.pk}/publish/"' in review
    assert "You have no open drafts." in section(html, "overview-drafts")


def test_home__a_publisher_who_edited_the_draft_does_not_see_it_to_review(client, publisher, make_agent):
    make_agent("cards", publish=True)
    agent = AGENT.model.objects.get(agent_id="cards")
    agent_update(agent=agent, actor=publisher, note="Mine", role="Mine")
    draft_submit(kind=AGENT, component_id="cards", actor=publisher)
    html = home(client, publisher)
    assert "Nothing is waiting for your review." in section(html, "overview-review")  # four eyes
    assert "Agent cards v2" in section(html, "overview-drafts")


def test_home__last_publishes_say_who_and_why(client, viewer, make_agent):
    make_agent("cards")
    component_publish(kind=AGENT, component_id="cards", actor="paula", note="First version for the cards unit")
    html = home(client, viewer)
    related = html.split('id="recent-publishes"')[1]
    assert "agent cards" in related and "by paula" in related and "First version for the cards unit" in related


def test_home__agents_that_moved_against_last_week(client, viewer):
    now = timezone.now()
    records = []
    for day in range(1, 15):
        this_week = day <= 7
        for i in range(30):
            records.append(
                {
                    "agent_id": "cards",
                    "response_time_ms": 2000 if this_week else 800,  # slower this week
                    "success": not (this_week and i < 6),  # 80 % this week against 100 %
                    "created_at": now - timedelta(days=day, hours=1),
                }
            )
            records.append({"agent_id": "pix", "response_time_ms": 500, "created_at": now - timedelta(days=day)})
    agent_metrics_ingest(records=records)

    moved = overview.moved_agents(viewer, now=now)
    assert [m.agent_id for m in moved] == ["cards"]  # pix did not move
    assert moved[0].success_points == pytest.approx(-20)
    assert moved[0].p95_change == pytest.approx(1.5, rel=0.1)
    html = home(client, viewer)
    assert "cards</a>" in section(html, "overview-moved") and "pix" not in section(html, "overview-moved")


@pytest.mark.parametrize(
    "role, sees_administration",
    [("viewer", False), ("editor", False), ("publisher", False), ("portal_admin", True), ("superuser", True)],
)
def test_home__models_grouped_by_task__administration_for_admins_only(client, request, role, sees_administration):
    if role == "superuser":
        from django.contrib.auth.models import User

        user = User.objects.create_superuser("root", password="x-not-used-123")
    else:
        user = request.getfixturevalue(role)
    html = home(client, user)
    shown = groups(html)
    assert shown[:4] == ["Agents &amp; teams", "Routing", "Knowledge", "Monitoring"]
    assert ("Administration" in shown) is sees_administration
    main = html.split('<div id="content-main">')[1]
    assert ("Login lockouts" in main or "Access attempts" in main) is sees_administration
    assert ("API keys" in main) is sees_administration


def test_home__an_apps_own_page_is_djangos(client, portal_admin):
    client.force_login(portal_admin)
    html = client.get("/admin/agents/").content.decode()
    assert 'href="/admin/agents/"' in html and "Agents &amp; teams" not in html.split('id="content-main"')[1]


def test_home__queries_do_not_grow_with_the_drafts(client, editor, make_agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def drafts(ids):
        for agent_id in ids:
            make_agent(agent_id, publish=True)
            agent_update(agent=AGENT.model.objects.get(agent_id=agent_id), actor=editor, note="n", role="Changed")

    client.force_login(editor)
    drafts(["a1"])
    with CaptureQueriesContext(connection) as one:
        assert "Agent a1 v2" in client.get("/admin/").content.decode()
    drafts(["a2", "a3", "a4"])
    with CaptureQueriesContext(connection) as four:
        html = client.get("/admin/").content.decode()
    assert all(f"Agent {a} v2" in html for a in ("a1", "a2", "a3", "a4"))
    assert len(four.captured_queries) == len(one.captured_queries)
