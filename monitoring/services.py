"""Writes for monitoring: ingesting the runtime's metrics and routing decisions, pruning old rows, and test
cases made from production traffic (a logged routing decision or Agno run)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent
from common.hashing import canonical_hash
from evaluations.models import EvalCase
from evaluations.selectors import free_case_name
from evaluations.services import case_create
from monitoring import partitions, rollups
from monitoring.models import AgentMetric, AgnoRun, IngestionBatch, IngestionKind, RoutingDecision
from monitoring.selectors import agno_run_case
from teams.models import Team, TeamMember

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
        rollups.record_metrics(records)
        _guard_rollouts_of({record["agent_id"] for record in records})
    else:
        rollups.record_decisions(records)
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
    """Delete agent metrics, routing decisions and idempotency records created before ``before`` (the metric
    tables' whole months by dropping their partitions), and their rollups (``monitoring.rollups.prune``)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    result = PruneResult(
        agent_metrics=_prune_partitioned(AgentMetric, before=before, batch_size=batch_size, progress=progress),
        routing_decisions=_prune_partitioned(RoutingDecision, before=before, batch_size=batch_size, progress=progress),
        ingestion_batches=_delete_in_batches(IngestionBatch, before=before, batch_size=batch_size, progress=progress),
    )
    rollups.prune(before)
    return result


def _prune_partitioned(model: type[models.Model], *, before: datetime, batch_size: int, progress=None) -> int:
    """Whole months before ``before`` are dropped (their partitions: no row-by-row delete, no bloat); the rows
    left before ``before`` — in the month it falls in, or in the default partition — are deleted in batches."""
    table = model._meta.db_table
    dropped = partitions.drop_months_before(table, before) if partitions.is_partitioned(table) else 0
    if dropped and progress:
        progress(model, dropped)
    return dropped + _delete_in_batches(model, before=before, batch_size=batch_size, progress=progress)


# --- Test cases from production traffic ----------------------------------------------------------------


def routing_decision_source(decision: RoutingDecision) -> str:
    """How a case names the decision it came from (``EvalCase.source``)."""
    return f"routing decision #{decision.pk} ({timezone.localtime(decision.created_at):%Y-%m-%d %H:%M:%S %Z})"


@transaction.atomic
def routing_decision_case_create(*, decision: RoutingDecision, team_id: str, actor: Any) -> tuple[EvalCase, bool]:
    """A test case for the route team ``team_id`` from a logged decision: the customer's message must go to
    the member it went to (``expected_member``), named after the message. Returns ``(case, created)``: a
    decision already added to the team gives its case back instead of a second one.

    A decision does not record which team made it (the runtime reports the member and the message only), so
    the caller names the team. Raises ``ValidationError`` when the team does not route or the decision went
    somewhere a case cannot expect: not a portal agent, or not one of the team's members.
    """
    # Two people adding the same decision at once: the second waits here and then finds the first one's case.
    decision = RoutingDecision.objects.select_for_update().get(pk=decision.pk)
    team = Team.objects.filter(team_id=team_id).first()
    if team is None:
        raise ValidationError(_("There is no team “%(team)s”."), code="unknown_team", params={"team": team_id})
    if team.mode != "route":
        raise ValidationError(
            _("Team %(team)s does not route (its mode is %(mode)s)."),
            code="not_routing",
            params={"team": team_id, "mode": team.mode},
        )
    existing = EvalCase.objects.filter(
        component_type="team", component_id=team_id, source__startswith=f"routing decision #{decision.pk} ("
    ).first()
    if existing is not None:
        return existing, False
    routed_to = decision.routed_to
    if not Agent.objects.filter(agent_id=routed_to).exists():
        raise ValidationError(
            _("It went to “%(member)s”, which is not an agent of the portal: a test case expects a member agent."),
            code="not_an_agent",
            params={"member": routed_to},
        )
    memberships = TeamMember.objects.filter(agent__agent_id=routed_to)
    if not memberships.filter(team=team).exists():
        if not memberships.exists():
            raise ValidationError(
                _("It went to %(member)s, which is a member of no team."),
                code="not_a_member",
                params={"member": routed_to},
            )
        raise ValidationError(
            _("It went to %(member)s, which is not a member of team %(team)s."),
            code="not_a_member",
            params={"member": routed_to, "team": team_id},
        )
    case = case_create(
        actor=actor,
        component_type="team",
        component_id=team_id,
        name=free_case_name("team", team_id, decision.query),
        message=decision.query,
        expected_member=routed_to,
        critical=False,
        source=routing_decision_source(decision),
    )
    return case, True


def agno_run_case_create(
    *, run: AgnoRun, actor: Any, name: str, critical: bool = False, expected_member: str | None = None
) -> EvalCase:
    """A test case from a stored Agno run (``monitoring.selectors.agno_run_case``): its agent or team, its
    input message, for a team the member that answered (or ``expected_member`` when given, "" for none);
    what the answer must contain is left for a person to write. Agno's tables are only read."""
    found = agno_run_case(run)
    if not found.component_type:
        raise ValidationError(
            _("Run %(run)s is neither an agent's nor a team's run."),
            code="not_a_component_run",
            params={"run": run.run_id},
        )
    if not found.message.strip():
        raise ValidationError({"message": _("Run %(run)s stored no text input to test with.") % {"run": run.run_id}})
    return case_create(
        actor=actor,
        component_type=found.component_type,
        component_id=found.component_id,
        name=name,
        message=found.message,
        context=found.context,
        expected_member=found.expected_member if expected_member is None else expected_member,
        critical=critical,
        source=found.source,
    )
