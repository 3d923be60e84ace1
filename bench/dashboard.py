"""Benchmark of the monitoring dashboards (prints figures; not a test).

Starts its own embedded PostgreSQL 18 in a temporary folder, migrates, fills 1,000,000 agent metrics
and 200,000 routing decisions with ``generate_series`` (90 days, 12 agents with a skewed load, three
configuration versions per agent), runs ``VACUUM ANALYZE``, then times every dashboard query (the
selectors) and every dashboard page (rendered by Django's test client as a logged-in superuser).
Target: each under 1 s. The server and its folder are removed at the end.

    .venv/bin/python bench/dashboard.py [--metrics 1000000] [--decisions 200000] [--repeat 3]
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

TARGET_SECONDS = 1.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--metrics", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=200_000)
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
    FROM generate_series(1, %(n)s) AS g
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
FROM generate_series(1, %(n)s) AS g
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


def run(args) -> int:
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from monitoring import selectors
    from monitoring.selectors import Period

    print(
        f"PostgreSQL: {connection.cursor().connection.info.server_version}  data: {args.metrics:,} metrics, {args.decisions:,} routing decisions"
    )
    call_command("migrate", verbosity=0)

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FILL_METRICS % {"n": args.metrics})
        cursor.execute(FILL_DECISIONS % {"n": args.decisions})
    fill = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE agent_metrics")
        cursor.execute("VACUUM ANALYZE routing_decisions")
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('agent_metrics'))")
        size = cursor.fetchone()[0]
    print(
        f"filled in {fill:.1f} s, vacuum analyze {time.perf_counter() - started:.1f} s; agent_metrics with indexes: {size}"
    )

    now = timezone.now()
    tz = timezone.get_current_timezone()

    def period(days: float, granularity: str) -> Period:
        return Period(start=now - timedelta(days=days), end=now, granularity=granularity, tz=tz)

    busiest = selectors.agent_overview(period=period(90, "day"))[0]["agent_id"]
    quiet = selectors.agent_overview(period=period(90, "day"))[-1]["agent_id"]
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

    user = User.objects.create_superuser("bench", password="b" * 16)
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

    width = max(len(name) for name, _ in items)
    print(f"\n{'item'.ljust(width)}  {'cold':>8}  {'median':>8}  {'max':>8}")
    slowest = 0.0
    failures = []
    for name, fn in items:
        cold, median, worst = timed(fn, args.repeat)
        slowest = max(slowest, worst)
        flag = "" if worst < TARGET_SECONDS else "  OVER 1 s"
        if flag:
            failures.append(name)
        print(f"{name.ljust(width)}  {cold * 1000:7.0f}ms  {median * 1000:7.0f}ms  {worst * 1000:7.0f}ms{flag}")
    print(
        f"\n{len(items)} items; slowest warm run {slowest * 1000:.0f} ms; target < {TARGET_SECONDS * 1000:.0f} ms each: "
        + ("met" if not failures else f"NOT met by {len(failures)}")
    )
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
