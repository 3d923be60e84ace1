"""Ingestion with rollups against ingestion as it was before them (prints figures; not a test).

In one process on its own embedded PostgreSQL, interleaved round by round so the machine's noise hits both alike:

  now     ``agent_metrics_ingest`` (validation skipped as for the API's serializer): COPY into the lean
          ``agent_metrics`` and the rollups' partial rows, one transaction per batch;
  before  the same service, rollup step off, storing into a table shaped as ``agent_metrics`` was before rollups
          (partitioned, its two indexes carrying the measured values with ``INCLUDE`` for the dashboards);
  no-rollups  ``agent_metrics_ingest`` with the rollup step switched off (what the rollups alone cost).

Prints the median time per batch, records/s and the ratios. ``bench/ingest.py`` measures the whole API path.

    .venv/bin/python bench/ingest_rollups.py [--batch 1000] [--rounds 40] [--agents 12]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import embedded_django  # noqa: E402

# agent_metrics as it was before the rollups (monitoring 0003/0004): the dashboards' indexes carried the values.
BEFORE_TABLE = """
CREATE TABLE bench_metrics_before (LIKE agent_metrics INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (created_at);
CREATE TABLE bench_metrics_before_all PARTITION OF bench_metrics_before FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
ALTER TABLE bench_metrics_before ADD PRIMARY KEY (id, created_at);
CREATE INDEX ON bench_metrics_before (agent_id, created_at) INCLUDE (response_time_ms, tokens_used, success);
CREATE INDEX ON bench_metrics_before (agent_id, config_version, created_at)
    INCLUDE (response_time_ms, tokens_used, success);
CREATE INDEX ON bench_metrics_before (created_at);
"""


def batch(rng: random.Random, size: int, agents: int, start: datetime) -> list[dict]:
    """A runtime's batch: ``size`` records over the last few minutes, a dozen agents, two versions."""
    return [
        {
            "agent_id": f"agent-{rng.randrange(agents):02d}",
            "session_id": f"s-{rng.randrange(10**6)}",
            "response_time_ms": int(rng.lognormvariate(6.8, 0.6)),
            "tokens_used": rng.randrange(200, 2400),
            "success": rng.random() > 0.05,
            "error_message": "",
            "config_version": rng.choice([1, 2]),
            "created_at": start + timedelta(seconds=rng.randrange(300)),
        }
        for _ in range(size)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--agents", type=int, default=12)
    args = parser.parse_args()
    with embedded_django("bench_ingest_rollups"):
        from django.core.management import call_command
        from django.db import connection

        from monitoring import rollups, services

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(BEFORE_TABLE)

        from monitoring.models import AgentMetric

        def before(records: list[dict]) -> None:
            """The service storing into the old-shaped table (``_store`` COPYs into the model's table)."""
            table = AgentMetric._meta.db_table
            AgentMetric._meta.db_table = "bench_metrics_before"
            try:
                services.agent_metrics_ingest(records=records, validated=True)
            finally:
                AgentMetric._meta.db_table = table

        rng = random.Random(7)
        real = rollups.record_metrics
        modes = ["now", "before", "no-rollups"]
        timings: dict[str, list[float]] = {mode: [] for mode in modes}
        start = datetime.now(UTC) - timedelta(minutes=10)
        for round_number in range(args.rounds + 2):
            for mode in modes[round_number % 3 :] + modes[: round_number % 3]:
                records = batch(rng, args.batch, args.agents, start)
                services.rollups.record_metrics = real if mode == "now" else (lambda records: 0)
                started = time.perf_counter()
                if mode == "before":
                    before(records)
                else:
                    services.agent_metrics_ingest(records=records, validated=True)
                if round_number >= 2:  # the first two rounds warm up
                    timings[mode].append(time.perf_counter() - started)
        services.rollups.record_metrics = real
        median = {mode: statistics.median(values) for mode, values in timings.items()}
        print(f"{args.rounds} rounds of {args.batch}-record batches, {args.agents} agents, interleaved:")
        for mode in modes:
            seconds = median[mode]
            print(f"  {mode:11} {seconds * 1000:7.1f} ms per batch   {args.batch / seconds:9.0f} records/s")
        print(f"throughput now / before rollups: {median['before'] / median['now']:.2f}")
        print(
            f"throughput now / no-rollups (what the rollups cost on the lean table): {median['no-rollups'] / median['now']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
