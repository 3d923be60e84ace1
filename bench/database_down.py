#!/usr/bin/env python
"""Benchmark: the portal with its database stopped (prints figures; not a test).

Starts the portal as `make run` does (gunicorn with gunicorn.conf.py) on its own embedded PostgreSQL in a
temporary folder and measures, in the same run:

  (a) up     GET /api/v1/agents/{id}/config with wrk, database running         (the baseline)
  (b) down   the same with the database stopped (served stale), while a few writers per second post
             metrics and classify messages (as the runtime keeps doing during an outage)

and prints requests/s, p50 and p99 of both, the ratio b/a (target: stale serving keeps its throughput,
>= 0.8), the writers' answers while down (all 503 with Retry-After, and their p50/max latency: no
request should wait for the pool's timeout) and, after `embedded_db start`, how long until writes are
accepted again on every worker (target <= 2 s).

    .venv/bin/python bench/database_down.py [--duration 10] [--connections 16] [--writers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from runtime_api import PYTHON, ROOT, free_port, run, wait_until_up, wrk  # noqa: E402


def post(url: str, body: dict, key: str, timeout: float = 30) -> tuple[int, float, str | None]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, time.perf_counter() - started, response.headers.get("Retry-After")
    except urllib.error.HTTPError as exc:
        return exc.code, time.perf_counter() - started, exc.headers.get("Retry-After")


def writers(base: str, key: str, count: int, stop: threading.Event, answers: list) -> list[threading.Thread]:
    """``count`` threads, each posting a metric then a classify about 5 times a second."""

    def loop(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            metric = {"records": [{"agent_id": "cards-specialist", "session_id": f"w{n}-{i}", "response_time_ms": 900}]}
            answers.append(("metrics",) + post(f"{base}/api/v1/metrics", metric, key))
            answers.append(
                ("classify",) + post(f"{base}/api/v1/typification/classify", {"text": "meu pix não caiu"}, key)
            )
            stop.wait(0.2)

    threads = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    return threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk measurement (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--writers", type=int, default=4, help="writer threads during the outage (default 4)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    data_dir = Path(tempfile.mkdtemp(prefix="hivebench-down-", dir="/tmp"))
    port = free_port()
    env = {
        **os.environ,
        "HIVE_DATA_DIR": str(data_dir),
        "HIVE_BIND": f"127.0.0.1:{port}",
        "HIVE_HTTPS": "false",
        "HIVE_LOG_LEVEL": "error",
        "DJANGO_SETTINGS_MODULE": "hive_portal.settings",
    }
    env.pop("HIVE_DATABASE_URL", None)
    env.pop("DATABASE_URL", None)
    server = None
    try:
        print(f"Setting up in {data_dir} (embedded PostgreSQL, migrate, demo data)...", flush=True)
        run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], env)
        run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"], env)
        run([PYTHON, "manage.py", "load_demo"], env)
        key = (
            run(
                [
                    PYTHON,
                    "manage.py",
                    "create_api_key",
                    "bench",
                    "--scopes",
                    "config:read,metrics:write,typification:read",
                ],
                env,
            )
            .strip()
            .splitlines()[-1]
        )
        server = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py", "hive_portal.wsgi"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/health/")
        auth = f"Authorization: Bearer {key}"
        config_url = f"{base}/api/v1/agents/cards-specialist/config"
        wrk(
            config_url, headers=[auth], duration=3, connections=args.connections, threads=args.threads
        )  # warm all workers
        workers = os.environ.get("HIVE_WORKERS", "gunicorn.conf.py default")
        print(
            f"gunicorn workers: {workers}; wrk: {args.connections} connections, {args.duration}s; {args.writers} writers",
            flush=True,
        )

        up = wrk(config_url, headers=[auth], duration=args.duration, connections=args.connections, threads=args.threads)
        print(
            f"  (a) up    {up['rps']:8.0f} req/s  p50 {up['p50']:7.2f} ms  p99 {up['p99']:8.2f} ms  non-2xx {up['non2xx']}",
            flush=True,
        )

        run([PYTHON, "manage.py", "embedded_db", "stop"], env)
        stop = threading.Event()
        answers: list = []
        threads = writers(base, key, args.writers, stop, answers)
        down = wrk(
            config_url, headers=[auth], duration=args.duration, connections=args.connections, threads=args.threads
        )
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        print(
            f"  (b) down  {down['rps']:8.0f} req/s  p50 {down['p50']:7.2f} ms  p99 {down['p99']:8.2f} ms  non-2xx {down['non2xx']}",
            flush=True,
        )
        codes: dict[str, int] = {}
        for _, status, _, _ in answers:
            codes[str(status)] = codes.get(str(status), 0) + 1
        latencies = [seconds * 1000 for _, _, seconds, _ in answers]
        retry_after = sum(1 for _, status, _, retry in answers if status == 503 and retry)
        print(
            f"  writers while down: {len(answers)} requests, status {codes}, {retry_after} with Retry-After; "
            f"p50 {statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms",
            flush=True,
        )

        run([PYTHON, "manage.py", "embedded_db", "start"], env)
        back = time.perf_counter()
        first_ok = None
        streak = 0
        metric = {"records": [{"agent_id": "cards-specialist", "session_id": "after", "response_time_ms": 1}]}
        while time.perf_counter() - back < 30:
            status, _, _ = post(f"{base}/api/v1/metrics", metric, key, timeout=10)
            if status == 201:
                first_ok = first_ok or time.perf_counter() - back
                streak += 1
                if streak >= 40:  # new connection each time: spread over the workers
                    break
            else:
                streak = 0
            time.sleep(0.02)
        all_ok = time.perf_counter() - back if streak >= 40 else None
        print()
        print(f"stale throughput b/a (target >= 0.8)      {down['rps'] / up['rps']:6.2f}")
        print(f"config errors while down (target 0)        {down['non2xx']}")
        print(f"writes while down answered 503 (target all) {codes.get('503', 0)}/{len(answers)}")
        print(f"first write accepted after restart          {first_ok:.2f} s" if first_ok else "first write: never")
        print(
            f"40 writes in a row accepted after restart   {all_ok:.2f} s (target <= 2)"
            if all_ok
            else "40 in a row: never"
        )
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
