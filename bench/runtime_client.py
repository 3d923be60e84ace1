#!/usr/bin/env python
"""Benchmark of the runtime client (prints figures; not a test).

Starts the portal the way `make run` does (embedded PostgreSQL in a temporary folder, migrate, demo data,
gunicorn with gunicorn.conf.py), then, in this process:

  (1) freshness: N running clients (N = 1, 50, 200), each a HivePortal watching the bundle, either
      long-polling a second portal server started with HIVE_LONG_POLL=true (one process of threads) or
      revalidating the bundle every --interval seconds on the sync workers; this process publishes a change
      through the portal's services and measures, per client, the time from the commit to the client holding
      the new bundle (p50/p95 over --publishes publishes), and the requests/s the N clients put on the
      servers while nothing changes (idle, 5 s) and while publishes happen;
  (2) cold start: a new HivePortal building the route team from the last-known-good bundle on disk with the
      portal down, against the same build from the running portal;
  (3) metrics hook: the same agent run (a scripted model, no network) --runs times with the reporting hook
      and without it, interleaved; the difference per run is the hook's overhead.

Targets: publish → visible p95 <= 1 s at 200 clients; hook overhead <= 1 ms per run.

    .venv/bin/python bench/runtime_client.py [--clients 1,50,200] [--publishes 5] [--interval 0.5] [--runs 300]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from runtime_api import PYTHON, free_port, run, wait_until_up  # noqa: E402

os.environ.setdefault("AGNO_TELEMETRY", "false")


IDLE_SECONDS = 5.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Counting:
    """Counts the requests all clients send; each client gets its own connections (``transport()``), as
    separate runtimes would (one shared httpx pool would cap them at its 100 connections)."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    def transport(self):
        import httpx

        counter = self

        class Transport(httpx.BaseTransport):
            def __init__(self):
                self.inner = httpx.HTTPTransport()

            def handle_request(self, request):
                with counter.lock:
                    counter.count += 1
                return self.inner.handle_request(request)

            def close(self):
                self.inner.close()

        return Transport()


def scripted_model():
    from agno.models.base import Model
    from agno.models.response import ModelResponse

    class Scripted(Model):
        def invoke(self, *args, **kwargs):
            return ModelResponse(role="assistant", content="Resposta curta.")

        async def ainvoke(self, *args, **kwargs):
            return self.invoke()

        def invoke_stream(self, *args, **kwargs):
            yield self.invoke()

        async def ainvoke_stream(self, *args, **kwargs):
            yield self.invoke()

        def _parse_provider_response(self, response, **kwargs):
            return response

        def _parse_provider_response_delta(self, response):
            return response

    return Scripted(id="gpt-4o-mini", provider="OpenAI", name="OpenAIChat")


def publish_credit(temperature: float) -> float:
    """Publish a change through the services; returns the time just after the publish committed."""
    from agents.models import Agent
    from agents.services import agent_update
    from versioning.components import get_kind
    from versioning.services import component_publish

    agent = Agent.objects.get(agent_id="credit-specialist")
    agent_update(
        agent=agent, actor="bench", note="bench", model_settings={"temperature": temperature, "max_tokens": 1000}
    )
    component_publish(kind=get_kind("agent"), component_id="credit-specialist", actor="bench")
    return time.monotonic()


def _temperature(bundle: dict) -> float:
    return bundle["agents"]["credit-specialist"]["model"]["temperature"]


def freshness(base: str, key: str, n: int, publishes: int, interval: float, tools, events: str | None = None) -> dict:
    import httpx

    from hive_portal_client import HivePortal

    counter = Counting()
    seen: dict[float, dict[int, float]] = {}  # temperature published → client → when it held it
    lock = threading.Lock()
    portals = []
    for i in range(n):
        http = httpx.Client(base_url=base, transport=counter.transport(), timeout=10)
        portal = HivePortal(base, key, http=http, report=False, report_tools=False, tools=tools)
        portal.bundle()

        def listener(bundle, i=i):
            at = time.monotonic()
            with lock:
                seen.setdefault(_temperature(bundle), {}).setdefault(i, at)

        portal.on_change(listener)
        portals.append(portal)
    for portal in portals:
        if events:
            events_http = httpx.Client(base_url=events, transport=counter.transport(), timeout=40)
            portal.watch(interval=interval, events_http=events_http, wait=25)
        else:
            portal.watch(interval=interval)
    time.sleep(interval * 2)
    idle_count, idle_start = counter.count, time.monotonic()
    time.sleep(IDLE_SECONDS)  # what keeping fresh costs the servers while nothing changes
    idle_rps = (counter.count - idle_count) / (time.monotonic() - idle_start)
    latencies = []
    missed = 0
    start_count, start = counter.count, time.monotonic()
    for p in range(publishes):
        temperature = round(0.1 + 0.01 * (p + 1) + 0.001 * n, 4)
        committed = publish_credit(temperature)
        deadline = committed + 30
        while True:
            with lock:
                arrived = dict(seen.get(temperature, {}))
            if len(arrived) == n:
                break
            if time.monotonic() > deadline:
                missed += n - len(arrived)  # reported, not hidden: a client that never saw a publish
                break
            time.sleep(0.005)
        # A client that polled between the publish's commit and this process's clock read is counted as 0 ms.
        latencies.extend(max(0.0, at - committed) for at in arrived.values())
        time.sleep(interval + random.uniform(0, interval))  # publish at any phase of the clients' polling
    elapsed = time.monotonic() - start
    requests = counter.count - start_count
    for portal in portals:
        portal.close()
    return {
        "clients": n,
        "p50_ms": pct(latencies, 0.5) * 1000,
        "p95_ms": pct(latencies, 0.95) * 1000,
        "max_ms": max(latencies) * 1000,
        "server_rps": requests / elapsed,
        "idle_rps": idle_rps,
        "missed": missed,
    }


def cold_start(base: str, key: str, cache_dir: Path, tools) -> dict:
    from hive_portal_client import HivePortal

    def build(url: str) -> float:
        started = time.perf_counter()
        portal = HivePortal(url, key, cache_dir=cache_dir, report=False, report_tools=False, tools=tools)
        team = portal.team("customer-service-router")
        assert len(team.members) == 3
        took = time.perf_counter() - started
        if url != base:
            assert portal.stale
        portal.close()
        return took

    build(base)  # writes the last-known-good bundle (and warms imports)
    online = [build(base) for _ in range(5)]
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    offline = [build(down) for _ in range(5)]
    return {"online_ms": statistics.median(online) * 1000, "portal_down_ms": statistics.median(offline) * 1000}


def hook_overhead(base: str, key: str, runs: int) -> dict:
    from hive_portal_client import HivePortal

    model = scripted_model()
    with_hook = HivePortal(base, key, report=True, models=[model])
    without = HivePortal(base, key, report=False, models=[model])
    agents = {"with": with_hook.agent("credit-specialist"), "without": without.agent("credit-specialist")}
    for agent in agents.values():
        agent.model = model
        agent.run("aquecimento")
    times: dict[str, list[float]] = {"with": [], "without": []}
    for i in range(runs):
        for name in ("without", "with") if i % 2 else ("with", "without"):
            started = time.perf_counter()
            agents[name].run("Quais as taxas do empréstimo?")
            times[name].append(time.perf_counter() - started)
    flushed = with_hook.reporter.flush(timeout=30)
    result = {
        "runs": runs,
        "with_ms": statistics.median(times["with"]) * 1000,
        "without_ms": statistics.median(times["without"]) * 1000,
        "mean_with_ms": statistics.fmean(times["with"]) * 1000,
        "mean_without_ms": statistics.fmean(times["without"]) * 1000,
        "sent": with_hook.reporter.sent,
        "dropped": with_hook.reporter.dropped,
        "flushed": flushed,
    }
    with_hook.close()
    without.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,50,200", help="client counts (default 1,50,200)")
    parser.add_argument("--publishes", type=int, default=5, help="publishes per client count (default 5)")
    parser.add_argument("--interval", type=float, default=0.5, help="clients' revalidation interval in s (default 0.5)")
    parser.add_argument("--runs", type=int, default=300, help="agent runs per hook case (default 300)")
    parser.add_argument("--events-threads", type=int, default=256, help="threads of the long-poll server (default 256)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="hivebench-client-", dir="/tmp"))
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
    server = events_server = None
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
                    "config:read,metrics:write,knowledge:search",
                ],
                env,
            )
            .strip()
            .splitlines()[-1]
        )
        server = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py", "hive_portal.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(data_dir / "portal.log", "wb"),  # a file: an unread pipe would block a busy server
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/health/")
        # The long-poll server: the same portal, one process of threads, HIVE_LONG_POLL=true.
        events_port = free_port()
        events_env = {**env, "HIVE_BIND": f"127.0.0.1:{events_port}", "HIVE_LONG_POLL": "true", "HIVE_WORKERS": "1",
                      "HIVE_THREADS": str(args.events_threads)}  # fmt: skip
        events_server = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py", "hive_portal.wsgi"],
            cwd=ROOT,
            env=events_env,
            stdout=subprocess.DEVNULL,
            stderr=open(data_dir / "events.log", "wb"),
            start_new_session=True,
        )
        events = f"http://127.0.0.1:{events_port}"
        wait_until_up(f"{events}/health/")
        os.environ.update({k: v for k, v in env.items() if k.startswith("HIVE_") or k == "DJANGO_SETTINGS_MODULE"})
        import django

        django.setup()  # this process publishes through the services, on the same database
        from django.db import connection

        connection.ensure_connection()

        def card_lookup(last4: str) -> str:
            return "ok"

        def block_card(last4: str) -> str:
            return "ok"

        def pix_transaction_lookup(transaction_id: str) -> str:
            return "ok"

        tools = [card_lookup, block_card, pix_transaction_lookup]
        workers = os.environ.get("HIVE_WORKERS", "gunicorn.conf.py default")
        print(
            f"gunicorn workers: {workers}; revalidation interval {args.interval}s; {args.publishes} publishes per N",
            flush=True,
        )

        print("\n(1) publish → visible in N running clients")
        print(
            f"{'freshness':>22s} {'clients':>8s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} "
            f"{'idle req/s':>11s} {'req/s w/ publishes':>19s} {'missed (30 s)':>14s}"
        )
        for label, events_url in (
            (f"long-poll ({args.events_threads} thr)", events),
            (f"poll every {args.interval}s", None),
        ):
            for n in [int(x) for x in args.clients.split(",")]:
                r = freshness(base, key, n, args.publishes, args.interval, tools, events=events_url)
                print(
                    f"{label:>22s} {r['clients']:8d} {r['p50_ms']:8.0f} {r['p95_ms']:8.0f} {r['max_ms']:8.0f} "
                    f"{r['idle_rps']:11.1f} {r['server_rps']:19.1f} {r['missed']:14d}",
                    flush=True,
                )

        print("\n(2) client cold start: build the route team (3 members)")
        r = cold_start(base, key, data_dir / "client-cache", tools)
        print(f"  from the running portal        {r['online_ms']:8.1f} ms (median of 5)")
        print(f"  from the disk cache, portal down {r['portal_down_ms']:6.1f} ms (median of 5)")

        print("\n(3) metrics hook overhead per agent run (scripted model, no network)")
        r = hook_overhead(base, key, args.runs)
        print(f"  without hook  median {r['without_ms']:7.3f} ms  mean {r['mean_without_ms']:7.3f} ms")
        print(f"  with hook     median {r['with_ms']:7.3f} ms  mean {r['mean_with_ms']:7.3f} ms")
        print(
            f"  overhead      median {r['with_ms'] - r['without_ms']:7.3f} ms  mean {r['mean_with_ms'] - r['mean_without_ms']:7.3f} ms  (target <= 1 ms)"
        )
        print(f"  reported: {r['sent']} sent, {r['dropped']} dropped, all flushed: {r['flushed']}")
    finally:
        for process in (events_server, server):
            if process is None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - django may not be set up
            pass
        subprocess.run([PYTHON, "manage.py", "embedded_db", "stop"], cwd=ROOT, env=env, capture_output=True)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
