"""Rollups (monitoring.rollups): kept current by ingestion, equal to a rebuild from the raw rows, merged by
compaction, pruned with the raw rows, and what the dashboards read instead of the raw tables."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from monitoring import histograms, rollups, selectors
from monitoring.aggregates import Bin, Percentiles
from monitoring.forms import RoutingPeriodForm
from monitoring.models import AgentMetric, AgentMetricDaily, AgentMetricHourly, RoutingDecision, TypificationDaily
from monitoring.selectors import Period
from monitoring.services import agent_metrics_ingest, metrics_prune, routing_decisions_ingest

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, tzinfo=UTC)
PATHS = [["PagBank", "Pix"], ["PagBank", "Pix", "Não recebido"], ["Emissão", "Cartão"], None]


def metric_records(count, *, seed=1, days=4):
    rng = random.Random(seed)
    return [
        {
            "agent_id": rng.choice(["pix", "cards", "credit"]),
            "session_id": f"s{i}",
            "response_time_ms": int(rng.lognormvariate(6.5, 0.8)),
            "tokens_used": rng.randint(0, 3000),
            "success": rng.random() > 0.1,
            "error_message": "",
            "config_version": rng.choice([1, 2, None]),
            "created_at": START + timedelta(seconds=rng.randint(0, days * 86400 - 1)),
        }
        for i in range(count)
    ]


def decision_records(count, *, seed=2, days=4):
    rng = random.Random(seed)
    records = []
    for i in range(count):
        path = rng.choice(PATHS)
        records.append(
            {
                "session_id": f"s{i}",
                "query": "meu pix",
                "routed_to": rng.choice(["pix", "cards"]),
                "confidence_score": None if i % 9 == 0 else round(rng.random(), rng.choice([2, 3])),
                "typification_result": {} if path is None else {"business_unit": path[0], "path": path},
                "config_version": None,
                "created_at": START + timedelta(seconds=rng.randint(0, days * 86400 - 1)),
            }
        )
    return records


def ingest(metrics=(), decisions=(), batch=250):
    for i in range(0, len(metrics), batch):
        agent_metrics_ingest(records=list(metrics[i : i + batch]))
    for i in range(0, len(decisions), batch):
        routing_decisions_ingest(records=list(decisions[i : i + batch]))


def period(start=START, days=4, granularity="day", hours=0):
    return Period(start=start, end=start + timedelta(days=days, hours=hours), granularity=granularity, tz=UTC)


def dashboards(p, threshold=0.5):
    """Everything the dashboards read for a period, comparable with ==."""
    return {
        "overview": selectors.agent_overview(period=p),
        "series": selectors.agent_series(agent_id="pix", period=p),
        "hourly": selectors.agent_series(agent_id="cards", period=Period(p.start, p.end, "hour", UTC)),
        "versions": selectors.agent_versions(agent_id="pix"),
        "comparison": selectors.agent_version_comparison(agent_id="pix", versions=[1, 2]),
        "version_series": selectors.agent_version_series(agent_id="pix", versions=[1, 2], period=p),
        "destinations": selectors.routing_by_destination(period=p, threshold=threshold),
        "routing_series": selectors.routing_series(period=p, threshold=threshold),
        "typifications": selectors.routing_by_typification(period=p, threshold=threshold),
        "totals": selectors.routing_totals(period=p, threshold=threshold),
    }


def rounded(value):
    """Floats summed in another order differ in the last bits: compare to 9 significant digits."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


# --- Histograms ---------------------------------------------------------------------------------------------


def test_histograms__bins__one_per_millisecond_below_40_then_at_most_5_percent_wide():
    edges = histograms.LATENCY_EDGES
    assert edges[:40] == tuple(range(1, 41))
    assert all(b - a == 1 or (b - a) / a <= 0.05 for a, b in zip(edges, edges[1:]))
    assert histograms.latency_bin(0) == 0 and histograms.latency_bin(1) == 1 and histograms.latency_bin(39) == 39
    assert histograms.latency_bin(10**9) == histograms.LATENCY_BINS - 1
    assert [histograms.confidence_bin(c) for c in (0.0, 0.29, 0.2999, 0.5, 0.999, 1.0)] == [0, 29, 29, 50, 99, 100]


@pytest.mark.sqlite_smoke
def test_histograms__the_database_bins_values_exactly_as_python_does():
    ms_values = [0, 1, 2, 39, 40, 41, 42, 43, 99, 100, 101, 1000, 4321, 65535, 598707, 598708, 628643, 10**8]
    confidences = [0.0, 0.01, 0.1, 0.29, 0.3, 0.5, 0.55, 0.549999, 0.57, 0.99, 1.0]
    AgentMetric.objects.bulk_create(
        AgentMetric(agent_id="a", response_time_ms=ms, created_at=START) for ms in ms_values
    )
    RoutingDecision.objects.bulk_create(
        RoutingDecision(session_id="s", query="q", routed_to="a", confidence_score=c, created_at=START)
        for c in confidences
    )
    in_db = dict(
        AgentMetric.objects.annotate(b=Bin("response_time_ms", edges=histograms.LATENCY_EDGES)).values_list(
            "response_time_ms", "b"
        )
    )
    assert in_db == {ms: histograms.latency_bin(ms) for ms in ms_values}
    in_db = dict(
        RoutingDecision.objects.annotate(
            b=Bin("confidence_score", edges=histograms.CONFIDENCE_EDGES, offset=1)
        ).values_list("confidence_score", "b")
    )
    assert in_db == {c: histograms.confidence_bin(c) for c in confidences}


@pytest.mark.postgres_only
def test_histograms__estimated_percentiles_within_5_percent_of_postgresql():
    rng = random.Random(7)
    values = [int(rng.lognormvariate(6.8, 0.9)) for _ in range(20000)] + [3, 7, 12, 250_000, 900_000]
    AgentMetric.objects.bulk_create(
        (AgentMetric(agent_id="a", response_time_ms=ms, created_at=START) for ms in values), batch_size=5000
    )
    fractions = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]
    exact = AgentMetric.objects.aggregate(p=Percentiles("response_time_ms", fractions))["p"]
    estimated = histograms.latency_percentiles(
        histograms.latency_histogram(values), fractions, minimum=min(values), maximum=max(values)
    )
    for fraction, e, x in zip(fractions, estimated, exact):
        assert e == pytest.approx(x, rel=0.05), fraction
    # a single value, and all equal values: exact
    assert histograms.latency_percentiles(
        histograms.latency_histogram([777]), [0.5, 0.95], minimum=777, maximum=777
    ) == [
        777,
        777,
    ]


def test_histograms__count_below_is_exact_for_two_decimal_thresholds():
    scores = [0.0, 0.1, 0.29, 0.3, 0.45, 0.5, 0.5, 0.549, 0.55, 0.9, 1.0, None]
    counts = histograms.confidence_histogram(scores)
    for k in range(101):
        threshold = k / 100
        assert histograms.count_below(counts, threshold) == sum(1 for s in scores if s is not None and s < threshold), (
            threshold
        )
    assert histograms.is_confidence_step(0.55) and not histograms.is_confidence_step(0.555)


# --- Kept current by ingestion, equal to a rebuild ---------------------------------------------------------------


@pytest.mark.sqlite_smoke
def test_ingest__appends_partial_rows__reads_sum_them__compaction_merges_them():
    records = metric_records(600, days=1)
    ingest(records, batch=200)  # three batches: up to three partial rows per key and hour
    rows = AgentMetricHourly.objects.count()
    keys = AgentMetricHourly.objects.values("agent_id", "config_version", "bucket").distinct().count()
    assert rows > keys
    before = dashboards(period(days=1))

    removed = rollups.compact()

    assert removed >= rows - keys  # (the other rollup tables' merged rows count too)
    assert AgentMetricHourly.objects.count() == keys
    duplicated = (
        AgentMetricDaily.objects.values("agent_id", "config_version", "bucket").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not duplicated.exists()
    assert rounded(dashboards(period(days=1))) == rounded(before)
    assert rollups.compact() == 0


@pytest.mark.sqlite_smoke
def test_ingest__figures_equal_a_rebuild_from_the_raw_rows_and_the_exact_counts():
    metrics, decisions = metric_records(1500), decision_records(800)
    ingest(metrics, decisions)
    p = period(days=4)
    incremental = dashboards(p, threshold=0.37)

    rollups.rebuild()

    assert rounded(dashboards(p, threshold=0.37)) == rounded(incremental)
    # counts, sums and means are exact
    by_agent = {row["agent_id"]: row for row in incremental["overview"]}
    for agent in ("pix", "cards", "credit"):
        mine = [r for r in metrics if r["agent_id"] == agent]
        assert by_agent[agent]["requests"] == len(mine)
        assert by_agent[agent]["successes"] == sum(r["success"] for r in mine)
        assert by_agent[agent]["tokens"] == sum(r["tokens_used"] for r in mine)
        assert by_agent[agent]["avg_ms"] == pytest.approx(sum(r["response_time_ms"] for r in mine) / len(mine))
    totals = incremental["totals"]
    scored = [d["confidence_score"] for d in decisions if d["confidence_score"] is not None]
    assert totals["decisions"] == len(decisions)
    assert totals["low_confidence"] == sum(1 for c in scored if c < 0.37)
    assert totals["no_confidence"] == len(decisions) - len(scored)
    assert totals["avg_confidence"] == pytest.approx(sum(scored) / len(scored))
    typified = {tuple(t["path"]): t for t in incremental["typifications"]}
    pix = [d for d in decisions if d["typification_result"].get("path") == ["PagBank", "Pix"]]
    assert typified[("PagBank", "Pix")]["decisions"] == len(pix)
    assert typified[("PagBank", "Pix")]["destinations"] == len({d["routed_to"] for d in pix})


@pytest.mark.sqlite_smoke
def test_periods__whole_days_from_daily_rows__ends_from_hourly_rows__same_figures():
    ingest(metric_records(1200, days=4), decision_records(400, days=4))
    # 2026-03-01 05:20 → 2026-03-04 02:10: two whole UTC days in the middle, hours at either end
    odd = Period(
        start=START + timedelta(hours=5, minutes=20),
        end=START + timedelta(days=3, hours=2, minutes=10),
        granularity="hour",
        tz=UTC,
    )
    assert odd.hours == (START + timedelta(hours=5), START + timedelta(days=3, hours=3))
    with CaptureQueriesContext(connection) as queries:
        overview = selectors.agent_overview(period=odd)
    tables = [q["sql"] for q in queries.captured_queries]
    assert sum("agent_metrics_daily" in sql for sql in tables) == 1
    assert sum("agent_metrics_hourly" in sql for sql in tables) == 2
    assert not any('"agent_metrics"' in sql for sql in tables)  # never the raw rows

    start, end = odd.hours
    raw = AgentMetric.objects.filter(created_at__gte=start, created_at__lt=end)
    expected = dict(raw.values_list("agent_id").annotate(n=Count("id")))
    assert {row["agent_id"]: row["requests"] for row in overview} == expected
    failures = dict(raw.filter(success=False).values_list("agent_id").annotate(n=Count("id")))
    assert {row["agent_id"]: row["requests"] - row["successes"] for row in overview} == failures
    typifications = selectors.routing_by_typification(period=odd, threshold=0.5)
    decisions = RoutingDecision.objects.filter(created_at__gte=start, created_at__lt=end)
    assert sum(t["decisions"] for t in typifications) == decisions.count()
    assert sum(t["low_confidence"] for t in typifications) == decisions.filter(confidence_score__lt=0.5).count()


def test_rebuild__batches_before_and_after_a_rebuild_count_once():
    """A rebuild recomputes a day from the raw rows (replacing the partial rows of earlier batches); a batch
    ingested after it adds its own partial rows."""
    ingest(metric_records(300, days=1))
    rollups.rebuild()
    ingest(metric_records(100, seed=9, days=1))
    rollups.rebuild_day(START)
    ingest(metric_records(50, seed=10, days=1))
    assert sum(r["requests"] for r in selectors.agent_overview(period=period(days=1))) == 450
    assert AgentMetric.objects.count() == 450


# --- Retention -------------------------------------------------------------------------------------------------


@pytest.mark.sqlite_smoke
def test_prune__rollups_follow_the_raw_rows():
    ingest(metric_records(1000, days=4), decision_records(300, days=4))
    cut = START + timedelta(days=1, hours=13, minutes=30)

    metrics_prune(before=cut)

    assert not AgentMetricHourly.objects.filter(bucket__lt=START + timedelta(days=1)).exists()
    left = AgentMetric.objects.count()
    assert sum(r["requests"] for r in selectors.agent_overview(period=period(days=4))) == left
    assert sum(r["decisions"] for r in selectors.routing_by_destination(period=period(days=4), threshold=0.5)) == (
        RoutingDecision.objects.count()
    )
    assert not TypificationDaily.objects.filter(bucket__lt=START + timedelta(days=1)).exists()


# --- Operators -----------------------------------------------------------------------------------------------------


@pytest.mark.sqlite_smoke
def test_rebuild_rollups_command(capsys):
    AgentMetric.objects.bulk_create(
        AgentMetric(agent_id="a", response_time_ms=5, created_at=START + timedelta(days=d)) for d in range(3)
    )
    assert rollups.needs_rebuild()
    call_command("rebuild_rollups")
    assert "Rebuilt the rollups of 3 days." in capsys.readouterr().out
    assert not rollups.needs_rebuild()
    assert AgentMetricDaily.objects.filter(agent_id="a").count() == 3
    call_command("rebuild_rollups", "--since", "2026-03-02", "--until", "2026-03-02")
    assert "1 day." in capsys.readouterr().out
    with pytest.raises(CommandError, match="--since: give a date as YYYY-MM-DD, not '1 March'"):
        call_command("rebuild_rollups", "--since", "1 March")
    with pytest.raises(CommandError, match="--until must be on or after --since"):
        call_command("rebuild_rollups", "--since", "2026-03-02", "--until", "2026-03-01")


def test_rebuild_rollups_command__in_portuguese(capsys):
    call_command("rebuild_rollups", "--since", "2026-03-02", "--language", "pt-br")
    assert "Não há métricas nem decisões de roteamento: nada para recalcular." in capsys.readouterr().out
    call_command("rebuild_rollups", "--since", "2026-03-02", "--until", "2026-03-02", "--language", "pt-br")
    assert "Agregados recalculados de 1 dia." in capsys.readouterr().out
    with pytest.raises(CommandError, match="--since: informe uma data como AAAA-MM-DD"):
        call_command("rebuild_rollups", "--since", "1 March", "--language", "pt-br")
    with pytest.raises(CommandError, match="--until deve ser igual ou posterior a --since"):
        call_command("rebuild_rollups", "--since", "2026-03-02", "--until", "2026-03-01", "--language", "pt-br")


@pytest.mark.sqlite_smoke
def test_threshold__more_than_two_decimals__form_error_and_selector_refuses():
    form = RoutingPeriodForm({"range": "7d", "threshold": "0.555"})
    assert not form.is_valid()
    assert form.errors["threshold"] == ["Use at most two decimals, such as 0.55."]
    assert RoutingPeriodForm({"range": "7d", "threshold": "0.57"}).is_valid()
    with pytest.raises(ValueError, match="multiple of 0.01"):
        selectors.routing_totals(period=period(), threshold=0.555)


@pytest.mark.sqlite_smoke
def test_compaction__rows_another_compaction_merged_first__rolls_back(monkeypatch):
    ingest(metric_records(200, days=1), batch=50)
    before = dashboards(period(days=1))
    manager = AgentMetricHourly._default_manager
    real_filter = manager.filter

    def racing_filter(*args, **kwargs):
        if "pk__in" in kwargs:  # just before this compaction deletes its rows, another one took one of them
            real_filter(pk=kwargs["pk__in"][0]).delete()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(manager, "filter", racing_filter)
    with pytest.raises(rollups.CompactionRace, match="agent_metrics_hourly: 1 rows merged elsewhere"):
        rollups.compact()
    monkeypatch.undo()
    assert dashboards(period(days=1)) == before  # rolled back: nothing merged twice, nothing lost
