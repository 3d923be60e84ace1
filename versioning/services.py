"""The versioning workflow: drafts, review, publish, rollback, activation, deletion.

Every entry point (admin, API, management commands) calls these functions. Each runs in one
transaction, locks the component's working-copy row first (so two publishers serialise), writes its
audit rows in the same transaction, and moves the runtime's config generation when what the runtime
sees changes.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import actor_parts, audit_record, json_diff
from common.batches import batch
from common.hashing import canonical_hash
from versioning.components import ComponentKind, check_deactivate, check_delete
from versioning.gates import GateCheck, run_gates
from versioning.models import (
    OPEN_PROMOTION_STATES,
    ComponentVersion,
    EnvironmentRelease,
    PromotionRequest,
    PromotionState,
    ReviewState,
    Rollout,
    RolloutState,
    VersionStatus,
    first_environment,
)
from versioning.signals import announce_config_change, announce_release, announce_review

PUBLISH_PERMISSION = "versioning.publish_component"
REVIEW_PERMISSION = "versioning.review_component"


class ConcurrentEditError(ValidationError):
    """Someone saved the component after the editor opened it. Carries what changed meanwhile."""

    def __init__(self, *, label: str, changes: dict, saved_by: str | None):
        self.changes = changes
        self.saved_by = saved_by
        if saved_by:
            message = _(
                "%(label)s was changed by %(user)s after you opened it; your changes were not saved. "
                "Review what changed meanwhile, then apply your edits again."
            )
        else:
            message = _(
                "%(label)s was changed after you opened it; your changes were not saved. "
                "Review what changed meanwhile, then apply your edits again."
            )
        super().__init__(message, code="concurrent_edit", params={"label": label, "user": saved_by or ""})


def check_revision(*, kind: ComponentKind, current, expected_revision: int | None, base_snapshot: dict | None) -> None:
    """Refuse a save that started from an older revision of ``current`` (a locked working copy), with what
    changed since ``base_snapshot`` and who saved last (no lost updates)."""
    if expected_revision is None or current.revision == expected_revision:
        return
    from versioning.selectors import last_editor

    changes = json_diff(base_snapshot, kind.snapshot(current)) if base_snapshot is not None else {}
    raise ConcurrentEditError(
        label=str(current), changes=changes, saved_by=last_editor(kind.type, kind.component_id(current))
    )


def _in_batch(func):
    """Run ``func`` as one audit batch: a release and whatever it releases with it share one batch id."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with batch():
            return func(*args, **kwargs)

    return wrapper


def _require_permission(actor, permission: str, refusal: str) -> None:
    """Users need the permission; the system (commands, None) and plain names are trusted callers. ``refusal``:
    the whole sentence, translated by the caller ("You do not have permission to …")."""
    user, _name = actor_parts(actor)
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(refusal)


def _versions(kind: ComponentKind, component_id: str):
    return ComponentVersion.objects.filter(component_type=kind.type, component_id=component_id)


def _next_number(kind: ComponentKind, component_id: str) -> int:
    # Callers hold the working-copy row lock, so no one else numbers this component meanwhile.
    current = _versions(kind, component_id).aggregate(m=Max("version"))["m"]
    return (current or 0) + 1


def _set_label(kind: ComponentKind, obj, number: int | None) -> None:
    obj.version = f"v{number}" if number else ""
    type(obj).objects.filter(pk=obj.pk).update(version=obj.version)


def _new_version(
    kind: ComponentKind,
    component_id: str,
    *,
    config: dict,
    digest: str,
    status: str,
    note: str,
    base,
    actor: Any,
    **fields,
) -> ComponentVersion:
    """Number, validate and save a new version of the component (callers hold its working-copy lock); a published
    one records who published it, now."""
    user, name = actor_parts(actor)
    if status == VersionStatus.PUBLISHED:
        fields.update(published_by=user, published_by_name=name, published_at=timezone.now())
    version = ComponentVersion(
        component_type=kind.type, component_id=component_id, version=_next_number(kind, component_id),
        config=config, content_hash=digest, status=status, change_note=note,
        base_version=base.version if base is not None else None,
        created_by=user, created_by_name=name, edited_by=user, edited_by_name=name, **fields,
    )  # fmt: skip
    version.full_clean()
    version.save()
    return version


def _withdraw_review(draft: ComponentVersion) -> None:
    """What was reviewed is no longer what the draft holds."""
    if draft.review_state in (ReviewState.SUBMITTED, ReviewState.APPROVED):
        draft.review_state = ReviewState.NONE
        draft.reviewed_by = None
        draft.reviewed_at = None


@transaction.atomic
def draft_save(*, kind: ComponentKind, obj, actor: Any, note: str) -> ComponentVersion | None:
    """Snapshot ``obj``'s working copy into its open draft, creating the draft if needed.

    Returns the draft, or None when there is no draft and the working copy equals what is published.
    Saving an approved or submitted draft clears its review: what was reviewed is no longer what is there.
    """
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            {"change_note": ValidationError(_("Say why: a change note is required."), code="note_required")}
        )
    component_id = kind.component_id(obj)
    config = kind.snapshot(obj)
    digest = canonical_hash(config)
    user, name = actor_parts(actor)
    versions = _versions(kind, component_id)
    draft = versions.select_for_update().filter(status=VersionStatus.DRAFT).first()
    published = versions.filter(status=VersionStatus.PUBLISHED).first()

    if draft is None:
        if published is not None and published.content_hash == digest:
            return None
        draft = _new_version(
            kind, component_id, config=config, digest=digest, status=VersionStatus.DRAFT, note=note, base=published,
            actor=actor,
        )  # fmt: skip
        before = published.config if published else {}
    else:
        if draft.content_hash == digest and draft.change_note == note:
            return draft
        before = draft.config
        draft.config = config
        draft.content_hash = digest
        draft.change_note = note
        draft.edited_by = user
        draft.edited_by_name = name
        _withdraw_review(draft)
        draft.full_clean()
        draft.save()
    audit_record(
        action=AuditAction.DRAFT_SAVED,
        subject_type=kind.type,
        subject_id=component_id,
        actor=actor,
        reason=note,
        diff=json_diff(before, config),
        from_version=draft.base_version,
        to_version=draft.version,
        keep_snapshots=False,
    )
    return draft


def _open_draft(kind: ComponentKind, component_id: str) -> ComponentVersion:
    draft = _versions(kind, component_id).select_for_update().filter(status=VersionStatus.DRAFT).first()
    if draft is None:
        raise ValidationError(_("There is no draft: edit the component first."), code="no_draft")
    return draft


@transaction.atomic
def draft_submit(*, kind: ComponentKind, component_id: str, actor: Any, note: str = "") -> ComponentVersion:
    kind.get_locked(component_id)
    draft = _open_draft(kind, component_id)
    if draft.review_state == ReviewState.SUBMITTED:
        return draft
    draft.review_state = ReviewState.SUBMITTED
    draft.review_comment = ""
    draft.save(update_fields=["review_state", "review_comment", "updated_at"])
    audit_record(
        action=AuditAction.SUBMITTED,
        subject_type=kind.type,
        subject_id=component_id,
        actor=actor,
        reason=note,
        to_version=draft.version,
    )
    _announce_review("draft.submitted", draft=draft, actor=actor, reason=note)
    return draft


def _announce_review(event: str, *, draft: ComponentVersion, actor: Any, reason: str) -> None:
    user, name = actor_parts(actor)
    payload = {
        "component_type": draft.component_type,
        "component_id": draft.component_id,
        "version": draft.version,
        "actor": name,
        "reason": reason,
        "at": timezone.now().isoformat(),
    }
    announce_review(event, payload, actor_id=user.pk if user is not None else None)


def _check_four_eyes(draft: ComponentVersion, actor: Any) -> None:
    """Whoever edited the draft at any point, not only its creator and last editor, may not review it."""
    from versioning.selectors import draft_authors

    user, name = actor_parts(actor)
    author_ids, author_names = draft_authors(draft)
    if (user is not None and user.pk in author_ids) or (user is None and name in author_names):
        raise PermissionDenied(_("Someone who has not edited this draft must review it; you edited it."))


def _review(*, kind: ComponentKind, component_id: str, actor: Any, state: str, comment: str, action: str):
    kind.get_locked(component_id)
    draft = _open_draft(kind, component_id)
    _check_four_eyes(draft, actor)
    user, _name = actor_parts(actor)
    draft.review_state = state
    draft.reviewed_by = user
    draft.reviewed_at = timezone.now()
    draft.review_comment = comment
    draft.save(update_fields=["review_state", "reviewed_by", "reviewed_at", "review_comment", "updated_at"])
    audit_record(
        action=action, subject_type=kind.type, subject_id=component_id, actor=actor, reason=comment,
        to_version=draft.version,
    )  # fmt: skip
    _announce_review(
        "draft.approved" if state == ReviewState.APPROVED else "draft.rejected",
        draft=draft,
        actor=actor,
        reason=comment,
    )
    return draft


@transaction.atomic
def draft_approve(*, kind: ComponentKind, component_id: str, actor: Any, note: str = "") -> ComponentVersion:
    """Approve someone else's draft (four eyes): it may then be published."""
    _require_permission(actor, REVIEW_PERMISSION, _("You do not have permission to approve drafts."))
    return _review(
        kind=kind, component_id=component_id, actor=actor, state=ReviewState.APPROVED, comment=(note or "").strip(),
        action=AuditAction.APPROVED,
    )  # fmt: skip


@transaction.atomic
def draft_reject(*, kind: ComponentKind, component_id: str, actor: Any, reason: str) -> ComponentVersion:
    """Send a draft back to its authors with what must change."""
    _require_permission(actor, REVIEW_PERMISSION, _("You do not have permission to reject drafts."))
    if not (reason or "").strip():
        raise ValidationError(
            {
                "reason": ValidationError(
                    _("Say what must change: a reason is required to reject."), code="reason_required"
                )
            }
        )
    return _review(
        kind=kind, component_id=component_id, actor=actor, state=ReviewState.REJECTED, comment=reason.strip(),
        action=AuditAction.REJECTED,
    )  # fmt: skip


@transaction.atomic
def draft_discard(*, kind: ComponentKind, component_id: str, actor: Any, reason: str = "") -> ComponentVersion:
    """Throw the open draft away: it is archived (kept in the history) and the working copy goes back
    to the published configuration."""
    opts = kind.model._meta
    _require_permission(
        actor, f"{opts.app_label}.change_{opts.model_name}", _("You do not have permission to discard drafts.")
    )
    obj = kind.get_locked(component_id)
    draft = _open_draft(kind, component_id)
    published = _versions(kind, component_id).filter(status=VersionStatus.PUBLISHED).first()
    if published is None:
        raise ValidationError(
            _("This component was never published, so there is nothing to go back to; delete it instead."),
            code="never_published",
        )
    _archive(draft, kind=kind, actor=actor, reason=reason or "Draft discarded")
    kind.restore(obj, published.config)
    obj.revision += 1
    obj.full_clean()
    obj.save()
    return draft


def _archive(version: ComponentVersion, *, kind: ComponentKind, actor: Any, reason: str) -> None:
    version.status = VersionStatus.ARCHIVED
    version.save(update_fields=["status", "updated_at"])
    audit_record(
        action=AuditAction.ARCHIVED,
        subject_type=kind.type,
        subject_id=version.component_id,
        actor=actor,
        reason=reason,
        from_version=version.version,
    )


def _went_live(
    action: str,
    *,
    kind,
    actor,
    reason: str,
    before: ComponentVersion | None,
    after: ComponentVersion,
    discarded: ComponentVersion | None = None,
    move_generation: bool = True,
):
    """Record what the runtime now sees instead of what it saw, and tell every worker (and whoever listens for
    releases: ``discarded`` is the open draft a rollback archived). ``move_generation=False``: the step that
    carries this one, in the same transaction, moved the runtime's config generation already."""
    audit_record(
        action=action,
        subject_type=kind.type,
        subject_id=after.component_id,
        actor=actor,
        reason=reason,
        diff=json_diff(before.config if before else {}, after.config),
        from_version=before.version if before else None,
        to_version=after.version,
        keep_snapshots=False,
        environment=first_environment(),
    )
    if move_generation:
        announce_config_change()
    user, _name = actor_parts(actor)
    announce_release(
        "component.published" if action == AuditAction.PUBLISHED else "component.rolled_back",
        release_payload(kind=kind, version=after, previous=before, actor=actor, reason=reason),
        actor_id=user.pk if user is not None else None,
        discarded_version=discarded.version if discarded is not None else None,
    )


def release_payload(
    *, kind: ComponentKind, version: ComponentVersion, previous, actor: Any, reason: str, environment=None
) -> dict:
    """What a release event says: the component, the environment, the version and the one it replaced."""
    _user, name = actor_parts(actor)
    return {
        "component_type": kind.type,
        "component_id": version.component_id,
        "environment": environment or first_environment(),
        "version": version.version,
        "content_hash": version.content_hash,
        "previous_version": previous.version if previous is not None else None,
        "actor": name,
        "reason": reason,
        "at": timezone.now().isoformat(),
    }


@transaction.atomic
@_in_batch
def component_publish(
    *, kind: ComponentKind, component_id: str, actor: Any, note: str = "", override: str = ""
) -> ComponentVersion:
    """Make the open draft the published version and archive the previous one, atomically. The release gates
    (``versioning.gates``) run last; ``override`` is the reason given to override a gate's refusal."""
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to publish."))
    obj = kind.get_locked(component_id)
    draft = _open_draft(kind, component_id)
    published = _versions(kind, component_id).select_for_update().filter(status=VersionStatus.PUBLISHED).first()
    if published is not None and published.content_hash == draft.content_hash:
        raise ValidationError(
            _("Nothing to publish: the draft is identical to the published %(version)s."),
            code="nothing_to_publish",
            params={"version": published.label},
        )
    if settings.HIVE_REQUIRE_REVIEW and draft.review_state != ReviewState.APPROVED:
        raise ValidationError(
            _("This draft needs approval by another publisher before it can be published."), code="needs_approval"
        )
    kind.validate_live(obj, draft.config)
    note = (note or "").strip() or draft.change_note
    run_gates(
        GateCheck(
            action="publish",
            kind=kind,
            component_id=component_id,
            candidate=draft,
            baseline=published,
            environment=first_environment(),
            actor=actor,
            override=(override or "").strip(),
        )  # fmt: skip
    )
    if published is not None:
        _archive(published, kind=kind, actor=actor, reason=f"Replaced by v{draft.version}")
    user, name = actor_parts(actor)
    draft.status = VersionStatus.PUBLISHED
    draft.published_by = user
    draft.published_by_name = name
    draft.published_at = timezone.now()
    draft.save(update_fields=["status", "published_by", "published_by_name", "published_at", "updated_at"])
    _set_label(kind, obj, draft.version)
    _went_live(AuditAction.PUBLISHED, kind=kind, actor=actor, reason=note, before=published, after=draft)
    kind.went_live(obj, draft, actor=actor, note=note, override=(override or "").strip())
    return draft


@transaction.atomic
def component_republish(
    *,
    kind: ComponentKind,
    component_id: str,
    config: dict,
    actor: Any,
    note: str,
    override: str = "",
    generation_moved: bool = False,
) -> ComponentVersion | None:
    """Publish ``config`` as the component's new version at once, without a draft or a review of its own: what a
    component picks up when something it includes was reviewed and released (a prompt fragment). Its rules and
    the release gates still apply; an open draft stays open. Returns None when ``config`` is what is live.
    ``generation_moved``: the caller's transaction moved the runtime's config generation already (a fragment's
    publish releasing its dependents: the runtime sees them all change at one generation)."""
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to publish."))
    obj = kind.get_locked(component_id)
    versions = _versions(kind, component_id).select_for_update()
    published = versions.filter(status=VersionStatus.PUBLISHED).first()
    digest = canonical_hash(config)
    if published is not None and published.content_hash == digest:
        return None
    kind.validate_live(obj, config)
    if published is not None:
        _archive(published, kind=kind, actor=actor, reason=note)
    new = _new_version(
        kind, component_id, config=config, digest=digest, status=VersionStatus.PUBLISHED, note=note, base=published,
        actor=actor,
    )  # fmt: skip
    run_gates(
        GateCheck(
            action="publish",
            kind=kind,
            component_id=component_id,
            candidate=new,
            baseline=published,
            environment=first_environment(),
            actor=actor,
            override=(override or "").strip(),
        )  # fmt: skip
    )
    _set_label(kind, obj, new.version)
    _went_live(
        AuditAction.PUBLISHED, kind=kind, actor=actor, reason=note, before=published, after=new,
        move_generation=not generation_moved,
    )  # fmt: skip
    return new


@transaction.atomic
def draft_refresh(*, kind: ComponentKind, component_id: str, config: dict, actor: Any, note: str):
    """Replace the open draft's configuration with ``config``: the same working copy, expanded again because
    something it includes was released. Its change note stays; a review given to the old text is withdrawn."""
    kind.get_locked(component_id)
    draft = _open_draft(kind, component_id)
    digest = canonical_hash(config)
    if draft.content_hash == digest:
        return draft
    before = draft.config
    draft.config = config
    draft.content_hash = digest
    _withdraw_review(draft)
    draft.full_clean()
    draft.save()
    audit_record(
        action=AuditAction.DRAFT_SAVED, subject_type=kind.type, subject_id=component_id, actor=actor, reason=note,
        diff=json_diff(before, config), from_version=draft.base_version, to_version=draft.version,
        keep_snapshots=False,
    )  # fmt: skip
    return draft


@transaction.atomic
@_in_batch
def component_rollback(
    *, kind: ComponentKind, component_id: str, to_version: int, actor: Any, note: str
) -> ComponentVersion:
    """Publish a new version whose configuration equals version ``to_version``'s; history is kept.

    The working copy is reset to that configuration too, and an open draft is archived (it stays in
    the history), so the next edit starts from what is live.
    """
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to roll back."))
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            {
                "change_note": ValidationError(
                    _("Say why: a change note is required to roll back."), code="note_required"
                )
            }
        )
    obj = kind.get_locked(component_id)
    versions = _versions(kind, component_id).select_for_update()
    target = versions.filter(version=to_version).first()
    if target is None:
        raise ValidationError(
            {
                "to_version": ValidationError(
                    _("%(component)s has no version %(version)s."),
                    code="unknown_version",
                    params={"component": component_id, "version": to_version},
                )
            }
        )
    if target.status == VersionStatus.DRAFT:
        raise ValidationError(
            {
                "to_version": ValidationError(
                    _("v%(version)s is a draft, not a version that was live."),
                    code="never_live",
                    params={"version": to_version},
                )
            }
        )
    if target.status == VersionStatus.ARCHIVED and target.published_at is None:
        raise ValidationError(
            {
                "to_version": ValidationError(
                    _("v%(version)s was a discarded draft and never live."),
                    code="never_live",
                    params={"version": to_version},
                )
            }
        )
    published = versions.filter(status=VersionStatus.PUBLISHED).first()
    if published is not None and published.content_hash == target.content_hash:
        raise ValidationError(
            {
                "to_version": ValidationError(
                    _("v%(version)s's configuration is already live (%(live)s)."),
                    code="already_live",
                    params={"version": to_version, "live": published.label},
                )
            }
        )
    kind.validate_live(obj, target.config)

    draft = versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        _archive(draft, kind=kind, actor=actor, reason=f"Draft discarded by the rollback to v{to_version}")
    if published is not None:
        _archive(published, kind=kind, actor=actor, reason=f"Rolled back to v{to_version}")
    new = _new_version(
        kind, component_id, config=target.config, digest=target.content_hash, status=VersionStatus.PUBLISHED,
        note=note, base=published, actor=actor, rolled_back_from=to_version,
    )  # fmt: skip
    kind.restore(obj, target.config)
    obj.revision += 1
    obj.version = new.label
    obj.full_clean()
    obj.save()
    _went_live(
        AuditAction.ROLLED_BACK, kind=kind, actor=actor, reason=note, before=published, after=new, discarded=draft
    )
    kind.went_live(obj, new, actor=actor, note=note, override="")
    return new


@transaction.atomic
def component_set_active(*, kind: ComponentKind, component_id: str, active: bool, actor: Any, reason: str = ""):
    """Activate or deactivate a component; the runtime stops (or starts) serving it at once."""
    _require_permission(
        actor, PUBLISH_PERMISSION, _("You do not have permission to activate or deactivate components.")
    )
    obj = kind.get_locked(component_id)
    if obj.is_active == active:
        return obj
    if not active:
        check_deactivate(kind, obj)
    obj.is_active = active
    obj.save(update_fields=["is_active", "updated_at"])
    audit_record(
        action=AuditAction.ACTIVATED if active else AuditAction.DEACTIVATED,
        subject_type=kind.type,
        subject_id=component_id,
        actor=actor,
        reason=reason,
    )
    announce_config_change()
    return obj


@transaction.atomic
def component_delete(*, kind: ComponentKind, component_id: str, actor: Any, reason: str = "") -> None:
    """Delete the working copy; its versions stay as history (archived), the audit trail records it."""
    obj = kind.get_locked(component_id)
    check_delete(kind, obj)
    snapshot = kind.snapshot(obj)
    for version in _versions(kind, component_id).select_for_update().exclude(status=VersionStatus.ARCHIVED):
        _archive(version, kind=kind, actor=actor, reason=f"{component_id} was deleted")
    # Every environment stops serving it (its versions stay, as history).
    EnvironmentRelease.objects.filter(component_type=kind.type, component_id=component_id).delete()
    PromotionRequest.objects.filter(
        component_type=kind.type, component_id=component_id, state__in=OPEN_PROMOTION_STATES
    ).update(state=PromotionState.CANCELLED, closed_at=timezone.now())
    Rollout.objects.filter(component_type=kind.type, component_id=component_id, state=RolloutState.RUNNING).update(
        state=RolloutState.ABORTED, ended_at=timezone.now(), end_reason=f"{component_id} was deleted"
    )
    try:
        obj.delete()
    except ProtectedError as exc:
        names = sorted({str(o) for o in exc.protected_objects})
        raise ValidationError(
            _("%(component)s is still used: %(users)s."),
            code="still_used",
            params={"component": component_id, "users": ", ".join(names)},
        ) from None
    audit_record(
        action=AuditAction.DELETED,
        subject_type=kind.type,
        subject_id=component_id,
        actor=actor,
        reason=reason,
        before=snapshot,
    )
    announce_config_change()


def record_created(*, kind: ComponentKind, obj, actor: Any, note: str) -> None:
    audit_record(
        action=AuditAction.CREATED,
        subject_type=kind.type,
        subject_id=kind.component_id(obj),
        actor=actor,
        reason=note,
        keep_snapshots=False,
    )
