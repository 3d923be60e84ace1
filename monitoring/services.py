"""Writes for monitoring: ingesting the runtime's metrics and routing decisions, and pruning old rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import Q
from django.utils import timezone

from common.hashing import canonical_hash
from monitoring.models import AgentMetric, IngestionBatch, IngestionKind, RoutingDecision

MAX_BATCH = 1000


class IdempotencyKeyReused(Exception):
    """The key was already used for a batch with different content."""

    def __init__(self, batch: IngestionBatch):
        self.batch = batch
        super().__init__(
            f"The Idempotency-Key “{batch.idempotency_key}” was already used on {batch.created_at:%Y-%m-%d %H:%M:%S} "
            "for a different batch; use a new key for new records."
        )


@dataclass(frozen=True)
class IngestResult:
    kind: str
    accepted: int  # records in the batch
    stored: int  # records written by this call (0 on a replay)
    replayed: bool
    idempotency_key: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "stored": self.stored,
            "replayed": self.replayed,
            "idempotency_key": self.idempotency_key,
        }


def batch_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of a batch as the client sent it (key order and spacing ignored)."""
    return canonical_hash(payload)


def _claim_key(
    *, kind: str, idempotency_key: str, request_hash: str, count: int, sent_by: str
) -> IngestionBatch | None:
    """Record the key; return the earlier batch instead when the key was used before.

    A concurrent request with the same key blocks on the unique index until the first one commits,
    then sees its row here: the batch is stored exactly once.
    """
    fields = {
        "kind": kind,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "record_count": count,
        "api_key_name": sent_by[:150],
    }
    connection = connections[router.db_for_write(IngestionBatch)]
    if connection.vendor == "postgresql":
        if _insert_unless_taken(connection, fields):  # one round trip where the ORM needs four
            return None
    else:
        existing = IngestionBatch.objects.filter(kind=kind, idempotency_key=idempotency_key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    IngestionBatch.objects.create(**fields)
                return None
            except IntegrityError:
                pass
    existing = IngestionBatch.objects.get(kind=kind, idempotency_key=idempotency_key)
    if existing.request_hash != request_hash:
        raise IdempotencyKeyReused(existing)
    return existing


def _insert_unless_taken(connection, fields: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT (kind, idempotency_key) DO NOTHING: True when this request took the key."""
    quote = connection.ops.quote_name
    columns = [*fields, "created_at"]
    sql = (
        f"INSERT INTO {quote(IngestionBatch._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT (kind, idempotency_key) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*fields.values(), timezone.now()])
        return cursor.fetchone() is not None


def _ingest(
    *,
    kind: str,
    model: type[models.Model],
    records: list[dict[str, Any]],
    idempotency_key: str | None,
    request_hash: str,
    sent_by: str,
    validated: bool = False,
) -> IngestResult:
    if not records:
        raise ValueError("A batch holds at least one record.")
    if len(records) > MAX_BATCH:
        raise ValueError(f"A batch holds at most {MAX_BATCH} records.")
    if idempotency_key:
        earlier = _claim_key(
            kind=kind, idempotency_key=idempotency_key, request_hash=request_hash, count=len(records), sent_by=sent_by
        )
        if earlier is not None:
            return IngestResult(kind, earlier.record_count, 0, True, idempotency_key)
    if not validated:
        rows = [model(**record) for record in records]
        for row in rows:
            # Field rules only: evaluating each check constraint as a query per row would multiply a
            # batch into thousands of queries; the constraints still refuse anything that slips through,
            # rolling the batch back.
            row.full_clean(validate_unique=False, validate_constraints=False)
        names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        records = [{name: getattr(row, name) for name in names} for row in rows]
    _store(model, records)
    if model is AgentMetric:
        _guard_rollouts_of({record["agent_id"] for record in records})
    return IngestResult(kind, len(records), len(records), False, idempotency_key)


def _guard_rollouts_of(component_ids: set[str]) -> None:
    """New metrics for a component under a guarded rollout: have the job queue judge it (after this batch
    commits; one waiting job at most), so a bad candidate is aborted within seconds, not at the next minute."""
    from common.jobs import defer
    from monitoring.tasks import GUARD_LOCK, guard_rollouts_now
    from versioning.models import Rollout, RolloutState

    guarded = Rollout.objects.filter(state=RolloutState.RUNNING, component_id__in=component_ids).filter(
        Q(max_success_drop_points__isnull=False) | Q(max_p95_increase_percent__isnull=False)
    )
    if guarded.exists():
        defer(guard_rollouts_now, queueing_lock=GUARD_LOCK)


def _store(model: type[models.Model], records: list[dict[str, Any]]) -> None:
    """Write the records in one round trip: COPY on PostgreSQL (bench/ingest.py), ``bulk_create``
    elsewhere. Inside the caller's transaction either way, so a refused row rolls the batch back."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**record) for record in records], batch_size=MAX_BATCH)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    defaults = {f.attname: f.get_default() for f in fields}
    # Values of validated records are already what the columns take, except JSON (wrapped for psycopg).
    json_fields = [(index, f) for index, f in enumerate(fields) if isinstance(f, models.JSONField)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    row_of, every_column = itemgetter(*names), set(names)
    with connection.cursor() as cursor, connection.wrap_database_errors:  # psycopg's errors as Django's
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for record in records:
                if record.keys() != every_column:  # the serializer gives every column; other callers may not
                    record = {**defaults, **record}
                if json_fields:
                    row = list(row_of(record))
                    for index, field in json_fields:
                        row[index] = field.get_db_prep_save(row[index], connection)
                    copy.write_row(row)
                else:
                    copy.write_row(row_of(record))


@transaction.atomic
def agent_metrics_ingest(
    *,
    records: list[dict[str, Any]],
    idempotency_key: str | None = None,
    request_hash: str = "",
    sent_by: str = "",
    validated: bool = False,
) -> IngestResult:
    """Store a batch of agent metrics, all or nothing; a batch retried with the same key is stored once.
    ``validated=True``: the records come from the API's serializer, which checked every field rule (the
    table's constraints still back it), so the per-row model validation is skipped."""
    return _ingest(
        kind=IngestionKind.METRICS,
        model=AgentMetric,
        records=records,
        idempotency_key=idempotency_key,
        request_hash=request_hash or batch_hash(records),
        sent_by=sent_by,
        validated=validated,
    )


@transaction.atomic
def routing_decisions_ingest(
    *,
    records: list[dict[str, Any]],
    idempotency_key: str | None = None,
    request_hash: str = "",
    sent_by: str = "",
    validated: bool = False,
) -> IngestResult:
    """Store a batch of routing decisions, all or nothing; a batch retried with the same key is stored once."""
    return _ingest(
        kind=IngestionKind.ROUTING_DECISIONS,
        model=RoutingDecision,
        records=records,
        idempotency_key=idempotency_key,
        request_hash=request_hash or batch_hash(records),
        sent_by=sent_by,
        validated=validated,
    )


# --- Retention -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PruneResult:
    agent_metrics: int
    routing_decisions: int
    ingestion_batches: int


def _delete_in_batches(model: type[models.Model], *, before: datetime, batch_size: int, progress=None) -> int:
    """Delete rows older than ``before``, ``batch_size`` at a time, each batch its own short transaction,
    so a large prune never holds long locks or builds one huge transaction."""
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                model._default_manager.filter(created_at__lt=before)
                .order_by("created_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            deleted = model._default_manager.filter(pk__in=ids).delete()[0]
        total += deleted
        if progress:
            progress(model, total)
        if len(ids) < batch_size:
            break
    return total


def metrics_prune(*, before: datetime, batch_size: int = 10_000, progress=None) -> PruneResult:
    """Delete agent metrics, routing decisions and idempotency records created before ``before``."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return PruneResult(
        agent_metrics=_delete_in_batches(AgentMetric, before=before, batch_size=batch_size, progress=progress),
        routing_decisions=_delete_in_batches(RoutingDecision, before=before, batch_size=batch_size, progress=progress),
        ingestion_batches=_delete_in_batches(IngestionBatch, before=before, batch_size=batch_size, progress=progress),
    )
