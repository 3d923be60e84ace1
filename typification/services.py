"""Writes for the typification hierarchy and the business-unit routes, and the ``routing`` component.

The two tables are the routing's working copy: every change to them is audited row by row
(``audit.services.audit_record``) and saved, in the same transaction, into the routing's draft
(``versioning.services.draft_save``) with a change note. Production is not affected until that draft is
published (``routing_publish`` or the admin's publish page, through ``component_publish``), which also
bumps the runtime's configuration generation. Every writer locks the routing row first, so concurrent
edits serialise and each draft snapshot is consistent. Each writer is one audit batch: its rows' audit
and the draft save it causes share a batch id (``common.batches``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from audit.models import AuditAction, AuditSubject
from audit.services import audit_record
from common.batches import batch
from typification.components import ROUTING_KIND
from typification.formats import HierarchyRow, clean_keywords
from typification.models import LEVELS, ROUTING_ID, BusinessUnitRoute, RoutingTable, TypificationHierarchy
from typification.text import nfc
from versioning.components import get_kind
from versioning.models import ComponentVersion
from versioning.selectors import component_status
from versioning.services import component_publish, draft_save

TYPIFICATION_FIELDS = (*LEVELS, "business_unit", "routing_keywords")


def typification_snapshot(row: TypificationHierarchy) -> dict[str, Any]:
    return {
        **{level: getattr(row, level) for level in LEVELS},
        "business_unit": row.business_unit,
        "routing_keywords": list(row.routing_keywords or []),
    }


def _normalise(row: TypificationHierarchy) -> None:
    for level in LEVELS:
        setattr(row, level, nfc(getattr(row, level)))
    row.business_unit = nfc(row.business_unit) or row.level1
    if not isinstance(row.routing_keywords, list):
        raise ValidationError({"routing_keywords": gettext("Routing keywords must be a list of words or phrases.")})
    row.routing_keywords = clean_keywords(row.routing_keywords)


@transaction.atomic
@batch()
def typification_create(
    *,
    level1: str,
    level2: str = "",
    level3: str = "",
    level4: str = "",
    level5: str = "",
    business_unit: str = "",
    routing_keywords: list[str] | None = None,
    actor=None,
    reason: str = "",
) -> TypificationHierarchy:
    """Add one typification path (business unit defaults to level 1) to the routing draft."""
    table = _lock_routing()
    row = TypificationHierarchy(
        level1=level1,
        level2=level2,
        level3=level3,
        level4=level4,
        level5=level5,
        business_unit=business_unit,
        routing_keywords=list(routing_keywords or []),
    )
    _normalise(row)
    row.full_clean()
    row.save()
    audit_record(
        action=AuditAction.CREATED,
        subject_type=AuditSubject.TYPIFICATION,
        subject_id=str(row.pk),
        actor=actor,
        reason=reason,
        after=typification_snapshot(row),
    )
    _save_draft(table, actor=actor, note=reason or f"Added the typification path {row}")
    return row


@transaction.atomic
@batch()
def typification_update(
    *, typification: TypificationHierarchy, actor=None, reason: str = "", **changes: Any
) -> TypificationHierarchy:
    """Change a path's levels, business unit or keywords in the routing draft. A save that changes
    nothing records nothing."""
    unknown = set(changes) - set(TYPIFICATION_FIELDS)
    if unknown:
        raise TypeError(f"typification_update() got unknown fields: {', '.join(sorted(unknown))}")
    table = _lock_routing()
    # The stored state, not the instance a form may already have modified.
    current = TypificationHierarchy.objects.select_for_update().get(pk=typification.pk)
    before = typification_snapshot(current)
    for name, value in changes.items():
        setattr(typification, name, value)
    _normalise(typification)
    typification.full_clean()
    after = typification_snapshot(typification)
    if after == before:
        return typification
    typification.save()
    audit_record(
        action=AuditAction.UPDATED,
        subject_type=AuditSubject.TYPIFICATION,
        subject_id=str(typification.pk),
        actor=actor,
        reason=reason,
        before=before,
        after=after,
    )
    _save_draft(table, actor=actor, note=reason or f"Changed the typification path {typification}")
    return typification


@transaction.atomic
@batch()
def typification_delete(*, typification: TypificationHierarchy, actor=None, reason: str = "") -> None:
    """Remove a path from the routing draft."""
    table = _lock_routing()
    before = typification_snapshot(typification)
    label = str(typification)
    pk = typification.pk
    typification.delete()
    audit_record(
        action=AuditAction.DELETED,
        subject_type=AuditSubject.TYPIFICATION,
        subject_id=str(pk),
        actor=actor,
        reason=reason,
        before=before,
    )
    _save_draft(table, actor=actor, note=reason or f"Removed the typification path {label}")


@transaction.atomic
@batch()
def typification_delete_many(*, typifications, actor=None, reason: str = "") -> int:
    """Remove several paths from the routing draft: an audit row each, one draft save for all."""
    table = _lock_routing()
    rows = list(typifications)
    for row in rows:
        before = typification_snapshot(row)
        pk = row.pk
        row.delete()
        audit_record(
            action=AuditAction.DELETED,
            subject_type=AuditSubject.TYPIFICATION,
            subject_id=str(pk),
            actor=actor,
            reason=reason,
            before=before,
        )
    if rows:
        _save_draft(table, actor=actor, note=reason or f"Removed {len(rows)} typification paths")
    return len(rows)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    deleted: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "deleted": self.deleted}


@transaction.atomic
@batch()
def typification_import(
    *,
    rows: list[HierarchyRow],
    source_name: str,
    actor=None,
    replace: bool = False,
    reason: str = "",
) -> ImportResult:
    """Bring the hierarchy in line with ``rows`` (parsed by ``typification.formats``), all or nothing.

    Idempotent: an existing path keeps its id; its business unit changes if the file says so and its
    keywords are replaced only when the file carries keywords (CSV) — a JSON file leaves them alone.
    With ``replace`` every path not in the file is deleted. One audit row about the routing records the
    counts and the file, and the result goes into the routing draft (``routing_publish`` makes it live).
    """
    table = _lock_routing()
    existing = {
        tuple(getattr(row, level) for level in LEVELS): row for row in TypificationHierarchy.objects.select_for_update()
    }
    to_create: list[TypificationHierarchy] = []
    to_update: list[TypificationHierarchy] = []
    unchanged = 0
    seen: set[tuple] = set()
    for item in rows:
        key = tuple(nfc(level) for level in item.levels)
        seen.add(key)
        row = existing.get(key)
        if row is None:
            new = TypificationHierarchy(
                **dict(zip(LEVELS, key)),
                business_unit=item.business_unit,
                routing_keywords=list(item.keywords or []),
            )
            _normalise(new)
            # Field validation only: the parser already enforced what the table's checks enforce, and
            # running each check as a query per row would make a large import crawl; the database
            # still refuses anything that slipped through, rolling the whole import back.
            new.full_clean(validate_unique=False, validate_constraints=False)
            to_create.append(new)
            continue
        before = typification_snapshot(row)
        row.business_unit = item.business_unit
        if item.keywords is not None:
            row.routing_keywords = list(item.keywords)
        _normalise(row)
        if typification_snapshot(row) == before:
            unchanged += 1
        else:
            row.full_clean(validate_unique=False, validate_constraints=False)
            to_update.append(row)
    stale = [row.pk for key, row in existing.items() if key not in seen] if replace else []

    TypificationHierarchy.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        TypificationHierarchy.objects.bulk_update(to_update, ["business_unit", "routing_keywords"], batch_size=500)
    deleted = TypificationHierarchy.objects.filter(pk__in=stale).delete()[0] if stale else 0
    result = ImportResult(created=len(to_create), updated=len(to_update), unchanged=unchanged, deleted=deleted)
    # The subject is what the file changed, the routing's working copy; the file is named in the reason.
    # Its draft save (below) shares the batch.
    audit_record(
        action=AuditAction.IMPORTED,
        subject_type=AuditSubject.ROUTING,
        subject_id=ROUTING_ID,
        actor=actor,
        reason=f"Imported {source_name}" + (f": {reason}" if reason else ""),
        after={**result.as_dict(), "replace": replace, "paths_in_file": len(rows), "file": source_name},
        diff={},
    )
    if result.changed:
        _save_draft(table, actor=actor, note=reason or f"Imported {source_name}")
    return result


# --- Business-unit routes ------------------------------------------------------------------------


def business_unit_route_snapshot(route: BusinessUnitRoute) -> dict[str, Any]:
    return {
        "business_unit": route.business_unit,
        "agent": route.agent.agent_id if route.agent is not None else None,
        "team": route.team.team_id if route.team is not None else None,
        "note": route.note,
    }


@transaction.atomic
@batch()
def business_unit_route_create(
    *, business_unit: str, agent=None, team=None, note: str = "", actor=None, reason: str = ""
) -> BusinessUnitRoute:
    """Send a business unit's messages to an agent or a team (exactly one), in the routing draft."""
    table = _lock_routing()
    route = BusinessUnitRoute(business_unit=nfc(business_unit), agent=agent, team=team, note=note)
    route.full_clean()
    route.save()
    audit_record(
        action=AuditAction.CREATED,
        subject_type=AuditSubject.BUSINESS_UNIT_ROUTE,
        subject_id=route.business_unit,
        actor=actor,
        reason=reason,
        after=business_unit_route_snapshot(route),
    )
    _save_draft(table, actor=actor, note=reason or f"Added the route {route}")
    return route


@transaction.atomic
@batch()
def business_unit_route_update(
    *, route: BusinessUnitRoute, actor=None, reason: str = "", **changes: Any
) -> BusinessUnitRoute:
    """Change a route in the routing draft; a save that changes nothing records nothing."""
    unknown = set(changes) - {"business_unit", "agent", "team", "note"}
    if unknown:
        raise TypeError(f"business_unit_route_update() got unknown fields: {', '.join(sorted(unknown))}")
    table = _lock_routing()
    current = BusinessUnitRoute.objects.select_for_update().get(pk=route.pk)
    before = business_unit_route_snapshot(current)
    for name, value in changes.items():
        setattr(route, name, value)
    route.business_unit = nfc(route.business_unit)
    route.full_clean()
    after = business_unit_route_snapshot(route)
    if after == before:
        return route
    route.save()
    audit_record(
        action=AuditAction.UPDATED,
        subject_type=AuditSubject.BUSINESS_UNIT_ROUTE,
        subject_id=route.business_unit,
        actor=actor,
        reason=reason,
        before=before,
        after=after,
    )
    _save_draft(table, actor=actor, note=reason or f"Changed the route {route}")
    return route


@transaction.atomic
@batch()
def business_unit_route_delete(*, route: BusinessUnitRoute, actor=None, reason: str = "") -> None:
    """Remove a route from the routing draft."""
    table = _lock_routing()
    before = business_unit_route_snapshot(route)
    route.delete()
    audit_record(
        action=AuditAction.DELETED,
        subject_type=AuditSubject.BUSINESS_UNIT_ROUTE,
        subject_id=before["business_unit"],
        actor=actor,
        reason=reason,
        before=before,
    )
    _save_draft(table, actor=actor, note=reason or f"Removed the route of {before['business_unit']}")


# --- The routing component -----------------------------------------------------------------------


def _lock_routing() -> RoutingTable:
    return ROUTING_KIND.get_locked(ROUTING_ID)


def _save_draft(table: RoutingTable, *, actor, note: str) -> ComponentVersion | None:
    """Snapshot the working tables into the routing's draft (a new revision of the working copy)."""
    table.revision += 1
    table.save(update_fields=["revision", "updated_at"])
    return draft_save(kind=ROUTING_KIND, obj=table, actor=actor, note=note)


@transaction.atomic
def routing_publish(*, actor=None, note: str = "") -> ComponentVersion | None:
    """Publish the routing's open draft (system callers: the demo, ``import_typification --publish``).

    Returns None when there is nothing to publish (no draft, or a draft equal to the live version);
    permission, four eyes, ``validate_live``, audit and the generation bump are ``component_publish``'s.
    """
    kind = get_kind(ROUTING_KIND.type)
    kind.get_locked(ROUTING_ID)
    status = component_status(kind.type, ROUTING_ID)
    if status.draft is None or (status.published and status.published.content_hash == status.draft.content_hash):
        return None
    return component_publish(kind=kind, component_id=ROUTING_ID, actor=actor, note=note)


def ensure_routing_table(using: str = "default") -> None:
    """The routing's single row exists after migrate and after flush (post_migrate)."""
    from django.db import connections

    if RoutingTable._meta.db_table not in connections[using].introspection.table_names():
        return  # typification was migrated back
    RoutingTable.objects.using(using).get_or_create(routing_id=ROUTING_ID)
