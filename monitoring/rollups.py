"""Rollups of the metric tables: what the dashboards read, so a dashboard costs what it shows, not what is stored.

Per agent, configuration version and hour (``agent_metrics_hourly``) and UTC day (``agent_metrics_daily``):
requests, successes, the sums behind the means, the exact minimum and maximum, and a response-time histogram
(``monitoring.histograms``) from which the percentiles are estimated. Per destination and hour/day
(``routing_decisions_*``) and per business unit, typification path and destination (``routing_typifications_*``):
decisions, the confidence sum and a confidence histogram (counts below a two-decimal threshold are exact).

**Kept current as batches arrive**: the ingestion services call :func:`record_metrics` /
:func:`record_decisions` in the batch's own transaction, which *append* one partial row per key and bucket — no
update of a shared row, so concurrent batches never wait on each other's locks. Every read sums the rows of a
key, so partial rows are always counted; :func:`compact` (a job every minute) merges them into one row per key.

**Rebuilt from the raw rows** by :func:`rebuild` (``manage.py rebuild_rollups``; after ``migrate`` when the
rollups are empty and metrics exist; after retention deletes part of a day), a UTC day at a time, each day in one
repeatable-read transaction so a batch arriving meanwhile is counted exactly once. On PostgreSQL the database does
it in six statements per day; on SQLite Python folds the grouped rows (the same arithmetic as for a batch).

The dashboards' hourly figures are in whole hours; a period is read from the daily rows for its whole UTC days and
from the hourly rows for the hours at either end (``monitoring.selectors``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Trunc

from monitoring import histograms
from monitoring.aggregates import Bin, HistogramSum
from monitoring.models import (
    AgentMetric,
    AgentMetricDaily,
    AgentMetricHourly,
    RoutingDecision,
    RoutingDecisionDaily,
    RoutingDecisionHourly,
    TypificationDaily,
    TypificationHourly,
)

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


# --- Accumulators: the same arithmetic for a batch, a rebuild and a compaction ---------------------------------


@dataclass
class MetricSums:
    requests: int = 0
    successes: int = 0
    response_ms_sum: int = 0
    tokens: int = 0
    min_ms: int | None = None
    max_ms: int | None = None
    first_at: datetime | None = None
    last_at: datetime | None = None
    latency: list[float] = field(default_factory=lambda: histograms.empty(histograms.LATENCY_BINS))

    def add(
        self, *, requests, successes, response_ms_sum, tokens, min_ms, max_ms, first_at, last_at, latency=None, bin=None
    ):
        """Add partial sums: with ``latency`` a whole histogram, with ``bin`` all ``requests`` in that one bin."""
        self.requests += requests
        self.successes += successes
        self.response_ms_sum += response_ms_sum or 0
        self.tokens += tokens or 0
        self.min_ms = min_ms if self.min_ms is None else min(self.min_ms, min_ms)
        self.max_ms = max_ms if self.max_ms is None else max(self.max_ms, max_ms)
        self.first_at = first_at if self.first_at is None else min(self.first_at, first_at)
        self.last_at = last_at if self.last_at is None else max(self.last_at, last_at)
        if bin is not None:
            self.latency[bin] += requests
        elif latency is not None:
            fresh = self.requests == requests  # nothing added before this call
            self.latency = list(latency) if fresh else [a + b for a, b in zip(self.latency, latency)]

    def fields(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "successes": self.successes,
            "response_ms_sum": self.response_ms_sum,
            "tokens": self.tokens,
            "min_ms": self.min_ms,
            "max_ms": self.max_ms,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "latency": self.latency,
        }


@dataclass
class DecisionSums:
    decisions: int = 0
    confidence_count: int = 0
    confidence_sum: float = 0.0
    confidence: list[float] = field(default_factory=lambda: histograms.empty(histograms.CONFIDENCE_BINS))

    def add(self, *, decisions, confidence_count, confidence_sum, confidence=None, bin=None):
        """Add partial sums: with ``confidence`` a whole histogram, with ``bin`` every confidence in that bin."""
        self.decisions += decisions
        self.confidence_count += confidence_count
        self.confidence_sum += confidence_sum or 0.0
        if bin is not None:
            self.confidence[bin] += confidence_count
        elif confidence is not None:
            fresh = self.decisions == decisions  # nothing added before this call
            self.confidence = list(confidence) if fresh else [a + b for a, b in zip(self.confidence, confidence)]

    def fields(self) -> dict[str, Any]:
        return {
            "decisions": self.decisions,
            "confidence_count": self.confidence_count,
            "confidence_sum": self.confidence_sum,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Rollup:
    """One rollup table: its model, its key columns, the accumulator of its values and the bucket it sums."""

    model: type[models.Model]
    keys: tuple[str, ...]
    sums: Callable[[], Any]
    bucket_of: Callable[[datetime], datetime]
    width: timedelta


METRICS_HOURLY = Rollup(AgentMetricHourly, ("agent_id", "config_version"), MetricSums, hour_of, HOUR)
METRICS_DAILY = Rollup(AgentMetricDaily, ("agent_id", "config_version"), MetricSums, day_of, DAY)
DECISIONS_HOURLY = Rollup(RoutingDecisionHourly, ("routed_to",), DecisionSums, hour_of, HOUR)
DECISIONS_DAILY = Rollup(RoutingDecisionDaily, ("routed_to",), DecisionSums, day_of, DAY)
TYPIFICATIONS_HOURLY = Rollup(TypificationHourly, ("business_unit", "path", "routed_to"), DecisionSums, hour_of, HOUR)
TYPIFICATIONS_DAILY = Rollup(TypificationDaily, ("business_unit", "path", "routed_to"), DecisionSums, day_of, DAY)

METRIC_ROLLUPS = (METRICS_HOURLY, METRICS_DAILY)
DECISION_ROLLUPS = (DECISIONS_HOURLY, DECISIONS_DAILY, TYPIFICATIONS_HOURLY, TYPIFICATIONS_DAILY)
ALL = METRIC_ROLLUPS + DECISION_ROLLUPS


class Folder:
    """Partial sums folded by (key, bucket) for each rollup of a table."""

    def __init__(self, rollups: Iterable[Rollup]):
        self.rollups = tuple(rollups)
        self.groups: dict[Rollup, dict[tuple, Any]] = {rollup: {} for rollup in self.rollups}

    def add(self, rollup: Rollup, key: tuple, moment: datetime, **values) -> None:
        groups = self.groups[rollup]
        group_key = (*key, rollup.bucket_of(moment))
        sums = groups.get(group_key)
        if sums is None:
            sums = groups[group_key] = rollup.sums()
        sums.add(**values)

    def rows(self, rollup: Rollup) -> list[models.Model]:
        names = (*rollup.keys, "bucket")
        return [
            rollup.model(**dict(zip(names, group_key)), **sums.fields())
            for group_key, sums in self.groups[rollup].items()
        ]

    def write(self) -> int:
        if connection.vendor == "postgresql":
            return self._copy()
        written = 0
        for rollup in self.rollups:
            rows = self.rows(rollup)
            rollup.model._default_manager.bulk_create(rows, batch_size=500)
            written += len(rows)
        return written

    def _copy(self) -> int:
        """PostgreSQL: the rows in one COPY per table, histograms as compact vector text (integral counts): no
        model instances, no statement of thousands of parameters to bind — this runs on every ingested batch."""
        written = 0
        quote = connection.ops.quote_name
        with connection.cursor() as cursor, connection.wrap_database_errors:
            for rollup in self.rollups:
                groups = self.groups[rollup]
                if not groups:
                    continue
                names = [*rollup.keys, "bucket", *rollup.sums().fields()]
                columns = ", ".join(quote(name) for name in names)  # the rollups' columns are named as their fields
                with cursor.cursor.copy(f"COPY {quote(rollup.model._meta.db_table)} ({columns}) FROM STDIN") as copy:
                    for group_key, sums in groups.items():
                        values = [_vector_text(v) if isinstance(v, list) else v for v in sums.fields().values()]
                        copy.write_row([*group_key, *values])
                written += len(groups)
        return written


def _vector_text(counts: list[float]) -> str:
    """pgvector's text form of a histogram: its counts are whole numbers."""
    return "[" + ",".join(["%d" % count for count in counts]) + "]"


def typification_key(result: Any) -> tuple[str, str]:
    """(business unit, path as canonical JSON text) of a decision's ``typification_result``; "" for none."""
    if not isinstance(result, dict):
        return "", ""
    return _unit_text(result.get("business_unit")), _path_text(result.get("path"))


def _unit_text(unit: Any) -> str:
    if unit is None:
        return ""
    return unit if isinstance(unit, str) else json.dumps(unit, ensure_ascii=False, sort_keys=True)


def _path_text(path: Any) -> str:
    return "" if path is None else json.dumps(path, ensure_ascii=False, sort_keys=True)


# --- Kept current as batches arrive ------------------------------------------------------------------------------


def _hour_start(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3600, UTC)


def record_metrics(records: list[dict[str, Any]]) -> int:
    """Append the partial rollup rows of a batch of agent metrics (in the caller's transaction). The records are
    summed per agent, version and hour in one tight pass (this runs on every batch), then per UTC day."""
    bins, latency_bin = histograms.LATENCY_BINS, histograms.latency_bin
    groups: dict[tuple, list] = {}
    for record in records:
        created, ms = record["created_at"], record["response_time_ms"]
        key = (record["agent_id"], record.get("config_version") or 0, int(created.timestamp()) // 3600)
        group = groups.get(key)
        if group is None:
            groups[key] = group = [0, 0, 0, 0, ms, ms, created, created, [0.0] * bins]
        group[0] += 1
        if record.get("success", True):
            group[1] += 1
        group[2] += ms
        group[3] += record.get("tokens_used") or 0
        if ms < group[4]:
            group[4] = ms
        if ms > group[5]:
            group[5] = ms
        if created < group[6]:
            group[6] = created
        if created > group[7]:
            group[7] = created
        group[8][latency_bin(ms)] += 1
    folder = Folder(METRIC_ROLLUPS)
    for (agent_id, version, hour), (n, ok, ms_sum, tokens, low, high, first, last, latency) in groups.items():
        for rollup in METRIC_ROLLUPS:
            folder.add(
                rollup,
                (agent_id, version),
                _hour_start(hour),
                requests=n,
                successes=ok,
                response_ms_sum=ms_sum,
                tokens=tokens,
                min_ms=low,
                max_ms=high,
                first_at=first,
                last_at=last,
                latency=latency,
            )
    return folder.write()


def record_decisions(records: list[dict[str, Any]]) -> int:
    """Append the partial rollup rows of a batch of routing decisions (in the caller's transaction): summed per
    destination, typification and hour in one pass, then per destination and per UTC day."""
    bins, confidence_bin = histograms.CONFIDENCE_BINS, histograms.confidence_bin
    groups: dict[tuple, list] = {}
    for record in records:
        score = record.get("confidence_score")
        unit, path = typification_key(record.get("typification_result"))
        key = (record["routed_to"], unit, path, int(record["created_at"].timestamp()) // 3600)
        group = groups.get(key)
        if group is None:
            groups[key] = group = [0, 0, 0.0, [0.0] * bins]
        group[0] += 1
        if score is not None:
            group[1] += 1
            group[2] += score
            group[3][confidence_bin(score)] += 1
    folder = Folder(DECISION_ROLLUPS)
    for (routed_to, unit, path, hour), (n, scored, score_sum, confidence) in groups.items():
        values = {"decisions": n, "confidence_count": scored, "confidence_sum": score_sum, "confidence": confidence}
        moment = _hour_start(hour)
        for rollup in (DECISIONS_HOURLY, DECISIONS_DAILY):
            folder.add(rollup, (routed_to,), moment, **values)
        for rollup in (TYPIFICATIONS_HOURLY, TYPIFICATIONS_DAILY):
            folder.add(rollup, (unit, path, routed_to), moment, **values)
    return folder.write()


# --- Compaction ----------------------------------------------------------------------------------------------------


class CompactionRace(Exception):
    """Another compaction merged some of the same rows first; this one rolls back (the next run catches up)."""


def compact(*, batch: int = 2000) -> int:
    """Merge each key's partial rows into one, table by table; returns the rows removed. Safe beside ingestion
    (only the rows read are deleted; a batch arriving meanwhile adds a row the next run merges) and beside
    another compaction (a row already merged elsewhere rolls this one back)."""
    removed = 0
    for rollup in ALL:
        removed += _compact(rollup, batch=batch)
    return removed


def _compact(rollup: Rollup, *, batch: int) -> int:
    manager = rollup.model._default_manager
    removed = 0
    while True:
        with transaction.atomic():
            duplicated = list(
                manager.values(*rollup.keys, "bucket")
                .annotate(rows=Count("id"))
                .filter(rows__gt=1)
                .order_by("bucket")[:batch]
            )
            if not duplicated:
                return removed
            condition = Q()
            for group in duplicated:
                condition |= Q(**{name: group[name] for name in (*rollup.keys, "bucket")})
            rows = list(manager.filter(condition))
            folder = Folder([rollup])
            for row in rows:
                key = tuple(getattr(row, name) for name in rollup.keys)
                values = {name: getattr(row, name) for name in rollup.sums().fields()}
                folder.add(rollup, key, row.bucket, **values)  # type: ignore[attr-defined]
            deleted, _ = manager.filter(pk__in=[row.pk for row in rows]).delete()
            if deleted != len(rows):
                raise CompactionRace(f"{rollup.model._meta.db_table}: {len(rows) - deleted} rows merged elsewhere")
            folder.write()
            removed += len(rows) - len(folder.groups[rollup])
        if len(duplicated) < batch:
            return removed


# --- Rebuilt from the raw rows -------------------------------------------------------------------------------------


def _metric_partials(start: datetime, end: datetime) -> QuerySet:
    """The raw metrics of [start, end) grouped by agent, version, hour and response-time bin, by the database."""
    return (
        AgentMetric.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(hour=Trunc("created_at", "hour", tzinfo=UTC))
        .values("agent_id", "config_version", "hour", bin=Bin("response_time_ms", edges=histograms.LATENCY_EDGES))
        .annotate(
            requests=Count("*"),
            successes=Count("success", filter=Q(success=True)),
            response_ms_sum=Sum("response_time_ms"),
            tokens=Sum("tokens_used"),
            min_ms=Min("response_time_ms"),
            max_ms=Max("response_time_ms"),
            first_at=Min("created_at"),
            last_at=Max("created_at"),
        )
        .order_by()
    )


def _decision_partials(start: datetime, end: datetime) -> QuerySet:
    """The raw decisions of [start, end) grouped by destination, typification, hour and confidence bin."""
    return (
        RoutingDecision.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(hour=Trunc("created_at", "hour", tzinfo=UTC))
        .values(
            "routed_to",
            "hour",
            unit=KeyTextTransform("business_unit", "typification_result"),
            path_json=KeyTextTransform("path", "typification_result"),
            bin=Bin("confidence_score", edges=histograms.CONFIDENCE_EDGES, offset=1),
        )
        .annotate(
            decisions=Count("*"), confidence_count=Count("confidence_score"), confidence_sum=Sum("confidence_score")
        )
        .order_by()
    )


def _fold_metrics(folder: Folder, start: datetime, end: datetime) -> None:
    for row in _metric_partials(start, end).iterator(chunk_size=5000):
        key = (row.pop("agent_id"), row.pop("config_version") or 0)
        moment = row.pop("hour")
        for rollup in METRIC_ROLLUPS:
            folder.add(rollup, key, moment, **row)


def _fold_decisions(folder: Folder, start: datetime, end: datetime) -> None:
    for row in _decision_partials(start, end).iterator(chunk_size=5000):
        path = row["path_json"]
        path = "" if path is None else _path_text(json.loads(path))
        unit = row["unit"] or ""
        values = {
            "decisions": row["decisions"],
            "confidence_count": row["confidence_count"],
            "confidence_sum": row["confidence_sum"] or 0.0,
            "bin": row["bin"],
        }
        for rollup in (DECISIONS_HOURLY, DECISIONS_DAILY):
            folder.add(rollup, (row["routed_to"],), row["hour"], **values)
        for rollup in (TYPIFICATIONS_HOURLY, TYPIFICATIONS_DAILY):
            folder.add(rollup, (unit, path, row["routed_to"]), row["hour"], **values)


def raw_span() -> tuple[datetime, datetime] | None:
    firsts, lasts = [], []
    for model in (AgentMetric, RoutingDecision):
        span = model.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
        if span["first"] is not None:
            firsts.append(span["first"])
            lasts.append(span["last"])
    return (min(firsts), max(lasts)) if firsts else None


def rebuild(*, start: datetime | None = None, end: datetime | None = None, progress=None) -> int:
    """Recompute the rollups of the UTC days from ``start`` to ``end`` (default: all the raw rows) from the raw
    rows, a day per transaction; returns the days rebuilt."""
    if start is None or end is None:
        span = raw_span()
        if span is None:
            for rollup in ALL:
                rollup.model._default_manager.all().delete()
            return 0
        start = start or span[0]
        end = end or span[1]
    day, last, days = day_of(start), day_of(end), 0
    while day <= last:
        rebuild_day(day)
        days += 1
        if progress:
            progress(day)
        day += DAY
    return days


def _sparse_to_vector(bin_column: str, count_column: str, size: int, where: str = "TRUE") -> str:
    """SQL of a dense histogram vector from (bin, count) rows: pgvector's sparse text ``{i:n,…}/size`` (1-based)."""
    return (
        f"coalesce(('{{' || string_agg(({bin_column} + 1)::text || ':' || {count_column}, ',' ORDER BY {bin_column}) "
        f"FILTER (WHERE {where} AND {count_column} > 0) || '}}/{size}')::sparsevec::vector, "
        f"('{{}}/{size}')::sparsevec::vector)"
    )


def _rebuild_sql() -> list[str]:
    """The statements that recompute one UTC day [%(start)s, %(end)s) on PostgreSQL, in the database: the same
    bins (``width_bucket`` over the same edges), sums and keys as :func:`_fold_metrics` / :func:`_fold_decisions`
    compute in Python (SQLite), without moving the rows to Python."""
    latency_edges = ", ".join(str(edge) for edge in histograms.LATENCY_EDGES)
    confidence_edges = ", ".join(repr(edge) for edge in histograms.CONFIDENCE_EDGES)
    metric_columns = "requests, successes, response_ms_sum, tokens, min_ms, max_ms, first_at, last_at, latency"
    decision_columns = "decisions, confidence_count, confidence_sum, confidence"
    unit = "coalesce(typification_result->>'business_unit', '')"
    path = (
        "CASE WHEN coalesce(jsonb_typeof(typification_result->'path'), 'null') = 'null' THEN '' "
        "ELSE (typification_result->'path')::text END"
    )

    def decision_partials(keys: str, group: str) -> str:
        """Decisions grouped by ``keys``, hour and confidence bin: one row per bin, so no bin twice in a vector."""
        return f"""
        SELECT {keys}, date_trunc('hour', created_at, 'UTC') AS hour,
               width_bucket(confidence_score, ARRAY[{confidence_edges}]::float8[]) - 1 AS bin,
               count(*) AS n, count(confidence_score) AS scored, coalesce(sum(confidence_score), 0) AS score_sum
        FROM routing_decisions WHERE created_at >= %(start)s AND created_at < %(end)s
        GROUP BY {group}, hour, bin"""

    decision_values = "sum(n), sum(scored), sum(score_sum), " + _sparse_to_vector(
        "bin", "scored", histograms.CONFIDENCE_BINS, "bin IS NOT NULL"
    )

    def daily(table: str, keys: str, columns: str, sums: str) -> str:
        return (
            f"INSERT INTO {table}_daily ({keys}, bucket, {columns}) "
            f"SELECT {keys}, date_trunc('day', bucket, 'UTC'), {sums} FROM {table}_hourly "
            f"WHERE bucket >= %(start)s AND bucket < %(end)s GROUP BY {keys}, date_trunc('day', bucket, 'UTC')"
        )

    return [
        f"""INSERT INTO agent_metrics_hourly (agent_id, config_version, bucket, {metric_columns})
        SELECT agent_id, version, hour, sum(n), sum(ok), sum(ms), sum(tokens), min(low), max(high), min(first_at),
               max(last_at), {_sparse_to_vector("bin", "n", histograms.LATENCY_BINS)}
        FROM (
            SELECT agent_id, coalesce(config_version, 0) AS version, date_trunc('hour', created_at, 'UTC') AS hour,
                   width_bucket(response_time_ms, ARRAY[{latency_edges}]::int[]) AS bin,
                   count(*) AS n, count(*) FILTER (WHERE success) AS ok, sum(response_time_ms) AS ms,
                   sum(tokens_used) AS tokens, min(response_time_ms) AS low, max(response_time_ms) AS high,
                   min(created_at) AS first_at, max(created_at) AS last_at
            FROM agent_metrics WHERE created_at >= %(start)s AND created_at < %(end)s
            GROUP BY 1, 2, 3, 4
        ) AS partials
        GROUP BY agent_id, version, hour""",
        daily(
            "agent_metrics",
            "agent_id, config_version",
            metric_columns,
            "sum(requests), sum(successes), sum(response_ms_sum), sum(tokens), min(min_ms), max(max_ms), "
            "min(first_at), max(last_at), sum(latency)",
        ),
        f"""INSERT INTO routing_decisions_hourly (routed_to, bucket, {decision_columns})
        SELECT routed_to, hour, {decision_values} FROM ({decision_partials("routed_to", "routed_to")}) AS partials
        GROUP BY routed_to, hour""",
        f"""INSERT INTO routing_typifications_hourly (business_unit, path, routed_to, bucket, {decision_columns})
        SELECT business_unit, path, routed_to, hour, {decision_values}
        FROM ({decision_partials(f"{unit} AS business_unit, {path} AS path, routed_to", "1, 2, 3")}) AS partials
        GROUP BY business_unit, path, routed_to, hour""",
        daily(
            "routing_decisions",
            "routed_to",
            decision_columns,
            "sum(decisions), sum(confidence_count), sum(confidence_sum), sum(confidence)",
        ),
        daily(
            "routing_typifications",
            "business_unit, path, routed_to",
            decision_columns,
            "sum(decisions), sum(confidence_count), sum(confidence_sum), sum(confidence)",
        ),
    ]


def _rebuild_in_sql(start: datetime, end: datetime) -> None:
    with connection.cursor() as cursor:
        for statement in _rebuild_sql():
            cursor.execute(statement, {"start": start, "end": end})


def rebuild_day(day: datetime) -> None:
    """Recompute one UTC day's rollups (hourly and daily) from its raw rows."""
    day = day_of(day)
    end = day + DAY
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # One snapshot for the deletes and the reads: a batch committing meanwhile is either in the raw rows
            # read here (and its partial rows deleted) or in neither — never counted twice or lost. Inside a
            # caller's transaction (the demo, tests) the caller's isolation applies.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for rollup in ALL:
            rollup.model._default_manager.filter(bucket__gte=day, bucket__lt=end).delete()
        if connection.vendor == "postgresql":
            _rebuild_in_sql(day, end)
            return
        folder = Folder(ALL)
        _fold_metrics(folder, day, end)
        _fold_decisions(folder, day, end)
        folder.write()


def prune(before: datetime) -> None:
    """Drop the rollups of whatever retention deleted: buckets wholly before ``before``, and the day it falls in
    recomputed from the raw rows left (call after the raw rows are deleted)."""
    day = day_of(before)
    for rollup in ALL:
        rollup.model._default_manager.filter(bucket__lt=day).delete()
    if before > day:
        rebuild_day(day)


def needs_rebuild() -> bool:
    """Metrics exist but no rollup does: after the migration that added rollups to a database with metrics."""
    has_raw = AgentMetric.objects.exists() or RoutingDecision.objects.exists()
    return has_raw and not any(r.model._default_manager.exists() for r in (METRICS_DAILY, DECISIONS_DAILY))


# --- Reading ---------------------------------------------------------------------------------------------------


def metric_values() -> dict[str, Any]:
    """The aggregates a read of metric rollups sums per group."""
    return {
        "requests": Sum("requests"),
        "successes": Sum("successes"),
        "response_ms_sum": Sum("response_ms_sum"),
        "tokens": Sum("tokens"),
        "min_ms": Min("min_ms"),
        "max_ms": Max("max_ms"),
        "first_at": Min("first_at"),
        "last_at": Max("last_at"),
        "latency": HistogramSum("latency", output_field=AgentMetricHourly._meta.get_field("latency")),
    }


def decision_values() -> dict[str, Any]:
    return {
        "decisions": Sum("decisions"),
        "confidence_count": Sum("confidence_count"),
        "confidence_sum": Sum("confidence_sum"),
        "confidence": HistogramSum("confidence", output_field=RoutingDecisionHourly._meta.get_field("confidence")),
    }
