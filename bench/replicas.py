#!/usr/bin/env python
"""Read replicas, a functional check (prints figures; not a test): dashboard and knowledge search throughput with
0 and 1 replica, and which server answered.

    .venv/bin/python bench/replicas.py                       # 200,000 metrics, 20,000 knowledge entries x 1536
    .venv/bin/python bench/replicas.py --seconds 5 --rounds 1

Starts its own embedded PostgreSQL, fills agent metrics (as bench/dashboard.py, 90 days) and knowledge entries (as
bench/knowledge_search.py, with the portal's half-precision HNSW index), makes a streaming replica of it
(``hive_portal.embedded_db.ensure_replica``) and serves the portal with gunicorn (sync workers), once without
``HIVE_DATABASE_REPLICA_URLS`` and once with the replica. wrk drives two cases: the agent dashboard (GET, a staff
session) and ``POST /api/v1/knowledge/search`` (an API key, 20 query vectors round-robin); each case keeps its best
round. After each case gunicorn is stopped (its connections end and flush their statistics) and the transactions
each server committed are read from ``pg_stat_database``: that says where the reads went.

Both PostgreSQL servers, gunicorn and wrk share this machine's cores and disk, so a replica cannot add capacity
here: this shows that the routing works and what it costs, not the speed-up a replica on its own machine gives.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_bench", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ks = _load("knowledge_search")  # the data, the index, the embedded server and gunicorn of the knowledge benchmarks
dashboard_bench = _load("dashboard")  # the metrics fill

DASHBOARD = "/admin/monitoring/agentmetric/dashboard/?range=7d"
SEARCH = "/api/v1/knowledge/search"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--metrics", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=20_000, help="knowledge entries")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per case and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def wrk_script(folder: Path, name: str, *, method: str, path: str, headers: dict, bodies: list[str] | None) -> Path:
    lua = [f'wrk.method = "{method}"', *[f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]]
    if bodies:
        lua += ["local bodies = {", *[f"  [[{body}]]," for body in bodies], "}", "local i = 0"]
        lua += ["request = function()", "  i = i + 1", f'  return wrk.format(nil, "{path}", nil, bodies[(i % #bodies) + 1])', "end"]  # fmt: skip
    else:
        lua += [f'request = function() return wrk.format(nil, "{path}") end']
    script = folder / f"{name}.lua"
    script.write_text("\n".join(lua))
    return script


def run_wrk(port: int, script: Path, seconds: int, connections: int) -> float:
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    if "Non-2xx" in result.stdout or "Socket errors" in result.stdout:
        raise RuntimeError(f"wrk saw errors:\n{result.stdout}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))


def committed(url: str) -> int:
    """Transactions committed in the portal's database on the server at ``url`` (its own statistics; the reading
    counts too, measured once and subtracted)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()
    assert row is not None
    return int(row[0])


def wait_caught_up(replica_url: str, timeout: float = 120) -> None:
    import psycopg

    from hive_portal.replicas import STATUS_SQL

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg.connect(replica_url, autocommit=True) as conn:
            in_recovery, lag, receiving = conn.execute(STATUS_SQL).fetchone()
        if in_recovery and receiving and lag == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("the replica did not catch up")


def main() -> int:
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix="hivebench-", dir="/tmp"))
    gunicorn = None
    from hive_portal.embedded_db import REPLICA_FOLDER, ensure_replica, stop_server

    try:
        ks.say(f"Starting an embedded PostgreSQL in {folder} ...")
        url = ks.start_embedded(folder)
        os.environ["HIVE_DEBUG"] = "false"
        os.environ["HIVE_JOB_WORKER"] = "false"  # no job worker beside gunicorn: nothing to run
        ks.setup_django(url, folder)
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.sessions.backends.db import SessionStore
        from django.core.management import call_command
        from django.db import connection

        from knowledge.embedders import current_signature
        from runtime.services import api_key_create

        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(dashboard_bench.FILL_METRICS % {"n": args.metrics})
            cursor.execute("VACUUM ANALYZE agent_metrics")
        dimensions = settings.HIVE_EMBEDDING_DIMENSIONS
        conn = ks.raw_connection(url)
        data, units, queries, query_units = ks.make_data(args.rows, dimensions, 20, args.seed)
        ks.load(conn, data, units, current_signature())
        ks.build_index(conn, "1GB", "halfvec")
        conn.close()
        call_command("collectstatic", interactive=False, verbosity=0)
        ks.say(
            f"{args.metrics:,} metrics, {args.rows:,} x {dimensions} knowledge entries in {time.perf_counter() - started:.0f} s"
        )

        user = get_user_model().objects.create_superuser("bench-admin", password=secrets.token_urlsafe(16))
        session = SessionStore()
        session.update({"_auth_user_id": str(user.pk), "_auth_user_backend": "django.contrib.auth.backends.ModelBackend", "_auth_user_hash": user.get_session_auth_hash()})  # fmt: skip
        session.create()
        _, api_key = api_key_create(name=f"bench-{secrets.token_hex(4)}", scopes=["knowledge:search"])
        connection.close()

        started = time.perf_counter()
        replica_url = ensure_replica(folder / "pgdata", folder / REPLICA_FOLDER)
        wait_caught_up(replica_url)
        ks.say(f"Replica made and caught up in {time.perf_counter() - started:.1f} s: {replica_url}")

        bodies = [json.dumps({"embedding": [round(float(x), 6) for x in q], "limit": 10}) for q in queries]
        scripts = {
            "dashboard": wrk_script(
                folder,
                "dashboard",
                method="GET",
                path=DASHBOARD,
                headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"},
                bodies=None,
            ),  # fmt: skip
            "knowledge search": wrk_script(
                folder,
                "search",
                method="POST",
                path=SEARCH,
                headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
                bodies=bodies,
            ),  # fmt: skip
        }
        ks.say(
            f"gunicorn: {args.workers} sync workers; wrk: 2 threads, {args.connections} connections, {args.seconds} s "
            f"per case, {args.rounds} rounds (best round per case)"
        )
        # What reading the statistics itself adds between two readings, per server (measured, idle).
        first = committed(url), committed(replica_url)
        time.sleep(1.0)  # as after each case: the reading's own backend has exited and flushed
        own = committed(url) - first[0], committed(replica_url) - first[1]
        results: dict[tuple[int, str], tuple[float, int, int]] = {}
        for replica_count in (0, 1):
            os.environ["HIVE_DATABASE_REPLICA_URLS"] = replica_url if replica_count else ""
            for case, script in scripts.items():
                before = committed(url), committed(replica_url)
                port = ks.free_port()
                gunicorn = ks.start_gunicorn(port, workers=args.workers)
                run_wrk(port, script, 2, args.connections)  # warm: connections, plans, buffers, per-worker caches
                best = max(run_wrk(port, script, args.seconds, args.connections) for _ in range(args.rounds))
                gunicorn.terminate()
                gunicorn.wait(timeout=30)
                gunicorn = None
                time.sleep(1.0)  # the closed connections' backends flush their statistics on exit
                after = committed(url), committed(replica_url)
                results[(replica_count, case)] = (best, after[0] - before[0] - own[0], after[1] - before[1] - own[1])
                ks.say(f"  {replica_count} replica, {case}: {best:.0f} req/s")

        ks.say("")
        ks.say(
            f"{'case':<18} {'replicas':>8} {'req/s':>8} {'primary xacts':>14} {'replica xacts':>14} {'on replica':>11}"
        )
        for case in scripts:
            for replica_count in (0, 1):
                rate, on_primary, on_replica = results[(replica_count, case)]
                share = on_replica / max(on_primary + on_replica, 1)
                ks.say(f"{case:<18} {replica_count:>8} {rate:8.0f} {on_primary:14,} {on_replica:14,} {share:10.0%}")
        ks.say("")
        ks.say(
            "Same machine: both PostgreSQL servers, gunicorn and wrk share its cores and disk, so these figures show the "
            "routing at work (which server answered) and its cost, not a speed-up; a replica adds capacity only on a "
            "machine of its own. With a replica the primary still answers what must stay there: the session, user and "
            "permission reads of every dashboard request, and for the search the API key's bookkeeping and the runtime "
            "listener's generation reads (the replica's own count includes its health checks)."
        )
        checks = [
            (f"with no replica, the replica served nothing ({case})", results[(0, case)][2] == 0) for case in scripts
        ] + [(f"with one replica, it served the reads ({case})", results[(1, case)][2] > 0) for case in scripts]
        ks.report_checks(checks)
        return 0 if all(ok for _, ok in checks) else 1
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - best effort before stopping the servers
            pass
        stop_server(folder / REPLICA_FOLDER)
        stop_server(folder / "pgdata")
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
