"""What the admin's home page shows a person (``hive_portal.admin_site``): the drafts they edited, the drafts waiting
for their review, scheduled releases and running rollouts, the last publishes, and the agents whose figures moved
against the week before. Reads only; each section is empty for someone without the permission to see it.

The composition root reads across apps here (versioning, audit, monitoring), as nothing below it may.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from audit.models import AuditAction, AuditRecord
from monitoring import rollups
from monitoring.selectors import Period, agent_overview
from versioning import services as versioning_services
from versioning.components import get_kind
from versioning.models import (
    ComponentVersion,
    ReviewState,
    Rollout,
    RolloutState,
    ScheduledRelease,
    ScheduleState,
    VersionStatus,
)

LIMIT = 10
# An agent "moved" when, with enough traffic both weeks, its success rate changed by this many points or its
# (estimated) p95 response time by this share.
MIN_REQUESTS = 20
SUCCESS_POINTS = 2.0
P95_CHANGE = 0.2


@dataclass(frozen=True)
class DraftRow:
    version: ComponentVersion
    url: str  # its publish/review page, or its change page


def _rows(versions, view: str) -> list[DraftRow]:
    """The drafts with their component's admin page ``view`` ("change", "publish"; "" when the component is gone
    or unknown): one query per component kind, not one per draft."""
    versions = list(versions)
    wanted: dict[str, set[str]] = {}
    for version in versions:
        wanted.setdefault(version.component_type, set()).add(version.component_id)
    urls: dict[tuple[str, str], str] = {}
    for component_type, ids in wanted.items():
        try:
            kind = get_kind(component_type)
        except LookupError:
            continue
        opts = kind.model._meta
        pks = kind.model._default_manager.filter(**{f"{kind.id_field}__in": ids}).values_list(kind.id_field, "pk")
        for component_id, pk in pks:
            try:
                urls[component_type, component_id] = reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[pk]
                )
            except NoReverseMatch:
                pass
    return [DraftRow(v, urls.get((v.component_type, v.component_id), "")) for v in versions]


def _drafts() -> Any:
    return ComponentVersion.objects.filter(status=VersionStatus.DRAFT)


def _edited_by(user) -> Q:
    """Drafts ``user`` wrote into: created, saved last, or saved at any point (a "draft saved" audit row)."""
    saved = AuditRecord.objects.filter(
        subject_type=OuterRef("component_type"),
        subject_id=OuterRef("component_id"),
        to_version=OuterRef("version"),
        action=AuditAction.DRAFT_SAVED,
        actor=user,
    )
    return Q(created_by=user) | Q(edited_by=user) | Q(Exists(saved))


def my_drafts(user) -> list[DraftRow]:
    """Open drafts the user edited, most recently changed first."""
    if not user.has_perm("versioning.view_componentversion"):
        return []
    return _rows(_drafts().filter(_edited_by(user)).order_by("-updated_at")[:LIMIT], "change")


def drafts_to_review(user) -> list[DraftRow]:
    """Drafts submitted for review that the user may review: they hold the review permission and did not edit
    the draft (four eyes), oldest request first."""
    if not user.has_perm(versioning_services.REVIEW_PERMISSION):
        return []
    rows = _drafts().filter(review_state=ReviewState.SUBMITTED).exclude(_edited_by(user)).order_by("updated_at")
    return _rows(rows[:LIMIT], "publish")


def releases_under_way(user) -> dict[str, list]:
    """Scheduled releases still to run, soonest first, and running rollouts."""
    if not user.has_perm("versioning.view_componentversion"):
        return {"scheduled": [], "rollouts": []}
    scheduled = list(
        ScheduledRelease.objects.filter(state=ScheduleState.SCHEDULED)
        .select_related("version")
        .order_by("run_at")[:LIMIT]
    )
    running = list(
        Rollout.objects.filter(state=RolloutState.RUNNING).select_related("candidate").order_by("started_at")
    )
    return {"scheduled": scheduled, "rollouts": running[:LIMIT]}


def last_publishes(user) -> list[AuditRecord]:
    """The last publishes and rollbacks: what, who and why."""
    if not user.has_perm("audit.view_auditrecord"):
        return []
    return list(
        AuditRecord.objects.filter(action__in=[AuditAction.PUBLISHED, AuditAction.ROLLED_BACK]).order_by(
            "-created_at", "-id"
        )[:LIMIT]
    )


@dataclass(frozen=True)
class Movement:
    agent_id: str
    this_week: dict[str, Any]
    last_week: dict[str, Any]
    success_points: float | None  # this week's success rate minus last week's, in points
    p95_change: float | None  # relative change of the p95 response time


def moved_agents(user, *, now: datetime | None = None) -> list[Movement]:
    """Agents whose success rate or p95 response time moved against the previous week (the last 7 whole UTC days
    against the 7 before them, from the daily rollups), the largest move first."""
    if not user.has_perm("monitoring.view_agentmetric"):
        return []
    today = rollups.day_of(now or timezone.now())
    tz = timezone.get_current_timezone()
    this = agent_overview(period=Period(start=today - timedelta(days=7), end=today, granularity="day", tz=tz))
    last = agent_overview(
        period=Period(start=today - timedelta(days=14), end=today - timedelta(days=7), granularity="day", tz=tz)
    )
    before = {row["agent_id"]: row for row in last}
    moved = []
    for row in this:
        old = before.get(row["agent_id"])
        if old is None or row["requests"] < MIN_REQUESTS or old["requests"] < MIN_REQUESTS:
            continue
        points = (row["success_rate"] - old["success_rate"]) * 100
        p95 = (row["p95_ms"] / old["p95_ms"] - 1) if row["p95_ms"] is not None and old["p95_ms"] else None
        if abs(points) >= SUCCESS_POINTS or (p95 is not None and abs(p95) >= P95_CHANGE):
            moved.append(Movement(row["agent_id"], row, old, points, p95))
    moved.sort(key=lambda m: -max(abs(m.success_points or 0) / SUCCESS_POINTS, abs(m.p95_change or 0) / P95_CHANGE))
    return moved[:LIMIT]


def overview(user) -> dict[str, Any]:
    return {
        "my_drafts": my_drafts(user),
        "to_review": drafts_to_review(user),
        "releases": releases_under_way(user),
        "publishes": last_publishes(user),
        "moved": moved_agents(user),
    }
