"""Reads for versions and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, connections, router
from django.db.models import Q, QuerySet

from audit.models import AuditAction, AuditRecord
from versioning.models import (
    OPEN_PROMOTION_STATES,
    ComponentVersion,
    EnvironmentRelease,
    PromotionRequest,
    Rollout,
    RolloutState,
    ScheduledRelease,
    ScheduleState,
    VersionStatus,
)


@dataclass
class ComponentStatus:
    published: ComponentVersion | None
    draft: ComponentVersion | None

    @property
    def has_unpublished_changes(self) -> bool:
        return self.draft is not None and (
            self.published is None or self.draft.content_hash != self.published.content_hash
        )


def component_status(component_type: str, component_id: str) -> ComponentStatus:
    """The published version and the open draft of one component (one query)."""
    rows = ComponentVersion.objects.filter(
        component_type=component_type,
        component_id=component_id,
        status__in=[VersionStatus.PUBLISHED, VersionStatus.DRAFT],
    )
    published = draft = None
    for row in rows:
        if row.status == VersionStatus.PUBLISHED:
            published = row
        else:
            draft = row
    return ComponentStatus(published=published, draft=draft)


def component_statuses(component_type: str, component_ids) -> dict[str, ComponentStatus]:
    """``component_status`` for many components in one query (for changelists)."""
    result = {cid: ComponentStatus(None, None) for cid in component_ids}
    rows = ComponentVersion.objects.filter(
        component_type=component_type,
        component_id__in=list(result),
        status__in=[VersionStatus.PUBLISHED, VersionStatus.DRAFT],
    ).only("component_id", "status", "version", "content_hash", "review_state", "published_at")
    for row in rows:
        status = result[row.component_id]
        if row.status == VersionStatus.PUBLISHED:
            status.published = row
        else:
            status.draft = row
    return result


def component_versions(component_type: str, component_id: str) -> QuerySet[ComponentVersion]:
    return ComponentVersion.objects.filter(component_type=component_type, component_id=component_id).order_by(
        "-version"
    )


def component_version(component_type: str, component_id: str, version: int) -> ComponentVersion | None:
    return component_versions(component_type, component_id).filter(version=version).first()


def component_history(component_type: str, component_id: str) -> QuerySet[AuditRecord]:
    return AuditRecord.objects.filter(subject_type=component_type, subject_id=component_id).order_by(
        "-created_at", "-id"
    )


def published_version(component_type: str, component_id: str) -> ComponentVersion | None:
    return ComponentVersion.objects.filter(
        component_type=component_type, component_id=component_id, status=VersionStatus.PUBLISHED
    ).first()


def last_editor(component_type: str, component_id: str) -> str | None:
    """Who changed the component last, per the audit trail."""
    return (
        AuditRecord.objects.filter(subject_type=component_type, subject_id=component_id)
        .order_by("-created_at", "-id")
        .values_list("actor_name", flat=True)
        .first()
    )


def draft_authors(draft) -> tuple[set[int], set[str]]:
    """Everyone who wrote into ``draft`` at any point: its creator, its last editor and every actor of a
    "draft saved" audit row for its version (ids of users, and names for actors without a user)."""
    rows = AuditRecord.objects.filter(
        subject_type=draft.component_type,
        subject_id=draft.component_id,
        action=AuditAction.DRAFT_SAVED,
        to_version=draft.version,
    ).values_list("actor_id", "actor_name")
    ids = {draft.created_by_id, draft.edited_by_id}
    names = {draft.created_by_name, draft.edited_by_name}
    for actor_id, actor_name in rows:
        ids.add(actor_id)
        names.add(actor_name)
    return ids - {None}, names - {None, ""}


# --- Environments ------------------------------------------------------------------------------------


def environments() -> list[str]:
    """The release pipeline, in order (``HIVE_ENVIRONMENTS``)."""
    return list(settings.HIVE_ENVIRONMENTS)


def is_first_environment(environment: str) -> bool:
    return environment == settings.HIVE_ENVIRONMENTS[0]


def live_versions(component_type: str, environment: str, component_ids=None) -> QuerySet[ComponentVersion]:
    """The versions ``environment`` serves for components of one type (all, or those in ``component_ids``):
    the published ones in the first environment, the released ones in later environments."""
    if is_first_environment(environment):
        qs = ComponentVersion.objects.filter(component_type=component_type, status=VersionStatus.PUBLISHED)
    else:
        qs = ComponentVersion.objects.filter(
            component_type=component_type,
            releases__environment=environment,
            releases__component_type=component_type,
        )
    if component_ids is not None:
        qs = qs.filter(component_id__in=list(component_ids))
    return qs


def live_version(component_type: str, component_id: str, environment: str) -> ComponentVersion | None:
    return live_versions(component_type, environment, [component_id]).first()


def environment_versions(component_type: str, component_id: str) -> dict[str, ComponentVersion | None]:
    """Each environment's live version of one component, in pipeline order (two queries)."""
    names = environments()
    result: dict[str, ComponentVersion | None] = dict.fromkeys(names)
    result[names[0]] = published_version(component_type, component_id)
    releases = EnvironmentRelease.objects.filter(
        component_type=component_type, component_id=component_id, environment__in=names[1:]
    ).select_related("version")
    for release in releases:
        result[release.environment] = release.version
    return result


def open_promotion(component_type: str, component_id: str, environment: str) -> PromotionRequest | None:
    return (
        PromotionRequest.objects.filter(
            component_type=component_type,
            component_id=component_id,
            environment=environment,
            state__in=OPEN_PROMOTION_STATES,
        )
        .select_related("version")
        .first()
    )


# The audit actions that change what an environment serves, and those that change it everywhere.
_RELEASE_ACTIONS = (AuditAction.PUBLISHED, AuditAction.ROLLED_BACK, AuditAction.PROMOTED)
_PRESENCE_ACTIONS = (AuditAction.DELETED, AuditAction.ACTIVATED, AuditAction.DEACTIVATED)
_ROLLOUT_ACTIONS = (AuditAction.ROLLOUT_STARTED, AuditAction.ROLLOUT_ABORTED, AuditAction.ROLLOUT_COMPLETED)


@dataclass(frozen=True)
class LiveAt:
    component_type: str
    component_id: str
    version: int
    since: datetime
    by: str
    reason: str
    active: bool
    content_hash: str = ""
    version_id: int | None = None  # the ComponentVersion row (None if it is gone)
    rollout_version: int | None = None  # a rollout running then: its candidate …
    rollout_percent: int | None = None  # … and the share of sessions that got it


def live_at(environment: str, at: datetime) -> list[LiveAt]:
    """What ``environment`` served at ``at``, from the audit trail alone: per component the last release
    step into that environment before ``at``, unless the component was deleted after it; ``active`` says
    whether it was deactivated at the time (the runtime then served nothing). Each part is one index-only
    scan (``audit`` 0003's partial indexes) and a fetch by primary key of the rows it found."""
    environments_filter = [Q(environment=environment)]
    if is_first_environment(environment):  # rows written before environments existed have none
        environments_filter.append(Q(environment__isnull=True))
    newest: dict[tuple[str, str], tuple] = {}
    for condition in environments_filter:
        rows = AuditRecord.objects.filter(condition, action__in=_RELEASE_ACTIONS, created_at__lte=at)
        for row in _last_per_component(rows, "created_at", "id"):
            key = (row["subject_type"], row["subject_id"])
            if key not in newest or (row["created_at"], row["id"]) > newest[key]:
                newest[key] = (row["created_at"], row["id"])
    presence = {
        (row["subject_type"], row["subject_id"]): (row["action"], row["created_at"])
        for row in _last_per_component(
            AuditRecord.objects.filter(action__in=_PRESENCE_ACTIONS, created_at__lte=at), "action", "created_at"
        )
    }
    # The newest rollout step per component in this environment: a start not yet ended was running at ``at``.
    rollouts = {
        (row["subject_type"], row["subject_id"]): row["id"]
        for row in _last_per_component(
            AuditRecord.objects.filter(environment=environment, action__in=_ROLLOUT_ACTIONS, created_at__lte=at),
            "action",
            "id",
        )
        if row["action"] == AuditAction.ROLLOUT_STARTED
    }
    running = {
        (row["subject_type"], row["subject_id"]): (row["to_version"], (row["after"] or {}).get("percent"))
        for row in AuditRecord.objects.filter(pk__in=list(rollouts.values())).values(
            "subject_type", "subject_id", "to_version", "after"
        )
    }
    steps = AuditRecord.objects.filter(pk__in=[pk for _, pk in newest.values()]).values(
        "subject_type", "subject_id", "to_version", "created_at", "actor_name", "reason"
    )
    found = []
    for step in steps:
        key = (step["subject_type"], step["subject_id"])
        action, when = presence.get(key, (None, None))
        if action == AuditAction.DELETED and when is not None and when >= step["created_at"]:
            continue
        number = step["to_version"]
        if number is None:  # every release step names the version it made live
            continue
        found.append(
            LiveAt(
                component_type=step["subject_type"],
                component_id=step["subject_id"],
                version=number,
                since=step["created_at"],
                by=step["actor_name"],
                reason=step["reason"],
                active=action != AuditAction.DEACTIVATED,
            )
        )
    found.sort(key=lambda x: (x.component_type, x.component_id))
    version_rows = _version_rows([(x.component_type, x.component_id, x.version) for x in found])
    result = []
    for x in found:
        content_hash, pk = version_rows.get((x.component_type, x.component_id, x.version), ("", None))
        candidate, percent = running.get((x.component_type, x.component_id), (None, None))
        result.append(
            LiveAt(
                **{
                    **x.__dict__,
                    "content_hash": content_hash,
                    "version_id": pk,
                    "rollout_version": candidate,
                    "rollout_percent": percent,
                }
            )
        )
    return result


def _version_rows(keys: list[tuple[str, str, int]]) -> dict[tuple[str, str, int], tuple[str, int]]:
    """(content hash, primary key) of each (type, id, version): one join on PostgreSQL, a superset read
    elsewhere."""
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        table = ComponentVersion._meta.db_table
        # Where the ORM's reads of the page go (a read replica for the history pages that allow one).
        with connections[router.db_for_read(ComponentVersion)].cursor() as cursor:
            cursor.execute(
                f"SELECT v.component_type, v.component_id, v.version, v.content_hash, v.id FROM {table} v "
                "JOIN unnest(%s::text[], %s::text[], %s::int[]) AS k(t, i, n) "
                "ON v.component_type = k.t AND v.component_id = k.i AND v.version = k.n",
                [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]],
            )
            rows = cursor.fetchall()
    else:
        rows = list(
            ComponentVersion.objects.filter(
                component_id__in={k[1] for k in keys}, version__in={k[2] for k in keys}
            ).values_list("component_type", "component_id", "version", "content_hash", "pk")
        )
    return {(row[0], row[1], row[2]): (row[3], row[4]) for row in rows}


def _last_per_component(rows: QuerySet[AuditRecord], *fields: str) -> list[dict]:
    """The newest of ``rows`` per component: DISTINCT ON in PostgreSQL (one index scan); the SQLite
    fallback, which lacks it, keeps the first row per component in Python."""
    ordered = rows.order_by("subject_type", "subject_id", "-created_at", "-id")
    values = ("subject_type", "subject_id", *fields)
    if connection.features.can_distinct_on_fields:
        return list(ordered.distinct("subject_type", "subject_id").values(*values))
    newest: dict[tuple[str, str], dict] = {}
    for row in ordered.values(*values):
        newest.setdefault((row["subject_type"], row["subject_id"]), row)
    return list(newest.values())


def running_rollouts(environment: str | None = None) -> QuerySet[Rollout]:
    qs = Rollout.objects.filter(state=RolloutState.RUNNING).select_related("baseline", "candidate")
    return qs.filter(environment=environment) if environment is not None else qs


def running_rollout(component_type: str, component_id: str, environment: str) -> Rollout | None:
    return running_rollouts(environment).filter(component_type=component_type, component_id=component_id).first()


def component_running_rollouts(component_type: str, component_id: str) -> dict[str, Rollout]:
    """The running rollout of one component in each environment that has one (one query)."""
    rollouts = running_rollouts().filter(component_type=component_type, component_id=component_id)
    return {rollout.environment: rollout for rollout in rollouts.defer("baseline__config", "candidate__config")}


def upcoming_schedules(component_type: str, component_id: str) -> QuerySet[ScheduledRelease]:
    """The release steps still to run for one component, soonest first."""
    return (
        ScheduledRelease.objects.filter(
            component_type=component_type, component_id=component_id, state=ScheduleState.SCHEDULED
        )
        .select_related("version")
        .defer("version__config")
        .order_by("run_at", "id")
    )


@dataclass(frozen=True)
class EnvironmentState:
    """What one environment serves of one component, for the admin's status panel."""

    environment: str
    source: str | None  # the environment it is promoted from (None: the first, which is published to)
    version: ComponentVersion | None
    since: datetime | None
    by: str
    request: PromotionRequest | None  # the open promotion request into this environment

    @property
    def is_first(self) -> bool:
        return self.source is None


def environment_states(component_type: str, component_id: str) -> list[EnvironmentState]:
    """Per environment, in pipeline order: the version it serves, since when and by whom, and the open
    promotion request into it (three queries)."""
    names = environments()
    published = published_version(component_type, component_id)
    releases = {
        r.environment: r
        for r in EnvironmentRelease.objects.filter(
            component_type=component_type, component_id=component_id, environment__in=names[1:]
        ).select_related("version")
    }
    requests = {
        r.environment: r
        for r in PromotionRequest.objects.filter(
            component_type=component_type, component_id=component_id, state__in=OPEN_PROMOTION_STATES
        ).select_related("version")
    }
    states = [
        EnvironmentState(
            environment=names[0],
            source=None,
            version=published,
            since=published.published_at if published else None,
            by=published.published_by_name if published else "",
            request=None,
        )
    ]
    for previous, name in zip(names, names[1:], strict=False):
        release = releases.get(name)
        states.append(
            EnvironmentState(
                environment=name,
                source=previous,
                version=release.version if release else None,
                since=release.released_at if release else None,
                by=release.released_by_name if release else "",
                request=requests.get(name),
            )
        )
    return states


def environment_served(component_type: str, component_id: str, environment: str) -> list[int]:
    """The version numbers a later environment has served of one component (promoted or rolled back to
    there), newest first: what ``environment_rollback`` may go back to."""
    numbers = (
        AuditRecord.objects.filter(
            subject_type=component_type,
            subject_id=component_id,
            environment=environment,
            action__in=(AuditAction.PROMOTED, AuditAction.ROLLED_BACK),
            to_version__isnull=False,
        )
        .values_list("to_version", flat=True)
        .distinct()
    )
    return sorted({n for n in numbers if n is not None}, reverse=True)
