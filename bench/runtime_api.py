#!/usr/bin/env python
"""Benchmark of the runtime configuration API (prints figures; not a test).

Starts the portal the way `make run` does (migrate, demo data, gunicorn with gunicorn.conf.py) on its
own embedded PostgreSQL in a temporary folder, then drives it with wrk (Debian package `wrk`) at a
fixed concurrency for a fixed duration, measuring in the same run:

  (a) warm   GET /api/v1/agents/{id}/config               (the portal's runtime path)
  (b) 304    the same with If-None-Match                   (conditional GET)
  (c) base   a plain Django view returning precomputed bytes on the same stack (the ceiling)
  (d) naive  the seeds' pattern: query the agent row and serialise it on every request

and prints requests/s, p50 and p99 for each, and the ratios a/c, b/c, a/d and p99/p50.
Targets: a/c >= 0.8, b/c >= 0.9, a/d >= 3, p99 <= 3 x p50.

    .venv/bin/python bench/runtime_api.py [--duration 15] [--connections 32] [--instructions 40]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, env, **kwargs) -> str:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True, **kwargs).stdout


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.3)
    raise SystemExit(f"The portal did not come up at {url}")


def wrk(url: str, *, headers: list[str], duration: int, connections: int, threads: int) -> dict:
    cmd = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s"]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def latency(pct: str) -> float:
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p50": latency("50"),
        "p99": latency("99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement (default 15)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--instructions", type=int, default=40, help="instructions in the benchmarked agent (config size)"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds of the four measurements, interleaved (default 2)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    data_dir = Path(tempfile.mkdtemp(prefix="hivebench-", dir="/tmp"))
    port = free_port()
    env = {
        **os.environ,
        "HIVE_DATA_DIR": str(data_dir),
        "HIVE_BIND": f"127.0.0.1:{port}",
        "HIVE_HTTPS": "false",
        "HIVE_BENCH_VIEWS": "true",
        "HIVE_LOG_LEVEL": "warning",
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
        # A realistic prompt size for the benchmarked agent, published through the services.
        script = (
            "from agents.models import Agent; from agents.services import agent_update; "
            "from versioning.components import get_kind; from versioning.services import component_publish; "
            "a = Agent.objects.get(agent_id='cards-specialist'); "
            f"agent_update(agent=a, actor='bench', note='bench size', instructions=['Instrução %d: ' % i + 'explique com clareza e cite o prazo. ' * 6 for i in range({args.instructions})]); "
            "component_publish(kind=get_kind('agent'), component_id='cards-specialist', actor='bench')"
        )
        run([PYTHON, "manage.py", "shell", "-c", script], env)
        key = (
            run([PYTHON, "manage.py", "create_api_key", "bench", "--scopes", "config:read"], env)
            .strip()
            .splitlines()[-1]
        )
        server = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py", "hive_portal.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/health/")
        auth = f"Authorization: Bearer {key}"
        config_url = f"{base}/api/v1/agents/cards-specialist/config"
        request = urllib.request.Request(config_url, headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request) as response:
            etag = response.headers["ETag"]
            size = len(response.read())
        workers = os.environ.get("HIVE_WORKERS", "gunicorn.conf.py default")
        print(
            f"gunicorn workers: {workers}; wrk: {args.connections} connections, {args.threads} threads, "
            f"{args.duration}s per run, {args.rounds} rounds; document {size} bytes",
            flush=True,
        )
        cases = {
            "a warm": (config_url, [auth]),
            "b 304": (config_url, [auth, f"If-None-Match: {etag}"]),
            "c baseline": (f"{base}/bench/baseline/agents/cards-specialist/config", []),
            "d naive": (f"{base}/bench/naive/agents/cards-specialist/config", [auth]),
        }
        # Warm every worker's caches, then measure the four cases interleaved, keeping each case's best round.
        for url, headers in cases.values():
            wrk(url, headers=headers, duration=2, connections=args.connections, threads=args.threads)
        results: dict[str, dict] = {}
        for round_number in range(args.rounds):
            for name, (url, headers) in cases.items():
                r = wrk(
                    url, headers=headers, duration=args.duration, connections=args.connections, threads=args.threads
                )
                if r["non2xx"]:
                    raise SystemExit(f"{name}: {r['non2xx']} non-2xx/3xx responses: {url}")
                print(
                    f"  round {round_number + 1} {name:11s} {r['rps']:9.0f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms",
                    flush=True,
                )
                if name not in results or r["rps"] > results[name]["rps"]:
                    results[name] = r
        a, b, c, d = (results[k] for k in cases)
        print()
        print(f"{'case':12s} {'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'p99/p50':>8s}")
        for name, r in results.items():
            print(f"{name:12s} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['p99'] / r['p50']:8.2f}")
        print()
        ratios = {
            "a/c (target >= 0.8)": a["rps"] / c["rps"],
            "b/c (target >= 0.9)": b["rps"] / c["rps"],
            "a/d (target >= 3)": a["rps"] / d["rps"],
        }
        for label, value in ratios.items():
            print(f"{label:22s} {value:6.2f}")
        print(f"{'p99/p50 of a (<= 3)':22s} {a['p99'] / a['p50']:6.2f}")
        print(f"{'p99/p50 of b (<= 3)':22s} {b['p99'] / b['p50']:6.2f}")
        print(json.dumps({"results": results, "ratios": ratios}, indent=None))
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
