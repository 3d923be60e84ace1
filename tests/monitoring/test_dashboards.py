"""Dashboard numbers against values computed by hand from a small, fixed data set.

The dashboards read the rollups: counts, sums and means are exact; percentiles are estimates from the
rollups' histograms, within 5 % of PostgreSQL's percentile_cont (linear interpolation: for sorted values
v0..vn-1 and fraction p, position = p × (n − 1), interpolated between the two neighbours) — ``estimate``.
"""

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User

from monitoring import rollups
from monitoring.models import AgentMetric, RoutingDecision
from monitoring.selectors import (
    Period,
    agent_overview,
    agent_series,
    agent_version_comparison,
    agent_version_series,
    agent_versions,
    routing_by_destination,
    routing_by_typification,
    routing_low_confidence,
    routing_totals,
)

pytestmark = pytest.mark.django_db

UTC = UTC
DASHBOARD = "/admin/monitoring/agentmetric/dashboard/"
COMPARE = "/admin/monitoring/agentmetric/compare/"
ROUTING = "/admin/monitoring/routingdecision/dashboard/"
PERIOD_QUERY = {"range": "custom", "start": "2026-01-01", "end": "2026-01-02"}


def estimate(exact):
    """A percentile the rollups estimate: within 5 % of the exact value (monitoring.histograms)."""
    return pytest.approx(exact, rel=0.05)


def at(day, hour, minute=0):
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def metrics():
    rows = [
        # pix, day 1, version 1: 100/200/300 ms in the 10:00 hour, a failed 400 ms run at 11:30
        ("pix", 100, 10, True, 1, at(1, 10, 5)),
        ("pix", 200, 20, True, 1, at(1, 10, 10)),
        ("pix", 300, 30, True, 1, at(1, 10, 20)),
        ("pix", 400, 40, False, 1, at(1, 11, 30)),
        # pix, day 2, version 2
        ("pix", 1000, 100, True, 2, at(2, 9, 0)),
        ("pix", 2000, 100, True, 2, at(2, 9, 30)),
        # cards, day 1
        ("cards", 50, 5, True, None, at(1, 12, 0)),
        # outside the period (it ends at 2026-01-03 00:00, exclusive)
        ("pix", 99999, 1, False, 1, datetime(2025, 12, 31, 23, 59, tzinfo=UTC)),
        ("pix", 99999, 1, False, 2, at(3, 0, 0)),
    ]
    AgentMetric.objects.bulk_create(
        AgentMetric(agent_id=a, response_time_ms=ms, tokens_used=t, success=ok, config_version=v, created_at=when)
        for a, ms, t, ok, v, when in rows
    )
    rollups.rebuild()  # rows written directly, not through ingestion


@pytest.fixture
def decisions():
    pix = {"business_unit": "PagBank", "path": ["PagBank", "Pix"]}
    rows = [
        ("d1", "pix", 0.9, pix, at(1, 8)),
        ("d2", "pix", 0.3, pix, at(1, 9)),
        ("d3", "cards", 0.45, {"business_unit": "Emissão"}, at(1, 10)),
        ("d4", "cards", None, {}, at(2, 8)),
        ("d5", "pix", 0.6, pix, at(2, 9)),
        ("old", "pix", 0.1, pix, datetime(2025, 12, 1, tzinfo=UTC)),
    ]
    RoutingDecision.objects.bulk_create(
        RoutingDecision(
            session_id=s, query=f"message {s}", routed_to=to, confidence_score=c, typification_result=t, created_at=when
        )
        for s, to, c, t, when in rows
    )
    rollups.rebuild()


def period(granularity="day"):
    return Period(start=at(1, 0), end=at(3, 0), granularity=granularity, tz=UTC)


# --- Selectors ------------------------------------------------------------------------------------


@pytest.mark.sqlite_smoke
def test_agent_overview__per_agent_numbers(metrics):
    rows = {row["agent_id"]: row for row in agent_overview(period=period())}

    pix = rows["pix"]
    assert (pix["requests"], pix["successes"], pix["tokens"]) == (6, 5, 300)
    assert pix["success_rate"] == pytest.approx(5 / 6)
    # sorted 100 200 300 400 1000 2000: p50 at 2.5 → 350; p95 at 4.75 → 1000 + 0.75 × 1000 = 1750
    assert pix["p50_ms"] == estimate(350)
    assert pix["p95_ms"] == estimate(1750)
    assert pix["avg_ms"] == pytest.approx(4000 / 6)
    assert pix["avg_tokens"] == pytest.approx(50)
    # one value: the exact minimum and maximum pin the estimate
    assert (rows["cards"]["requests"], rows["cards"]["p50_ms"], rows["cards"]["p95_ms"]) == (1, 50, 50)
    assert [row["agent_id"] for row in agent_overview(period=period())] == ["pix", "cards"]


@pytest.mark.sqlite_smoke
def test_agent_series__by_day(metrics):
    day1, day2 = agent_series(agent_id="pix", period=period("day"))

    assert day1["bucket"] == at(1, 0) and day2["bucket"] == at(2, 0)
    # day 1: 100 200 300 400 → p50 at 1.5 = 250, p95 at 2.85 = 385
    assert (day1["requests"], day1["tokens"], day1["success_rate"]) == (4, 100, 0.75)
    assert day1["p50_ms"] == estimate(250) and day1["p95_ms"] == estimate(385)
    # day 2: 1000 2000 → p50 1500, p95 at 0.95 = 1950
    assert (day2["requests"], day2["tokens"], day2["success_rate"]) == (2, 200, 1.0)
    assert day2["p50_ms"] == estimate(1500) and day2["p95_ms"] == estimate(1950)


@pytest.mark.sqlite_smoke
def test_agent_series__by_hour(metrics):
    rows = agent_series(agent_id="pix", period=period("hour"))
    assert [(r["bucket"], r["requests"], r["p50_ms"]) for r in rows] == [
        (at(1, 10), 3, estimate(200)),
        (at(1, 11), 1, 400),
        (at(2, 9), 2, estimate(1500)),
    ]


@pytest.mark.sqlite_smoke
def test_agent_series__day_buckets_follow_the_time_zone(metrics):
    sao_paulo = ZoneInfo("America/Sao_Paulo")  # UTC−3: 2026-01-03 00:00 UTC is 21:00 on the 2nd there
    within = Period(start=at(1, 3), end=at(3, 1), granularity="day", tz=sao_paulo)
    rows = agent_series(agent_id="pix", period=within)
    assert [(r["bucket"].date().isoformat(), r["requests"]) for r in rows] == [("2026-01-01", 4), ("2026-01-02", 3)]
    utc = agent_series(agent_id="pix", period=Period(start=at(1, 3), end=at(3, 1), granularity="day", tz=UTC))
    assert [(r["bucket"].date().isoformat(), r["requests"]) for r in utc] == [
        ("2026-01-01", 4),
        ("2026-01-02", 2),
        ("2026-01-03", 1),
    ]


@pytest.mark.sqlite_smoke
def test_agent_versions__newest_first_all_time(metrics):
    rows = agent_versions(agent_id="pix")
    assert [(r["config_version"], r["requests"]) for r in rows] == [(2, 3), (1, 5)]
    assert rows[1]["first_seen"] == datetime(2025, 12, 31, 23, 59, tzinfo=UTC)


@pytest.mark.sqlite_smoke
def test_version_comparison__side_by_side(metrics):
    compared = agent_version_comparison(agent_id="pix", versions=[1, 2], period=period())
    v1, v2 = compared[1], compared[2]
    assert (v1["requests"], v1["success_rate"], v1["avg_tokens"]) == (4, 0.75, 25)
    assert v1["p50_ms"] == estimate(250) and v1["p95_ms"] == estimate(385)
    assert (v2["requests"], v2["success_rate"], v2["avg_tokens"]) == (2, 1.0, 100)
    assert v2["p50_ms"] == estimate(1500) and v2["p95_ms"] == estimate(1950)
    assert agent_version_comparison(agent_id="pix", versions=[1, 7])[7] is None
    series = agent_version_series(agent_id="pix", versions=[1, 2], period=period())
    assert [(r["bucket"], r["config_version"], r["requests"]) for r in series] == [(at(1, 0), 1, 4), (at(2, 0), 2, 2)]


@pytest.mark.sqlite_smoke
def test_routing__by_destination_typification_low_confidence_totals(decisions):
    by_destination = {r["routed_to"]: r for r in routing_by_destination(period=period(), threshold=0.5)}
    pix, cards = by_destination["pix"], by_destination["cards"]
    assert (pix["decisions"], pix["low_confidence"], pix["no_confidence"]) == (3, 1, 0)
    assert pix["avg_confidence"] == pytest.approx(0.6)
    assert (cards["decisions"], cards["low_confidence"], cards["no_confidence"]) == (2, 1, 1)
    assert cards["avg_confidence"] == pytest.approx(0.45)

    typifications = routing_by_typification(period=period(), threshold=0.5)
    assert [(t["unit"], t["path"], t["decisions"], t["low_confidence"], t["destinations"]) for t in typifications] == [
        ("PagBank", ["PagBank", "Pix"], 3, 1, 1),
        ("Emissão", [], 1, 1, 1),
        (None, [], 1, 0, 1),
    ]

    assert [d.session_id for d in routing_low_confidence(period=period(), threshold=0.5)] == ["d3", "d2"]
    assert [d.session_id for d in routing_low_confidence(period=period(), threshold=0.95)] == ["d5", "d3", "d2", "d1"]

    totals = routing_totals(period=period(), threshold=0.5)
    assert (totals["decisions"], totals["low_confidence"], totals["no_confidence"]) == (5, 2, 1)
    assert totals["avg_confidence"] == pytest.approx(0.5625)
    # 0.3 0.45 0.6 0.9 → at 1.5: 0.525 exactly; the histogram counts confidence per 0.01
    assert totals["p50_confidence"] == pytest.approx(0.525, abs=0.01)


# --- Admin pages ------------------------------------------------------------------------------------


@pytest.fixture
def staff(db):
    user = User.objects.create_user("analyst", password="x" * 12, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_agentmetric", "view_routingdecision"]))
    return user


def charts_of(html: str) -> dict:
    return {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(r'<script id="chart-([\w-]+)" type="application/json">(.*?)</script>', html, re.S)
    }


def cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table class="hive-table" id="{table_id}">(.*?)</table>', html, re.S).group(1)
    body = table.split("<tbody>")[1]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


@pytest.mark.sqlite_smoke
def test_agent_dashboard__page_shows_the_numbers_and_charts(client, staff, metrics, django_assert_max_num_queries):
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        response = client.get(DASHBOARD, {**PERIOD_QUERY, "agent": "pix", "granularity": "day"})

    assert response.status_code == 200
    html = response.content.decode()
    overview = cells(html, "agent-overview")
    assert [row[:3] + row[5:] for row in overview] == [
        ["pix", "6", "83.3%", "300", "50"],
        ["cards", "1", "100.0%", "5", "5"],
    ]
    assert [[float(v) for v in row[3:5]] for row in overview] == [[estimate(350), estimate(1750)], [50, 50]]
    series = cells(html, "agent-series")
    assert [row[:3] + row[5:] for row in series] == [
        ["2026-01-01", "4", "75.0%", "100"],
        ["2026-01-02", "2", "100.0%", "200"],
    ]
    assert [[float(v) for v in row[3:5]] for row in series] == [
        [estimate(250), estimate(385)],
        [estimate(1500), estimate(1950)],
    ]
    assert "≈</abbr> p95 (ms)" in html and "estimated from hourly histograms (within 5 %)" in html
    charts = charts_of(html)
    assert charts["latency"]["labels"] == ["2026-01-01", "2026-01-02"]
    assert [d["label"] for d in charts["latency"]["datasets"]] == ["p50", "p95"]
    assert charts["latency"]["datasets"][1]["data"] == [estimate(385), estimate(1950)]
    assert charts["agents"]["labels"] == ["pix", "cards"]
    assert "monitoring/vendor/chart.umd.min.js" in html
    assert "compare/?agent=pix&amp;a=1&amp;b=2" in html


@pytest.mark.sqlite_smoke
def test_agent_dashboard__hourly_series_limited_to_31_days(client, staff, metrics):
    client.force_login(staff)
    response = client.get(
        DASHBOARD, {"range": "custom", "start": "2026-01-01", "end": "2026-03-01", "granularity": "hour"}
    )
    assert "Hourly series are limited to 31 days" in response.content.decode()


@pytest.mark.sqlite_smoke
def test_agent_dashboard__empty_period(client, staff):
    client.force_login(staff)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "No agent metrics in this period" in response.content.decode()


@pytest.mark.sqlite_smoke
def test_compare_page__versions_side_by_side(client, staff, metrics):
    client.force_login(staff)
    response = client.get(COMPARE, {"agent": "pix", "a": 1, "b": 2})

    assert response.status_code == 200
    html = response.content.decode()
    rows = {row[0]: row[1:] for row in cells(html, "comparison")}
    # all time: v1 has the 2025-12-31 row too (99999 ms, failed): 100 200 300 400 99999
    assert rows["Requests"] == ["5", "3", "-40.0%"]
    assert rows["Success rate"] == ["60.0%", "66.7%", "+6.7 pts"]
    a, b, _ = rows["≈ p50 response time"]
    assert (float(a.removesuffix(" ms")), float(b.removesuffix(" ms"))) == (estimate(300), estimate(2000))
    charts = charts_of(html)
    assert [d["label"] for d in charts["p95"]["datasets"]] == ["v1", "v2"]


@pytest.mark.sqlite_smoke
def test_compare_page__same_version_twice__form_error(client, staff, metrics):
    client.force_login(staff)
    response = client.get(COMPARE, {"agent": "pix", "a": 1, "b": 1})
    assert "Choose two different versions." in response.content.decode()


@pytest.mark.sqlite_smoke
def test_routing_dashboard__tables(client, staff, decisions, django_assert_max_num_queries):
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        response = client.get(ROUTING, {**PERIOD_QUERY, "threshold": "0.5"})
    assert response.status_code == 200
    html = response.content.decode()
    assert cells(html, "by-destination") == [["pix", "3", "60.0%", "1", "0"], ["cards", "2", "45.0%", "1", "1"]]
    assert cells(html, "by-typification")[0] == ["PagBank", "PagBank › Pix", "3", "1", "60.0%", "1"]
    low = cells(html, "low-confidence")
    assert [(row[2], row[3]) for row in low] == [("cards", "0.45"), ("pix", "0.30")]
    assert re.search(r"5 decisions, mean confidence 56.2%, median <abbr[^>]*>≈</abbr> 5[23]\.\d%", html)
    assert charts_of(html)["destinations"]["datasets"][1]["data"] == [1, 1]


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize("url", [DASHBOARD, COMPARE, ROUTING])
def test_dashboards__need_view_permission(client, url):
    nobody = User.objects.create_user("clerk", password="x" * 12, is_staff=True)
    client.force_login(nobody)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


@pytest.mark.sqlite_smoke
def test_metric_changelist__read_only_and_pinned_queries(client, staff, django_assert_max_num_queries):
    AgentMetric.objects.bulk_create(
        AgentMetric(agent_id=f"agent-{i % 7}", response_time_ms=i, created_at=at(1, 0)) for i in range(1000)
    )
    client.force_login(staff)
    with django_assert_max_num_queries(8):
        response = client.get("/admin/monitoring/agentmetric/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dashboard" in html and "Compare versions" in html
    assert "/admin/monitoring/agentmetric/add/" not in html
    assert client.post("/admin/monitoring/agentmetric/add/", {}).status_code == 403


@pytest.mark.postgres_only
def test_indexes__lean_metric_indexes__covered_routing_scan_on_postgresql():
    """The dashboards read the rollups: no metric index carries the measured values (each is written with every
    ingested row); the low-confidence list still scans decisions by time with what it filters on covered."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('agent_metrics', 'routing_decisions')"
        )
        definitions = dict(cursor.fetchall())
    assert definitions["agent_metrics_agent_time"].endswith("(agent_id, created_at)")
    assert "agent_metrics_agent_version" not in definitions  # the rollout guard reads minutes of one agent's rows
    assert not any("INCLUDE" in d for name, d in definitions.items() if name.startswith("agent_metrics"))
    assert "(created_at) INCLUDE (routed_to, confidence_score)" in definitions["routing_decisions_time"]


@pytest.mark.parametrize("url", [DASHBOARD, ROUTING])
@pytest.mark.parametrize(
    "query",
    [
        {"range": "custom", "start": "9999-12-01", "end": "9999-12-31"},
        {"range": "custom", "start": "9999-12-01"},
        {"start": "9999-12-01"},
        {"range": "custom", "start": "0001-01-01", "end": "0001-01-02"},
        {"range": "custom", "start": "1999-12-31", "end": "2026-01-01"},
    ],
)
def test_dashboards__dates_out_of_range__form_error_not_500(client, staff, url, query):
    client.force_login(staff)
    response = client.get(url, query)
    assert response.status_code == 200
    html = response.content.decode()
    if query.get("range") == "custom" and "end" in query:
        assert "between 2000-01-01 and" in html


@pytest.mark.postgres_only
def test_metric_changelist__millions_of_rows__estimated_count_said_so(client, staff, monkeypatch):
    """Past 100,000 rows the list takes PostgreSQL's planner estimate instead of COUNT(*) and says "about"."""
    from django.db import connection

    from common import pagination

    AgentMetric.objects.bulk_create(
        AgentMetric(agent_id=f"agent-{i % 7}", response_time_ms=i, created_at=at(1, 0)) for i in range(300)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE agent_metrics")
    client.force_login(staff)
    html = client.get("/admin/monitoring/agentmetric/").content.decode()
    assert "300 agent metrics" in html and "about" not in html  # exact below the limit

    monkeypatch.setattr(pagination, "EXACT_UP_TO", 100)
    html = client.get("/admin/monitoring/agentmetric/").content.decode()
    estimate = pagination.planner_rows(AgentMetric.objects.all())
    assert estimate is not None and 150 <= estimate <= 600
    assert re.search(rf"about {estimate:,}</span> agent metrics", html.replace("\u202f", ",").replace("\xa0", ","))
    html = client.get("/admin/monitoring/agentmetric/", {"q": "agent-3"}).content.decode()
    assert "agent-3" in html and "agent-4</td>" not in html


@pytest.mark.sqlite_smoke
def test_metric_changelist__search_an_agent_or_a_session__exact(client, staff):
    AgentMetric.objects.bulk_create(
        [
            AgentMetric(agent_id="cards", session_id="s-1", response_time_ms=1, created_at=at(1, 0)),
            AgentMetric(agent_id="pix", session_id="s-2", response_time_ms=2, created_at=at(1, 0)),
            AgentMetric(agent_id="pix", session_id="s-3", response_time_ms=3, created_at=at(1, 0)),
        ]
    )
    client.force_login(staff)

    def found(term):
        return sorted(
            m.session_id for m in client.get("/admin/monitoring/agentmetric/", {"q": term}).context["cl"].result_list
        )

    assert found("pix") == ["s-2", "s-3"]
    assert found("s-1") == ["s-1"]
    assert found("PIX") == [] and found("pi") == []


@pytest.mark.sqlite_smoke
def test_ingestion_batch_list__search_by_key(client, staff):
    from monitoring.models import IngestionBatch

    IngestionBatch.objects.create(kind="metrics", idempotency_key="k-1", request_hash="h", record_count=1)
    IngestionBatch.objects.create(kind="metrics", idempotency_key="k-2", request_hash="h", record_count=1)
    staff.user_permissions.add(Permission.objects.get(codename="view_ingestionbatch"))
    client.force_login(staff)
    response = client.get("/admin/monitoring/ingestionbatch/", {"q": "k-2"})
    assert [b.idempotency_key for b in response.context["cl"].result_list] == ["k-2"]
