"""Benchmark of "what was live in an environment at time T" (issue 13: answered in < 100 ms).

Starts its own embedded PostgreSQL, migrates, and fills the audit trail the way a busy portal would after
years: ``--components`` agents, each with ``--steps`` release steps (publish to staging, promote to
production, now and then a rollback) and ten draft saves per step, plus deactivations and deletions — all
through the audit table's own insert trigger (hash chain). Then times ``versioning.selectors.live_at`` for
production (with a rollout before every fifth component's promotions) at now, at the middle of the history and at its start, and prints each against a baseline
measured in the same run: one component's history page query (an indexed read of 50 rows).

    .venv/bin/python bench/releases.py [--components 2000] [--steps 25] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from harness import embedded_django, timed

TARGET_MS = 100.0

FILL = """
INSERT INTO version_history (action, component_type, component_id, from_version, to_version, actor_name,
                             created_at, reason, diff, environment)
SELECT action, 'agent', 'agent-' || lpad(c::text, 5, '0'),
       CASE WHEN s > 1 THEN s - 1 END, s, 'bench',
       now() - interval '720 days' + (s * %(steps_gap)s + c * 0.001) * interval '1 hour',
       'bench step', '{}'::jsonb, environment
FROM generate_series(1, %(components)s) AS c,
     generate_series(1, %(steps)s) AS s,
     LATERAL (VALUES ('published', 'staging'), ('promoted', 'production'),
                     ('draft_saved', NULL), ('draft_saved', NULL), ('draft_saved', NULL), ('draft_saved', NULL),
                     ('draft_saved', NULL), ('draft_saved', NULL), ('draft_saved', NULL), ('draft_saved', NULL),
                     ('draft_saved', NULL), ('draft_saved', NULL)) AS steps(action, environment)
"""
EXTRA = """
INSERT INTO version_history (action, component_type, component_id, actor_name, created_at, reason, diff)
SELECT CASE WHEN c %% 2 = 0 THEN 'deactivated' ELSE 'deleted' END, 'agent', 'agent-' || lpad(c::text, 5, '0'),
       'bench', now() - interval '10 days', 'bench', '{}'::jsonb
FROM generate_series(1, %(components)s, 50) AS c
"""
ROLLOUTS = """
INSERT INTO version_history (action, component_type, component_id, from_version, to_version, actor_name,
                             created_at, reason, diff, "after", environment)
SELECT action, 'agent', 'agent-' || lpad(c::text, 5, '0'), s - 1, s, 'bench',
       now() - interval '720 days' + (s * %(steps_gap)s + c * 0.001 + offset_h) * interval '1 hour',
       'bench rollout', '{}'::jsonb, '{"percent": 10}'::jsonb, 'production'
FROM generate_series(1, %(components)s, 5) AS c,
     generate_series(2, %(steps)s) AS s,
     LATERAL (VALUES ('rollout_started', -2), ('rollout_completed', -1)) AS steps(action, offset_h)
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--components", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=5)
    return parser.parse_args()


def run(args) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from versioning.selectors import component_history, live_at

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FILL % {"components": args.components, "steps": args.steps, "steps_gap": 600 // args.steps})
        cursor.execute(EXTRA % {"components": args.components})
        cursor.execute(ROLLOUTS % {"components": args.components, "steps": args.steps, "steps_gap": 600 // args.steps})
        cursor.execute("VACUUM ANALYZE version_history")
        cursor.execute(
            "SELECT count(*), pg_size_pretty(pg_total_relation_size('version_history')) FROM version_history"
        )
        rows, size = cursor.fetchone()
    print(
        f"PostgreSQL {connection.cursor().connection.info.server_version}: {rows:,} audit rows ({size}), "
        f"{args.components:,} components × {args.steps} release steps, filled in {time.perf_counter() - started:.1f} s"
    )
    now = timezone.now()
    _, baseline, _ = timed(lambda: list(component_history("agent", "agent-00001")[:50]), args.repeat)
    print(f"baseline: one component's history (50 rows)   median {baseline * 1000:7.2f} ms")
    worst = 0.0
    for label, at in (
        ("now", now),
        ("a year ago", now - timedelta(days=365)),
        ("the first day", now - timedelta(days=719)),
    ):
        answer = live_at("production", at)
        cold, median, top = timed(lambda at=at: live_at("production", at), args.repeat)
        worst = max(worst, median)
        print(
            f"live_at(production, {label:>13}): {len(answer):5,} components  cold {cold * 1000:7.2f} ms  "
            f"median {median * 1000:7.2f} ms  max {top * 1000:7.2f} ms  = {median / baseline:6.1f}× baseline"
        )
    verdict = "meets" if worst * 1000 < TARGET_MS else "MISSES"
    print(f"worst median {worst * 1000:.2f} ms: {verdict} the {TARGET_MS:.0f} ms target")
    return 0


def main() -> int:
    args = parse_args()
    with embedded_django():
        return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
