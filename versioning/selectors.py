"""Reads for versions and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from audit.models import AuditAction, AuditRecord
from versioning.models import ComponentVersion, VersionStatus


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
