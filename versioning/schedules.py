"""Scheduled publishing: approve now, go live at a time (publish a draft, promote a version, or end a
rollout), shown in the admin with who scheduled it, cancellable, run exactly once.

A schedule names the version and its content hash: the step fails (and says why) if, by then, the draft was
edited, the environment before moved on, or the rollout already ended — what goes live is what was
scheduled. The step runs with the scheduler's own permissions (a user who lost the publish permission
meanwhile cannot publish through an old schedule) and is audited as theirs, "scheduled".
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.models import AuditAction
from audit.services import actor_parts, audit_record
from versioning.components import get_kind
from versioning.models import (
    PromotionState,
    ReviewState,
    Rollout,
    RolloutState,
    ScheduledAction,
    ScheduledRelease,
    ScheduleState,
    first_environment,
)
from versioning.promotion import _candidate, component_promote
from versioning.rollouts import rollout_abort, rollout_complete
from versioning.selectors import component_status, open_promotion
from versioning.services import PUBLISH_PERMISSION, _require_permission, component_publish

logger = logging.getLogger(__name__)
MAX_AHEAD_DAYS = 366


def _stored_action(schedule: ScheduledRelease) -> str:
    """The step's name for the audit trail: stored, so in English whatever the requester's language."""
    with translation.override(None):
        return str(schedule.get_action_display()).lower()


def _check_time(run_at: datetime) -> datetime:
    if not isinstance(run_at, datetime) or timezone.is_naive(run_at):
        raise ValidationError(
            {"run_at": ValidationError(_("Give a date and time with a time zone."), code="naive_time")}
        )
    now = timezone.now()
    if run_at <= now:
        raise ValidationError(
            {"run_at": ValidationError(_("Choose a time in the future (or publish now)."), code="past_time")}
        )
    if (run_at - now).days > MAX_AHEAD_DAYS:
        raise ValidationError(
            {
                "run_at": ValidationError(
                    ngettext("At most %(days)d day ahead.", "At most %(days)d days ahead.", MAX_AHEAD_DAYS),
                    code="too_far_ahead",
                    params={"days": MAX_AHEAD_DAYS},
                )
            }
        )
    return run_at


def _enqueue(schedule: ScheduledRelease) -> None:
    from common.jobs import defer
    from versioning.tasks import run_scheduled_release

    defer(run_scheduled_release, schedule_at=schedule.run_at, schedule_id=schedule.pk)


def _create(*, actor: Any, note: str, **fields) -> ScheduledRelease:
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            {"note": ValidationError(_("Say why: a note is required to schedule."), code="note_required")}
        )
    user, name = actor_parts(actor)
    schedule = ScheduledRelease(note=note, scheduled_by=user, scheduled_by_name=name, **fields)
    schedule.full_clean()
    schedule.save()
    audit_record(
        action=AuditAction.SCHEDULED,
        subject_type=schedule.component_type,
        subject_id=schedule.component_id,
        actor=actor,
        reason=f"Scheduled for {schedule.run_at.isoformat()}: {_stored_action(schedule)} — {note}",
        to_version=schedule.version.version,
        environment=schedule.environment,
    )
    _enqueue(schedule)
    return schedule


@transaction.atomic
def schedule_publish(*, component_type: str, component_id: str, run_at: datetime, actor: Any, note: str):
    """Publish the open draft at ``run_at`` (approved first when review is required)."""
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to schedule publishing."))
    kind = get_kind(component_type)
    kind.get_locked(component_id)
    draft = component_status(component_type, component_id).draft
    if draft is None:
        raise ValidationError(_("There is no draft to schedule."), code="no_draft")
    if settings.HIVE_REQUIRE_REVIEW and draft.review_state != ReviewState.APPROVED:
        raise ValidationError(
            _("Have the draft approved first: a scheduled publish goes live without anyone there."),
            code="needs_approval",
        )
    return _create(
        actor=actor, note=note, action=ScheduledAction.PUBLISH, component_type=component_type,
        component_id=component_id, environment=first_environment(), version=draft, content_hash=draft.content_hash,
        run_at=_check_time(run_at),
    )  # fmt: skip


@transaction.atomic
def schedule_promote(
    *, component_type: str, component_id: str, environment: str, run_at: datetime, actor: Any, note: str
):
    """Promote the version the previous environment serves now to ``environment`` at ``run_at``."""
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to schedule promotions."))
    kind = get_kind(component_type)
    kind.get_locked(component_id)
    version = _candidate(kind, component_id, environment, None)
    request = open_promotion(component_type, component_id, environment)
    if settings.HIVE_REQUIRE_REVIEW and (
        request is None or request.state != PromotionState.APPROVED or request.version_id != version.pk
    ):
        # As for publishing: checked now, not only when it runs, where it would fail with nobody there.
        raise ValidationError(
            _(
                "Have the promotion of v%(version)s to %(environment)s approved first: a scheduled promotion goes "
                "live without anyone there."
            ),
            code="needs_approval",
            params={"version": version.version, "environment": environment},
        )
    return _create(
        actor=actor, note=note, action=ScheduledAction.PROMOTE, component_type=component_type,
        component_id=component_id, environment=environment, version=version, content_hash=version.content_hash,
        run_at=_check_time(run_at),
    )  # fmt: skip


@transaction.atomic
def schedule_rollout_end(*, rollout_id: int, complete: bool, run_at: datetime, actor: Any, note: str):
    """Complete (promote the candidate) or abort a running rollout at ``run_at``."""
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to schedule the end of rollouts."))
    rollout = Rollout.objects.select_related("candidate").filter(pk=rollout_id).first()
    if rollout is None or rollout.state != RolloutState.RUNNING:
        raise ValidationError(
            {"rollout": ValidationError(_("Only a running rollout can be ended."), code="not_running")}
        )
    return _create(
        actor=actor, note=note,
        action=ScheduledAction.COMPLETE_ROLLOUT if complete else ScheduledAction.ABORT_ROLLOUT,
        component_type=rollout.component_type, component_id=rollout.component_id, environment=rollout.environment,
        version=rollout.candidate, content_hash=rollout.candidate.content_hash, rollout=rollout,
        run_at=_check_time(run_at),
    )  # fmt: skip


@transaction.atomic
def schedule_cancel(*, schedule_id: int, actor: Any, reason: str = "") -> ScheduledRelease:
    """Cancel a schedule that has not run; the scheduler or any publisher may."""
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to cancel scheduled releases."))
    schedule = ScheduledRelease.objects.select_for_update().filter(pk=schedule_id).first()
    if schedule is None:
        raise ValidationError(_("No scheduled release %(id)s."), code="unknown_schedule", params={"id": schedule_id})
    if schedule.state != ScheduleState.SCHEDULED:
        if schedule.executed_at:
            raise ValidationError(_("It already ran: nothing to cancel."), code="already_ran")
        raise ValidationError(_("It already was cancelled: nothing to cancel."), code="already_cancelled")
    _user, name = actor_parts(actor)
    schedule.state = ScheduleState.CANCELLED
    schedule.cancelled_by_name = name
    schedule.result = (reason or "").strip() or "Cancelled"
    schedule.save(update_fields=["state", "cancelled_by_name", "result"])
    audit_record(
        action=AuditAction.CANCELLED, subject_type=schedule.component_type, subject_id=schedule.component_id,
        actor=actor, reason=f"Scheduled {_stored_action(schedule)} cancelled: {schedule.result}",
        to_version=schedule.version.version, environment=schedule.environment,
    )  # fmt: skip
    return schedule


def _perform(schedule: ScheduledRelease) -> str:
    actor = schedule.scheduled_by or schedule.scheduled_by_name
    note = f"{schedule.note} (scheduled by {schedule.scheduled_by_name} for {schedule.run_at:%Y-%m-%d %H:%M %Z})"
    kind = get_kind(schedule.component_type)
    if schedule.action == ScheduledAction.PUBLISH:
        draft = component_status(schedule.component_type, schedule.component_id).draft
        if draft is None or draft.pk != schedule.version_id or draft.content_hash != schedule.content_hash:
            raise ValidationError(
                f"The draft changed after it was scheduled (v{schedule.version.version}): nothing was published."
            )
        version = component_publish(kind=kind, component_id=schedule.component_id, actor=actor, note=note)
        return f"Published {schedule.component_id} {version.label}."
    if schedule.action == ScheduledAction.PROMOTE:
        component_promote(
            kind=kind, component_id=schedule.component_id, environment=schedule.environment, actor=actor, note=note,
            version=schedule.version.version,
        )  # fmt: skip
        return f"Promoted {schedule.component_id} v{schedule.version.version} to {schedule.environment}."
    assert schedule.rollout_id is not None
    if schedule.action == ScheduledAction.COMPLETE_ROLLOUT:
        rollout_complete(kind=kind, rollout_id=schedule.rollout_id, actor=actor, note=note)
        return f"Rollout completed: {schedule.environment} serves v{schedule.version.version}."
    rollout_abort(kind=kind, rollout_id=schedule.rollout_id, actor=actor, reason=note)
    return "Rollout aborted."


def run_scheduled_release(schedule_id: int, *, now: datetime | None = None) -> str | None:
    """Run one schedule if it is due and still scheduled; exactly once: the row is locked (others skip it)
    and its state changes in the same transaction as the release step. Returns what happened (None: not due,
    taken by another worker, or already run or cancelled)."""
    now = now or timezone.now()
    with transaction.atomic():
        schedule = (
            ScheduledRelease.objects.select_for_update(skip_locked=True)
            .select_related("version")
            .filter(pk=schedule_id, state=ScheduleState.SCHEDULED, run_at__lte=now)
            .first()
        )
        if schedule is None:
            return None
        try:
            # A failed step rolls back alone; the schedule then records why — stored, so in English whatever
            # language is active (a job worker's is English; a caller's page may not be).
            with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
                schedule.result = _perform(schedule)
                schedule.state = ScheduleState.DONE
        except (ValidationError, PermissionDenied) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            schedule.state, schedule.result = ScheduleState.FAILED, message
            logger.warning("Scheduled release %s failed: %s", schedule.pk, message)
        schedule.executed_at = timezone.now()
        schedule.save(update_fields=["state", "result", "executed_at"])
        return schedule.result


def run_due_schedules(*, now: datetime | None = None) -> int:
    """Run every due schedule (the periodic sweep; safe beside the per-schedule jobs). Returns how many ran."""
    now = now or timezone.now()
    ran = 0
    due = ScheduledRelease.objects.filter(state=ScheduleState.SCHEDULED, run_at__lte=now).values_list("pk", flat=True)
    for schedule_id in list(due):
        try:
            if run_scheduled_release(schedule_id, now=now) is not None:
                ran += 1
        except DatabaseError:
            logger.exception("Scheduled release %s could not run; the next sweep retries it.", schedule_id)
    return ran
