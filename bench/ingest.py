#!/usr/bin/env python
"""Benchmark of metrics ingestion (prints figures; not a test).

Starts the portal as `make run` does (gunicorn with gunicorn.conf.py) on its own embedded PostgreSQL in
a temporary folder and measures, in the same run, on the same database:

  (a) api   POST /api/v1/metrics, batches of --batch records, --clients concurrent clients, each batch
            with its own Idempotency-Key (validation, idempotency and storage included)
  (b) copy  the same records written with PostgreSQL's COPY by one client (the ceiling)

and prints records/s of each and the ratio a/b (target >= 0.5).

    .venv/bin/python bench/ingest.py [--records 100000] [--batch 1000] [--clients 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from runtime_api import PYTHON, ROOT, free_port, run, wait_until_up  # noqa: E402


def batches(total: int, size: int) -> list[bytes]:
    start = datetime.now(UTC) - timedelta(days=1, seconds=total)  # all in the past
    out = []
    for b in range(total // size):
        records = [
            {
                "agent_id": f"agent-{i % 7}",
                "session_id": f"s-{b}-{i}",
                "response_time_ms": 200 + (i * 37) % 5000,
                "tokens_used": 100 + i % 900,
                "success": i % 17 != 0,
                "error_message": "" if i % 17 else "upstream timeout",
                "config_version": 1 + i % 3,
                "created_at": (start + timedelta(seconds=b * size + i)).isoformat(),
            }
            for i in range(size)
        ]
        out.append(json.dumps({"records": records}).encode())
    return out


def post(url: str, key: str, body: bytes) -> int:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status


def copy_rows(env: dict, bodies: list[bytes]) -> float:
    """COPY the same records into agent_metrics from this process; returns seconds."""
    script = r"""
import json, sys, time
from django.db import connection
bodies = json.load(sys.stdin)
columns = ["agent_id", "session_id", "response_time_ms", "tokens_used", "success", "error_message", "config_version", "created_at"]
started = time.perf_counter()
with connection.cursor() as cursor:
    with cursor.cursor.copy(f"COPY agent_metrics ({', '.join(columns)}) FROM STDIN") as copy:
        for body in bodies:
            for r in json.loads(body)["records"]:
                copy.write_row([r[c] for c in columns])
print(time.perf_counter() - started)
"""
    payload = json.dumps([b.decode() for b in bodies])
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        input=payload,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="hivebench-ingest-", dir="/tmp"))
    port = free_port()
    env = {
        **os.environ,
        "HIVE_DATA_DIR": str(data_dir),
        "HIVE_BIND": f"127.0.0.1:{port}",
        "HIVE_HTTPS": "false",
        "HIVE_LOG_LEVEL": "warning",
        "DJANGO_SETTINGS_MODULE": "hive_portal.settings",
    }
    env.pop("HIVE_DATABASE_URL", None)
    env.pop("DATABASE_URL", None)
    server = None
    try:
        print(f"Setting up in {data_dir} (embedded PostgreSQL, migrate)...", flush=True)
        run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], env)
        key = (
            run([PYTHON, "manage.py", "create_api_key", "bench", "--scopes", "metrics:write"], env)
            .strip()
            .splitlines()[-1]
        )
        server = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py", "hive_portal.wsgi"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/health/")
        url = f"{base}/api/v1/metrics"
        bodies = batches(args.records, args.batch)
        total = len(bodies) * args.batch
        warm = batches(args.clients * args.batch * 2, args.batch)
        with ThreadPoolExecutor(args.clients) as pool:
            assert set(pool.map(lambda b: post(url, key, b), warm)) == {201}
        workers = os.environ.get("HIVE_WORKERS", "gunicorn.conf.py default")
        print(
            f"gunicorn workers: {workers}; {total} records in batches of {args.batch}, {args.clients} clients",
            flush=True,
        )

        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            statuses = set(pool.map(lambda b: post(url, key, b), bodies))
        api_seconds = time.perf_counter() - started
        assert statuses == {201}, statuses
        copy_seconds = copy_rows(env, bodies)

        api_rate, copy_rate = total / api_seconds, total / copy_seconds
        print(f"  (a) api   {api_rate:10.0f} records/s  ({api_seconds:.2f} s)")
        print(f"  (b) copy  {copy_rate:10.0f} records/s  ({copy_seconds:.2f} s)")
        print(f"a/b (target >= 0.5)  {api_rate / copy_rate:.2f}")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        subprocess.run([PYTHON, "manage.py", "embedded_db", "stop"], cwd=ROOT, env=env, capture_output=True)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
