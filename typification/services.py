"""Writes for the typification hierarchy and the business-unit routes.

Every change is audited in the same transaction (``versioning.audit.audit_record``). A change to the
hierarchy also bumps the runtime's configuration generation, because the runtime bundle carries the
typification tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from versioning.signals import announce_config_change
from typification.formats import HierarchyRow, clean_keywords
from typification.models import LEVELS, BusinessUnitRoute, TypificationHierarchy
from typification.text import nfc
from versioning.audit import audit_record
from versioning.models import AuditSubject, HistoryAction

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
        raise ValidationError({"routing_keywords": "Routing keywords must be a list of words or phrases."})
    row.routing_keywords = clean_keywords(row.routing_keywords)


@transaction.atomic
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
    """Add one typification path (business unit defaults to level 1)."""
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
        action=HistoryAction.CREATED,
        component_type=AuditSubject.TYPIFICATION,
        component_id=str(row.pk),
        actor=actor,
        reason=reason,
        after=typification_snapshot(row),
    )
    announce_config_change()
    return row


@transaction.atomic
def typification_update(
    *, typification: TypificationHierarchy, actor=None, reason: str = "", **changes: Any
) -> TypificationHierarchy:
    """Change a path's levels, business unit or keywords. A save that changes nothing records nothing."""
    unknown = set(changes) - set(TYPIFICATION_FIELDS)
    if unknown:
        raise TypeError(f"typification_update() got unknown fields: {', '.join(sorted(unknown))}")
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
        action=HistoryAction.UPDATED,
        component_type=AuditSubject.TYPIFICATION,
        component_id=str(typification.pk),
        actor=actor,
        reason=reason,
        before=before,
        after=after,
    )
    announce_config_change()
    return typification


@transaction.atomic
def typification_delete(*, typification: TypificationHierarchy, actor=None, reason: str = "") -> None:
    before = typification_snapshot(typification)
    pk = typification.pk
    typification.delete()
    audit_record(
        action=HistoryAction.DELETED,
        component_type=AuditSubject.TYPIFICATION,
        component_id=str(pk),
        actor=actor,
        reason=reason,
        before=before,
    )
    announce_config_change()


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
    With ``replace`` every path not in the file is deleted. One audit row records the counts.
    """
    existing = {
        tuple(getattr(row, level) for level in LEVELS): row
        for row in TypificationHierarchy.objects.select_for_update()
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
    audit_record(
        action=HistoryAction.IMPORTED,
        component_type=AuditSubject.TYPIFICATION,
        component_id=source_name,
        actor=actor,
        reason=reason,
        after={**result.as_dict(), "replace": replace, "paths_in_file": len(rows)},
        diff={},
    )
    if result.changed:
        announce_config_change()
    return result


# --- Business-unit routes ------------------------------------------------------------------------


def business_unit_route_snapshot(route: BusinessUnitRoute) -> dict[str, Any]:
    return {
        "business_unit": route.business_unit,
        "agent": route.agent.agent_id if route.agent_id else None,
        "team": route.team.team_id if route.team_id else None,
        "note": route.note,
    }


@transaction.atomic
def business_unit_route_create(
    *, business_unit: str, agent=None, team=None, note: str = "", actor=None, reason: str = ""
) -> BusinessUnitRoute:
    """Send a business unit's messages to an agent or a team (exactly one)."""
    route = BusinessUnitRoute(business_unit=nfc(business_unit), agent=agent, team=team, note=note)
    route.full_clean()
    route.save()
    audit_record(
        action=HistoryAction.CREATED,
        component_type=AuditSubject.BUSINESS_UNIT_ROUTE,
        component_id=route.business_unit,
        actor=actor,
        reason=reason,
        after=business_unit_route_snapshot(route),
    )
    announce_config_change()
    return route


@transaction.atomic
def business_unit_route_update(
    *, route: BusinessUnitRoute, actor=None, reason: str = "", **changes: Any
) -> BusinessUnitRoute:
    unknown = set(changes) - {"business_unit", "agent", "team", "note"}
    if unknown:
        raise TypeError(f"business_unit_route_update() got unknown fields: {', '.join(sorted(unknown))}")
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
        action=HistoryAction.UPDATED,
        component_type=AuditSubject.BUSINESS_UNIT_ROUTE,
        component_id=route.business_unit,
        actor=actor,
        reason=reason,
        before=before,
        after=after,
    )
    announce_config_change()
    return route


@transaction.atomic
def business_unit_route_delete(*, route: BusinessUnitRoute, actor=None, reason: str = "") -> None:
    before = business_unit_route_snapshot(route)
    route.delete()
    audit_record(
        action=HistoryAction.DELETED,
        component_type=AuditSubject.BUSINESS_UNIT_ROUTE,
        component_id=before["business_unit"],
        actor=actor,
        reason=reason,
        before=before,
    )
    announce_config_change()
