"""Benchmark of the cost of one change (issue 15, item 5): publish one agent among ``--agents`` published ones.

Starts its own embedded PostgreSQL, migrates, loads the demo and adds ``--agents`` published agents (copies of
the demo's cards specialist, inserted in bulk). Then, ``--repeat`` times: publish one agent (through the
services, as the admin does) and time the first ``GET /api/v1/bundle`` after it — the server time from the
publish to the new bundle being served, through the whole stack (key authentication, generation check, the
incremental build from the worker's parts, the response). Also the bytes a runtime that holds the previous
bundle receives (``?since=``) against that agent's document.

Baseline, measured in the same run: the whole bundle rebuilt and serialised from scratch (a ``BundleBuilder`` with
no parts yet: every document built), what every worker did on every publish before. Targets: publish → served ≤ 50 ms; bytes per runtime per one-agent change ≤ 2× the agent's document.

    .venv/bin/python bench/bundle.py [--agents 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from io import StringIO

from harness import embedded_django

TARGET_MS = 50.0


def _bulk_agents(count: int) -> None:
    from agents.models import Agent
    from common.hashing import canonical_hash
    from versioning.models import ComponentVersion, VersionStatus

    template = Agent.objects.get(agent_id="cards-specialist")
    row = ComponentVersion.objects.get(component_type="agent", component_id="cards-specialist", status="published")
    fields = {
        f.name: getattr(template, f.name) for f in Agent._meta.concrete_fields if f.name not in ("id", "agent_id")
    }
    agents, versions = [], []
    for number in range(count):
        agent_id = f"bench-{number:05d}"
        agents.append(Agent(**{**fields, "agent_id": agent_id, "name": f"Bench {number}"}))
        config = {**row.config, "agent_id": agent_id, "name": f"Bench {number}"}
        versions.append(
            ComponentVersion(
                component_type="agent",
                component_id=agent_id,
                version=1,
                config=config,
                content_hash=canonical_hash(config),
                status=VersionStatus.PUBLISHED,
                change_note="bench",
                created_by_name="bench",
                published_by_name="bench",
                published_at=row.published_at,
            )  # fmt: skip
        )
    Agent.objects.bulk_create(agents, batch_size=1000)
    ComponentVersion.objects.bulk_create(versions, batch_size=1000)


def _publish(agent_id: str, note: str) -> None:
    from agents.models import Agent
    from agents.services import agent_update
    from versioning.components import get_kind
    from versioning.services import component_publish

    agent = Agent.objects.get(agent_id=agent_id)
    agent_update(agent=agent, actor="bench", note=note, description=note)
    component_publish(kind=get_kind("agent"), component_id=agent_id, actor="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with embedded_django("bench_bundle"):
        from django.core.management import call_command
        from django.test import Client

        from hive_portal.demo import load_demo
        from hive_portal.testing import make_api_key
        from runtime.bundle import BundleBuilder
        from runtime.selectors import consistent_snapshot, snapshot_generation

        call_command("migrate", verbosity=0)
        load_demo(StringIO())
        _bulk_agents(args.agents)
        _, raw = make_api_key(name="bench", scopes=["config:read"])
        client = Client(HTTP_X_API_KEY=raw)
        first = client.get("/api/v1/bundle")
        assert first.status_code == 200, first.content[:300]
        held = json.loads(first.content)
        served_ms, whole_ms, delta_bytes, agent_bytes = [], [], [], []
        for number in range(args.repeat):
            agent_id = f"bench-{number * 7:05d}"
            _publish(agent_id, f"Revisão {number}")
            start = time.perf_counter()
            response = client.get("/api/v1/bundle")
            served_ms.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
            delta = client.get("/api/v1/bundle", {"since": held["bundle_version"]})
            body = json.loads(delta.content)
            assert body.get("delta") is True and list(body["agents"]) == [agent_id], list(body["agents"])[:5]
            delta_bytes.append(len(delta.content))
            agent_bytes.append(len(json.dumps(body["agents"][agent_id], ensure_ascii=False, separators=(",", ":"))))
            held = json.loads(response.content)
            # Baseline: the whole bundle from scratch, as every worker built it after every publish before.
            start = time.perf_counter()
            with consistent_snapshot():
                BundleBuilder().build(snapshot_generation(), "staging")
            whole_ms.append((time.perf_counter() - start) * 1000)
        size = len(response.content)
    served, whole = statistics.median(served_ms), statistics.median(whole_ms)
    ratio = statistics.median(d / a for d, a in zip(delta_bytes, agent_bytes))
    print(
        f"Bundle of {args.agents + 3} agents and 1 team ({size / 1e6:.2f} MB); one agent published, {args.repeat} times:"
    )
    print(f"  publish → new bundle served   {served:8.1f} ms median (max {max(served_ms):.1f})   target ≤ {TARGET_MS:.0f} ms: "
          f"{'met' if served <= TARGET_MS else 'NOT met'}")  # fmt: skip
    print(f"  baseline: whole rebuild       {whole:8.1f} ms median   ratio {served / whole:.3f}×")
    print(f"  bytes to a runtime (?since=)  {statistics.median(delta_bytes):8.0f} B median; the agent's document "
          f"{statistics.median(agent_bytes):.0f} B; ratio {ratio:.2f}× (target ≤ 2×: {'met' if ratio <= 2 else 'NOT met'})")  # fmt: skip
    print(
        f"  whole bundle                  {size:8d} B   (delta is {statistics.median(delta_bytes) / size:.5f}× of it)"
    )


if __name__ == "__main__":
    main()
