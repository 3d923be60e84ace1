"""Reads of the knowledge base: similarity search, similar entries, embedding status, export rows."""

from __future__ import annotations

import functools
import heapq
import math
import struct
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, router
from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext
from psycopg.adapt import Dumper
from psycopg.pq import Format

from knowledge.embedders import Embedder, EmbedderError, current_signature, get_embedder
from knowledge.models import KnowledgeEntry

MAX_SEARCH_LIMIT = 50
MAX_QUERY_LENGTH = 10_000
RESULT_FIELDS = ("id", "question", "answer", "business_unit", "category", "subcategory")


@dataclass(frozen=True)
class SearchResult:
    id: uuid.UUID
    question: str
    answer: str
    business_unit: str
    category: str
    subcategory: str
    distance: float  # cosine distance: 0 identical, 1 unrelated, 2 opposite

    def as_dict(self) -> dict:
        return asdict(self)


# Embeddings are stored as float32: larger magnitudes overflow, and a vector whose values are all this small
# is all zeros in float32 (below its smallest normal number) — no direction to compare.
FLOAT32_MAX = float(np.finfo(np.float32).max)
MIN_DIRECTION = 1e-38


def validate_embedding(embedding: Sequence, *, field: str = "embedding") -> np.ndarray:
    """The query embedding as a float32 unit vector, or ``ValidationError`` naming ``field``: wrong size,
    non-numbers, out of float32's range, all zeros."""
    dimensions = settings.HIVE_EMBEDDING_DIMENSIONS
    if isinstance(embedding, np.ndarray):
        values = embedding
    else:
        if not isinstance(embedding, (list, tuple)):
            raise ValidationError({field: [gettext("Give a list of %(count)d numbers.") % {"count": dimensions}]})
        # bool is an int subclass: true/false are not coordinates.
        if not set(map(type, embedding)) <= {float, int}:
            raise ValidationError({field: [gettext("Every value must be a number.")]})
        values = embedding
    if len(values) != dimensions:
        raise ValidationError(
            {
                field: [
                    gettext("Expected %(expected)d numbers (HIVE_EMBEDDING_DIMENSIONS), got %(got)d.")
                    % {"expected": dimensions, "got": len(values)}
                ]
            }
        )
    try:
        exact = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: [gettext("Every value must be a number.")]}) from None
    largest = np.abs(exact).max() if exact.ndim == 1 else math.nan
    if not largest <= FLOAT32_MAX:  # also NaN and infinity, which compare false
        raise ValidationError(
            {
                field: [
                    gettext("Every value must be a finite number between -%(max)s and %(max)s.")
                    % {"max": f"{FLOAT32_MAX:.8g}"}
                ]
            }
        )
    if largest <= MIN_DIRECTION:
        raise ValidationError(
            {
                field: [
                    gettext("An all-zero embedding has no direction to compare (every value is within ±%(min)s).")
                    % {"min": f"{MIN_DIRECTION:g}"}
                ]
            }
        )
    # Cosine distance ignores length: a unit vector searches the same and cannot overflow float32 arithmetic
    # in the database (a value near float32's maximum made pgvector's norm infinite: a 500).
    return (exact / np.linalg.norm(exact)).astype(np.float32)


def query_vector(
    *, query: str | None = None, embedding: Sequence[float] | None = None, embedder: Embedder | None = None
) -> np.ndarray:
    """The vector to search with: the given embedding, or the query text embedded by the configured embedder.

    Raises ``ValidationError`` for bad input and ``EmbedderError`` when the embedder fails.
    """
    if (query is None) == (embedding is None):
        raise ValidationError({"query": [gettext("Give either a query text or an embedding (not both).")]})
    if embedding is not None:
        return validate_embedding(embedding)
    text = query.strip() if isinstance(query, str) else ""
    if not text:
        raise ValidationError({"query": [gettext("The query is empty.")]})
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationError(
            {"query": [gettext("The query is longer than %(max)d characters.") % {"max": MAX_QUERY_LENGTH}]}
        )
    vector = np.asarray((embedder or get_embedder()).embed_one(text), dtype=np.float32)
    if not vector.any():
        raise ValidationError({"query": [gettext("The query has no words to search for.")]})
    return vector


def knowledge_search(
    *,
    query: str | None = None,
    embedding: list[float] | None = None,
    business_unit: str | None = None,
    category: str | None = None,
    limit: int = 10,
    max_distance: float | None = None,
) -> list[SearchResult]:
    """The ``limit`` entries nearest to the query (cosine distance), optionally within one business unit/category.

    Give exactly one of ``query`` (embedded with the configured embedder) or ``embedding``. Returns
    ``limit`` results whenever that many entries with embeddings match the filters — never silently
    fewer — then drops those farther than ``max_distance``. PostgreSQL uses the HNSW index with
    iterative scans; SQLite computes exact distances in Python. Raises ``ValidationError`` for bad
    arguments and ``EmbedderError`` when the query cannot be embedded.
    """
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise ValidationError({"limit": [gettext("Ask for 1 to %(max)d results.") % {"max": MAX_SEARCH_LIMIT}]})
    if max_distance is not None and not (isinstance(max_distance, (int, float)) and 0 <= max_distance <= 2):
        raise ValidationError({"max_distance": [gettext("Give a cosine distance between 0 and 2.")]})
    vector = query_vector(query=query, embedding=embedding)
    return search_by_vector(
        vector, business_unit=business_unit, category=category, limit=limit, max_distance=max_distance
    )


def search_by_vector(
    vector: np.ndarray,
    *,
    business_unit: str | None = None,
    category: str | None = None,
    limit: int = 10,
    max_distance: float | None = None,
) -> list[SearchResult]:
    """``knowledge_search`` for an already validated vector."""
    if connection.vendor == "postgresql":
        results = _search_postgresql(vector, business_unit=business_unit, category=category, limit=limit)
    else:
        results = _search_exact(vector, business_unit=business_unit, category=category, limit=limit)
    if max_distance is not None:
        results = [r for r in results if r.distance <= max_distance]
    return results


_LITERAL_FORMATS: dict[int, str] = {}


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text form. Nine significant digits round-trip a float32 exactly; one ``%`` over the
    whole vector formats 1,536 numbers about four times faster than joining their reprs."""
    size = len(vector)
    template = _LITERAL_FORMATS.get(size)
    if template is None:
        template = _LITERAL_FORMATS.setdefault(size, "[" + ",".join(["%.9g"] * size) + "]")
    return template % tuple(np.asarray(vector, dtype=np.float32).tolist())


def _filters(business_unit: str | None, category: str | None) -> tuple[str, dict]:
    clauses = ["embedding IS NOT NULL"]
    params: dict = {}
    if business_unit is not None:
        clauses.append("business_unit = %(business_unit)s")
        params["business_unit"] = business_unit
    if category is not None:
        clauses.append("category = %(category)s")
        params["category"] = category
    return " AND ".join(clauses), params


def rerank_candidates(limit: int) -> int:
    """How many candidates the half-precision index returns for a page of ``limit``: full-precision
    distances re-rank them (HIVE_KNOWLEDGE_RERANK_FACTOR; more candidates, more recall, more latency)."""
    return limit * settings.HIVE_KNOWLEDGE_RERANK_FACTOR


def search_params(vector, *, business_unit: str | None, category: str | None, limit: int) -> dict:
    """The named parameters of ``search_sql``; ``vector`` is sent once however often the statement uses it."""
    _, params = _filters(business_unit, category)
    return {"vector": vector, **params, "limit": limit, "candidates": rerank_candidates(limit)}


def search_sql(*, business_unit: bool, category: bool, exact: bool = False) -> str:
    """The search statement (named parameters: ``search_params``), built once per process for each shape.

    The MATERIALIZED CTE takes the nearest candidates from the half-precision HNSW index (its ORDER BY is
    the index's own expression, ``embedding::halfvec(N)``) in relaxed order — better recall under a filter,
    as pgvector recommends — and the outer query re-ranks them by full-precision cosine distance.
    ``exact`` computes every full-precision distance behind an ``OFFSET 0`` fence the index cannot see
    through: an exact scan.
    """
    return _search_sql(
        business_unit,
        category,
        exact,
        connection.ops.quote_name(KnowledgeEntry._meta.db_table),
        settings.HIVE_EMBEDDING_DIMENSIONS,
    )


@functools.lru_cache(maxsize=32)
def _search_sql(business_unit: bool, category: bool, exact: bool, table: str, dimensions: int) -> str:
    where, _ = _filters("x" if business_unit else None, "x" if category else None)
    fields = ", ".join(RESULT_FIELDS)
    distance = "embedding <=> %(vector)s::vector"
    if exact:
        return (
            f"SELECT * FROM (SELECT {fields}, {distance} AS distance FROM {table} WHERE {where} OFFSET 0) AS candidates "
            "ORDER BY distance LIMIT %(limit)s"
        )
    half = f"halfvec({dimensions})"
    return (
        f"WITH nearest AS MATERIALIZED (SELECT {fields}, {distance} AS distance FROM {table} WHERE {where} "
        f"ORDER BY embedding::{half} <=> %(vector)s::vector::{half} LIMIT %(candidates)s) "
        f"SELECT * FROM nearest ORDER BY distance LIMIT %(limit)s"
    )


def scan_settings(limit: int) -> list[str]:
    """The scan settings a search runs with: hnsw.ef_search, hnsw.iterative_scan, hnsw.max_scan_tuples.
    Portal connections carry them as session options (hive_portal/settings.py)."""
    return [
        str(max(settings.HIVE_KNOWLEDGE_EF_SEARCH, limit)),
        settings.HIVE_KNOWLEDGE_ITERATIVE_SCAN,
        str(settings.HIVE_KNOWLEDGE_MAX_SCAN_TUPLES),
    ]


class PgVector:
    """A query vector sent as a binary statement parameter: 6 KB instead of ~20 KB of text that the
    client would escape and the server would parse on every search."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = np.ascontiguousarray(values, dtype=">f4")


class PgVectorBinaryDumper(Dumper):
    format = Format.BINARY
    oid = 0  # unspecified: the server takes the type from the statement's ``::vector`` cast

    def dump(self, obj: PgVector) -> bytes:
        # pgvector's binary input: int16 dimensions, int16 unused, then big-endian float32s.
        return struct.pack(">HH", len(obj.values), 0) + obj.values.tobytes()


class PreparingCursor(psycopg.Cursor):
    """A server-binding cursor that tells Django's query log (``connection.queries``, ``CaptureQueriesContext``) the
    statement it ran even when it ran it prepared: psycopg records the statement only when it sends it unprepared
    (``Cursor._query``, which Django's ``last_executed_query`` reads), so the log would show ``None``."""

    def _send_query_prepared(self, name, pgq, *, binary=None):
        self._query = pgq
        super()._send_query_prepared(name, pgq, binary=binary)


@contextmanager
def bound_cursor(using: str = DEFAULT_DB_ALIAS):
    """A cursor on Django's connection ``using`` that binds parameters on the server (Django binds them in the
    client), so a search sends its vector in binary, and whose statements are prepared: each pooled connection
    parses and plans the search once, not on every call (the planning cost the server about a tenth of an
    unfiltered search's CPU). Wrapped like Django's own cursors: query logging and execute wrappers still see it.

    Django turns psycopg's automatic preparation off for every statement (``prepare_threshold=None``, for
    transaction-mode poolers, which the portal does not support: README, "Several nodes"); it is switched on for
    this cursor's statements only, so no other query is prepared."""
    wrapper: Any = connections[using]  # the PostgreSQL backend's wrapper (_prepare_cursor)
    wrapper.ensure_connection()
    connection = wrapper.connection
    raw = PreparingCursor(connection)
    raw.adapters.register_dumper(PgVector, PgVectorBinaryDumper)
    cursor = wrapper._prepare_cursor(raw)
    threshold = connection.prepare_threshold
    connection.prepare_threshold = 0  # prepared on first use; later uses on this connection run the prepared plan
    try:
        yield cursor
    finally:
        connection.prepare_threshold = threshold
        cursor.close()


def _search_postgresql(vector, *, business_unit, category, limit) -> list[SearchResult]:
    where, filter_params = _filters(business_unit, category)
    has_bu, has_cat = business_unit is not None, category is not None
    params = search_params(PgVector(vector), business_unit=business_unit, category=category, limit=limit)
    # hnsw.ef_search, hnsw.iterative_scan and hnsw.max_scan_tuples are session settings of every
    # connection (hive_portal/settings.py): the search is one statement, one round trip. A read replica's when the
    # page allows one (the routers decide, as for the ORM's reads).
    with bound_cursor(router.db_for_read(KnowledgeEntry)) as cursor:
        cursor.execute(search_sql(business_unit=has_bu, category=has_cat), params)
        rows = cursor.fetchall()
        if len(rows) < limit:
            # The iterative scan stops at hnsw.max_scan_tuples: with a very selective filter it may
            # find fewer rows than exist. Count (up to `limit`) and answer exactly if so.
            table = connection.ops.quote_name(KnowledgeEntry._meta.db_table)
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {where} LIMIT %(limit)s) AS matching",
                {**filter_params, "limit": limit},
            )
            if cursor.fetchone()[0] > len(rows):
                cursor.execute(search_sql(business_unit=has_bu, category=has_cat, exact=True), params)
                rows = cursor.fetchall()
    return [_result(row) for row in rows if row[-1] is not None and not math.isnan(row[-1])]


def _result(row) -> SearchResult:
    return SearchResult(
        id=row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(str(row[0])),
        question=row[1],
        answer=row[2],
        business_unit=row[3],
        category=row[4],
        subcategory=row[5],
        distance=float(row[6]),
    )


def _search_exact(vector, *, business_unit, category, limit, chunk: int = 2000) -> list[SearchResult]:
    """Exact cosine search in Python, for the SQLite fallback (and a reference in tests)."""
    queryset = KnowledgeEntry.objects.filter(embedding__isnull=False)
    if business_unit is not None:
        queryset = queryset.filter(business_unit=business_unit)
    if category is not None:
        queryset = queryset.filter(category=category)
    query = vector.astype(np.float64)
    query /= np.linalg.norm(query)
    best: list[tuple[float, str]] = []  # max-heap of (-distance, id) holding the `limit` nearest
    ids: list = []
    vectors: list = []

    def flush():
        if not ids:
            return
        matrix = np.asarray(vectors, dtype=np.float64)
        norms = np.linalg.norm(matrix, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            distances = 1.0 - (matrix @ query) / norms
        for pk, distance in zip(ids, distances.tolist()):
            if math.isnan(distance):
                continue
            item = (-distance, str(pk))
            if len(best) < limit:
                heapq.heappush(best, item)
            elif item > best[0]:
                heapq.heapreplace(best, item)
        ids.clear()
        vectors.clear()

    for pk, embedding in queryset.values_list("id", "embedding").iterator(chunk_size=chunk):
        ids.append(pk)
        vectors.append(embedding)
        if len(ids) >= chunk:
            flush()
    flush()
    ranked = sorted((-negative, pk) for negative, pk in best)
    rows = {
        str(row["id"]): row
        for row in KnowledgeEntry.objects.filter(pk__in=[pk for _, pk in ranked]).values(*RESULT_FIELDS)
    }
    return [SearchResult(**rows[pk], distance=distance) for distance, pk in ranked if pk in rows]


def knowledge_similar_entries(
    *, entry: KnowledgeEntry, limit: int = 5, same_business_unit: bool = True
) -> list[SearchResult]:
    """The entries nearest to ``entry`` (itself excluded), to spot near-duplicates; [] without an embedding."""
    embedding = (
        KnowledgeEntry.objects.filter(pk=entry.pk).values_list("embedding", flat=True).first()
        if entry.pk
        else entry.embedding
    )
    if embedding is None:
        return []
    vector = np.asarray(embedding, dtype=np.float32)
    if not vector.any():
        return []
    results = search_by_vector(
        vector,
        business_unit=entry.business_unit if same_business_unit else None,
        limit=min(limit + 1, MAX_SEARCH_LIMIT),
    )
    return [r for r in results if r.id != entry.pk][:limit]


def knowledge_entries_needing_embedding(*, signature: str | None = None, force: bool = False) -> QuerySet:
    """Entries whose embedding is missing, was computed from other text, or by another embedder."""
    queryset = KnowledgeEntry.objects.all()
    if force:
        return queryset
    signature = signature or current_signature()
    return queryset.filter(
        Q(embedding__isnull=True) | ~Q(embedding_model=signature) | ~Q(embedding_hash=F("content_hash"))
    )


def knowledge_embedding_counts(*, signature: str | None = None) -> dict[str, int]:
    """How many entries have a current, stale or missing embedding (one aggregate query)."""
    signature = signature or current_signature()
    missing = Q(embedding__isnull=True)
    current = Q(embedding__isnull=False, embedding_model=signature, embedding_hash=F("content_hash"))
    counts = KnowledgeEntry.objects.aggregate(
        total=Count("pk"),
        missing=Count("pk", filter=missing),
        current=Count("pk", filter=current),
    )
    counts["stale"] = counts["total"] - counts["missing"] - counts["current"]
    return counts


def knowledge_export_rows(*, queryset: QuerySet | None = None) -> Iterator[dict]:
    """Entries as dicts for the CSV export, streamed, without loading embeddings."""
    queryset = KnowledgeEntry.objects.all() if queryset is None else queryset
    fields = ("question", "answer", "category", "business_unit", "subcategory", "metadata")
    return queryset.order_by("business_unit", "category", "question", "pk").values(*fields).iterator(chunk_size=2000)


__all__ = [
    "EmbedderError",
    "MAX_SEARCH_LIMIT",
    "SearchResult",
    "knowledge_embedding_counts",
    "knowledge_entries_needing_embedding",
    "knowledge_export_rows",
    "knowledge_search",
    "knowledge_similar_entries",
    "query_vector",
    "search_by_vector",
    "validate_embedding",
]
