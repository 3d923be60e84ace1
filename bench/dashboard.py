"""Benchmark of the monitoring dashboards (prints figures; not a test).

Starts its own embedded PostgreSQL 18 in a temporary folder, migrates, fills agent metrics and routing decisions
with ``generate_series`` (90 days, 12 agents with a skewed load, three configuration versions per agent, a fifth
as many routing decisions as metrics), builds the rollups the dashboards read (``monitoring.rollups.rebuild``, the
code behind ``manage.py rebuild_rollups``), runs ``VACUUM ANALYZE``, then times every dashboard query (the
selectors) and every dashboard page (rendered by Django's test client as a logged-in superuser).

With ``--rows`` above ``--baseline`` (1,000,000) it measures twice in the same run and database: first at the
baseline, then after filling up to ``--rows`` over the same 90 days, and prints both side by side with their
ratio — a dashboard reads rollups, so its cost should stay flat while the raw rows grow. Target: every dashboard
item under 300 ms warm (its slowest timed run). The server and its folder are removed at the end.

    .venv/bin/python bench/dashboard.py [--rows 10000000] [--baseline 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import timed  # noqa: E402 - bench/ is on sys.path when a script there runs

TARGET_SECONDS = 0.3
CHUNK = 1_000_000  # rows per INSERT … generate_series statement


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Agent metric rows at the end (default 1M).")
    parser.add_argument("--baseline", type=int, default=1_000_000, help="Rows of the first measurement.")
    parser.add_argument("--decision-ratio", type=float, default=0.2, help="Routing decisions per metric row.")
    parser.add_argument("--repeat", type=int, default=3, help="Timed runs per item (after one warm-up run).")
    return parser.parse_args()


FILL_METRICS = """
INSERT INTO agent_metrics (agent_id, session_id, response_time_ms, tokens_used, success, error_message, config_version, created_at)
SELECT 'agent-' || lpad(a::text, 2, '0'),
       's-' || (g %% 100000),
       -- roughly log-normal around 900 ms, slower for some agents
       greatest(20, (exp(6.8 + 0.5 * (random() + random() + random() - 1.5) * 2) * (1 + a %% 3 * 0.3)))::int,
       (200 + random() * 2200)::int,
       ok,
       CASE WHEN ok THEN '' ELSE 'upstream timeout' END,
       1 + (g > %(n)s * 0.5)::int + (g > %(n)s * 0.85)::int,
       now() - ((%(n)s - g) * (interval '90 days' / %(n)s))
FROM (
    SELECT g, floor(power(random(), 2) * 12)::int AS a, random() > 0.05 AS ok
    FROM generate_series(%(a)s, %(b)s) AS g
) AS s
"""

FILL_DECISIONS = """
INSERT INTO routing_decisions (session_id, query, routed_to, confidence_score, typification_result, config_version, created_at)
SELECT 's-' || g,
       (ARRAY['meu pix não caiu', 'quero aumentar meu limite', 'como antecipar minhas vendas?', 'perdi o cartão',
              'fatura com juros', 'app não abre'])[1 + g %% 6],
       'agent-' || lpad((g %% 5)::text, 2, '0'),
       CASE WHEN g %% 50 = 0 THEN NULL ELSE round((0.3 + random() * 0.7)::numeric, 2)::float END,
       jsonb_build_object(
           'business_unit', (ARRAY['PagBank', 'Emissão', 'Adquirência Web', 'PagBank', 'Emissão'])[1 + g %% 5],
           'path', jsonb_build_array((ARRAY['PagBank', 'Emissão', 'Adquirência Web', 'PagBank', 'Emissão'])[1 + g %% 5],
                                     'Produto ' || (g %% 7), 'Motivo ' || (g %% 11))),
       1 + (g > %(n)s / 2)::int,
       now() - ((%(n)s - g) * (interval '90 days' / %(n)s))
FROM generate_series(%(a)s, %(b)s) AS g
"""


def configure(data_dir: Path) -> None:
    from hive_portal.embedded_db import ensure_server

    url = ensure_server(data_dir / "pgdata", database="bench")
    os.environ.update(
        {
            "HIVE_DATABASE_URL": url,
            "HIVE_DATA_DIR": str(data_dir),
            "HIVE_SECRET_KEY": "bench-" + "k7Qx" * 14,
            "HIVE_DEBUG": "true",  # static files from the app folders, no collectstatic manifest needed
            "HIVE_HTTPS": "false",
            "HIVE_ALLOWED_HOSTS": "testserver,localhost",
            "HIVE_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "hive_portal.settings",
        }
    )
    import django

    django.setup()


def main() -> int:
    args = parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="hivebench-", dir="/tmp"))
    try:
        configure(data_dir)
        return run(args)
    finally:
        from hive_portal.embedded_db import stop_server

        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - best effort before stopping the server
            pass
        stop_server(data_dir / "pgdata")
        shutil.rmtree(data_dir, ignore_errors=True)


def fill(cursor, sql: str, total: int) -> None:
    """``total`` rows spread over the last 90 days, a million per statement."""
    for first in range(1, total + 1, CHUNK):
        cursor.execute(sql % {"a": first, "b": min(first + CHUNK - 1, total), "n": total})


def grow(metrics: int, decisions: int) -> str:
    """Add rows, rebuild the rollups, VACUUM ANALYZE; returns a line saying how long each step took."""
    from django.db import connection

    from monitoring import rollups

    started = time.perf_counter()
    with connection.cursor() as cursor:
        fill(cursor, FILL_METRICS, metrics)
        fill(cursor, FILL_DECISIONS, decisions)
    filled = time.perf_counter() - started
    started = time.perf_counter()
    days = rollups.rebuild()
    rebuilt = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in (
            "agent_metrics",
            "routing_decisions",
            "agent_metrics_hourly",
            "agent_metrics_daily",
            "routing_decisions_hourly",
            "routing_decisions_daily",
            "routing_typifications_hourly",
            "routing_typifications_daily",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            "SELECT (SELECT count(*) FROM agent_metrics), (SELECT count(*) FROM routing_decisions), "
            "(SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits "
            "WHERE inhparent = 'agent_metrics'::regclass), (SELECT count(*) FROM agent_metrics_hourly), "
            "(SELECT count(*) FROM agent_metrics_daily)"
        )
        total, total_decisions, size, hourly, daily = cursor.fetchone()
    return (
        f"{total:,} metrics ({size} with indexes), {total_decisions:,} routing decisions: filled in {filled:.1f} s, "
        f"rollups rebuilt ({days} days; {hourly:,} hourly + {daily:,} daily metric rows) in {rebuilt:.1f} s, "
        f"vacuum analyze {time.perf_counter() - started:.1f} s"
    )


def items_for(busiest: str, quiet: str) -> list[tuple[str, callable]]:
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from monitoring import selectors
    from monitoring.selectors import Period

    now = timezone.now()
    tz = timezone.get_current_timezone()

    def period(days: float, granularity: str) -> Period:
        return Period(start=now - timedelta(days=days), end=now, granularity=granularity, tz=tz)

    items: list[tuple[str, callable]] = []
    for label, days, granularity in (("24h", 1, "hour"), ("7d", 7, "hour"), ("30d", 30, "day"), ("90d", 90, "day")):
        p = period(days, granularity)
        items += [
            (f"query agent_overview {label}", lambda p=p: selectors.agent_overview(period=p)),
            (
                f"query agent_series {label} by {granularity} ({busiest})",
                lambda p=p: selectors.agent_series(agent_id=busiest, period=p),
            ),
            (
                f"query routing_by_destination {label}",
                lambda p=p: selectors.routing_by_destination(period=p, threshold=0.5),
            ),
            (
                f"query routing_series {label} by {granularity}",
                lambda p=p: selectors.routing_series(period=p, threshold=0.5),
            ),
            (
                f"query routing_by_typification {label}",
                lambda p=p: selectors.routing_by_typification(period=p, threshold=0.5),
            ),
            (
                f"query routing_low_confidence {label}",
                lambda p=p: selectors.routing_low_confidence(period=p, threshold=0.5),
            ),
            (f"query routing_totals {label}", lambda p=p: selectors.routing_totals(period=p, threshold=0.5)),
        ]
    items += [
        (
            f"query agent_series 90d by day ({quiet}, quietest)",
            lambda: selectors.agent_series(agent_id=quiet, period=period(90, "day")),
        ),
        (f"query agent_versions ({busiest})", lambda: selectors.agent_versions(agent_id=busiest)),
        (
            f"query agent_version_comparison v1/v2 all time ({busiest})",
            lambda: selectors.agent_version_comparison(agent_id=busiest, versions=[1, 2]),
        ),
        (
            f"query agent_version_series v1/v2 90d by day ({busiest})",
            lambda: selectors.agent_version_series(agent_id=busiest, versions=[1, 2], period=period(90, "day")),
        ),
    ]

    user = User.objects.filter(username="bench").first() or User.objects.create_superuser("bench", password="b" * 16)
    client = Client()
    client.force_login(user)

    def page(url: str, params: dict | None = None):
        def fetch():
            response = client.get(url, params or {})
            assert response.status_code == 200, (url, response.status_code)
            response.content  # noqa: B018 - render fully

        return fetch

    dash = "/admin/monitoring/agentmetric/dashboard/"
    items += [
        ("page agent dashboard 24h (hourly)", page(dash, {"range": "24h", "agent": busiest})),
        ("page agent dashboard 7d (hourly)", page(dash, {"range": "7d", "agent": busiest, "granularity": "hour"})),
        ("page agent dashboard 30d (daily)", page(dash, {"range": "30d", "agent": busiest})),
        ("page agent dashboard 90d (daily)", page(dash, {"range": "90d", "agent": busiest})),
        ("page agent dashboard 30d hourly", page(dash, {"range": "30d", "agent": busiest, "granularity": "hour"})),
        ("page compare v1 vs v2", page("/admin/monitoring/agentmetric/compare/", {"agent": busiest, "a": 1, "b": 2})),
        ("page compare v2 vs v3", page("/admin/monitoring/agentmetric/compare/", {"agent": busiest, "a": 2, "b": 3})),
        ("page routing dashboard 7d", page("/admin/monitoring/routingdecision/dashboard/", {"range": "7d"})),
        ("page routing dashboard 30d", page("/admin/monitoring/routingdecision/dashboard/", {"range": "30d"})),
        (
            "page routing dashboard 90d",
            page("/admin/monitoring/routingdecision/dashboard/", {"range": "90d", "threshold": "0.6"}),
        ),
        ("page agent metric list", page("/admin/monitoring/agentmetric/")),
        ("page agent metric list, search agent", page("/admin/monitoring/agentmetric/", {"q": busiest})),
        ("page routing decision list", page("/admin/monitoring/routingdecision/")),
    ]
    return items


def measure(items, repeat: int) -> dict[str, tuple[float, float, float]]:
    return {name: timed(fn, repeat) for name, fn in items}


def run(args) -> int:
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from monitoring import selectors
    from monitoring.selectors import Period

    baseline = min(args.baseline, args.rows)
    print(
        f"PostgreSQL: {connection.cursor().connection.info.server_version}; {baseline:,} metric rows"
        + (f", then {args.rows:,}" if args.rows > baseline else "")
        + f"; {args.decision_ratio:g} routing decisions per metric"
    )
    call_command("migrate", verbosity=0)
    print(grow(baseline, int(baseline * args.decision_ratio)))

    now = timezone.now()
    whole = Period(start=now - timedelta(days=90), end=now, granularity="day", tz=timezone.get_current_timezone())
    overview = selectors.agent_overview(period=whole)
    items = items_for(overview[0]["agent_id"], overview[-1]["agent_id"])
    results = [measure(items, args.repeat)]
    scales = [baseline]
    if args.rows > baseline:
        more = args.rows - baseline
        print(grow(more, int(more * args.decision_ratio)))
        results.append(measure(items, args.repeat))
        scales.append(args.rows)

    width = max(len(name) for name, _ in items)
    header = "".join(f"  {f'{n / 1e6:g}M median':>11}  {'max':>7}" for n in scales)
    print(f"\n{'item'.ljust(width)}{header}" + (f"  {'ratio':>6}" if len(scales) > 1 else ""))
    failures = []
    slowest = 0.0
    for name, _ in items:
        line = name.ljust(width)
        for result in results:
            _, median, worst = result[name]
            line += f"  {median * 1000:9.0f}ms  {worst * 1000:5.0f}ms"
        worst = results[-1][name][2]
        slowest = max(slowest, worst)
        if len(results) > 1:
            line += f"  {results[-1][name][1] / max(results[0][name][1], 1e-9):5.2f}x"
        if worst >= TARGET_SECONDS:
            failures.append(name)
            line += "  OVER"
        print(line)
    print(
        f"\n{len(items)} items; slowest warm run at {scales[-1]:,} rows: {slowest * 1000:.0f} ms; target < "
        f"{TARGET_SECONDS * 1000:.0f} ms each: " + ("met" if not failures else f"NOT met by {len(failures)}")
    )
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
