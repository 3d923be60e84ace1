"""Environments: promotion of the exact version one environment serves to the next, with review when
``HIVE_REQUIRE_REVIEW`` is on, and rollback inside an environment.

Publishing (``versioning.services``) puts a version in the first environment; a later environment only
ever receives the version the environment before it serves — the same immutable row, so the same content
hash. Every step runs in one transaction that locks the component's working copy first (so it serialises
with publishing), writes its audit row with the environment, moves the runtime's config generation and
sends a release event (webhooks).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import actor_parts, audit_record, json_diff
from versioning.components import ComponentKind, get_kind
from versioning.gates import GateCheck, run_gates
from versioning.models import (
    OPEN_PROMOTION_STATES,
    ComponentVersion,
    EnvironmentRelease,
    PromotionRequest,
    PromotionState,
)
from versioning.selectors import environments, live_version, open_promotion
from versioning.services import PUBLISH_PERMISSION, REVIEW_PERMISSION, _require_permission, release_payload
from versioning.signals import announce_config_change, announce_release


def source_environment(environment: str) -> str:
    """The environment ``environment`` is promoted from; a ValidationError naming the field if there is
    none (the first environment is published to, not promoted to) or the name is unknown."""
    names = environments()
    if environment not in names:
        raise ValidationError(
            {
                "environment": ValidationError(
                    _("Unknown environment “%(environment)s”; expected one of %(environments)s."),
                    code="unknown_environment",
                    params={"environment": environment, "environments": ", ".join(names)},
                )
            }
        )
    index = names.index(environment)
    if index == 0:
        raise ValidationError(
            {
                "environment": ValidationError(
                    _("%(environment)s is the first environment: publish a draft to it instead of promoting."),
                    code="first_environment",
                    params={"environment": environment},
                )
            }
        )
    return names[index - 1]


def _candidate(kind: ComponentKind, component_id: str, environment: str, version: int | None) -> ComponentVersion:
    """The version the source environment serves now (locked), checked against ``version`` when given (the
    page showed it: refuse if the source moved meanwhile)."""
    if not kind.promotable:
        raise ValidationError(
            _("A %(kind)s is not promoted: promote the components that include it, which carry its text."),
            code="not_promotable",
            params={"kind": kind.type},
        )
    source = source_environment(environment)
    row = live_version(kind.type, component_id, source)
    if row is None:
        raise ValidationError(
            _("%(component)s is not live in %(environment)s, so there is nothing to promote."),
            code="not_live",
            params={"component": component_id, "environment": source},
        )
    if version is not None and row.version != version:
        raise ValidationError(
            {
                "version": ValidationError(
                    _(
                        "%(environment)s now serves v%(live)s, not v%(version)s: review that version before "
                        "promoting it."
                    ),
                    code="source_moved",
                    params={"environment": source, "live": row.version, "version": version},
                )
            }
        )
    return row


def _check_references(kind: ComponentKind, candidate: ComponentVersion, environment: str) -> None:
    """Everything the version needs beside it (a team's members, the routing's targets) is live in the
    environment: otherwise that environment's runtime could not serve it whole."""
    missing = [
        what
        for ref_type, ref_id, what in kind.references(candidate.config)
        if live_version(ref_type, ref_id, environment) is None
    ]
    if missing:
        raise ValidationError(
            _("Not live in %(environment)s yet: %(missing)s. Promote those first."),
            code="references_not_live",
            params={"environment": environment, "missing": "; ".join(missing)},
        )


def _refuse_during_rollout(kind: ComponentKind, component_id: str, environment: str) -> None:
    from versioning.models import Rollout, RolloutState

    if Rollout.objects.filter(
        environment=environment, component_type=kind.type, component_id=component_id, state=RolloutState.RUNNING
    ).exists():
        raise ValidationError(
            _("%(component)s has a rollout running in %(environment)s: complete or abort it first."),
            code="rollout_running",
            params={"component": component_id, "environment": environment},
        )


def _release(
    *, kind: ComponentKind, component_id: str, environment: str, version: ComponentVersion, actor: Any, note: str,
    action: str, event: str,
) -> EnvironmentRelease:  # fmt: skip
    user, name = actor_parts(actor)
    current = (
        EnvironmentRelease.objects.select_for_update()
        .select_related("version")
        .filter(environment=environment, component_type=kind.type, component_id=component_id)
        .first()
    )
    before = current.version if current is not None else None
    if before is not None and before.pk == version.pk:
        raise already_serves(environment, component_id, version.version)
    release = current or EnvironmentRelease(
        environment=environment, component_type=kind.type, component_id=component_id
    )
    release.version = version
    release.released_at = timezone.now()
    release.released_by = user
    release.released_by_name = name
    release.note = note
    release.full_clean()
    release.save()
    audit_record(
        action=action,
        subject_type=kind.type,
        subject_id=component_id,
        actor=actor,
        reason=note,
        diff=json_diff(before.config if before else {}, version.config),
        from_version=before.version if before else None,
        to_version=version.version,
        keep_snapshots=False,
        environment=environment,
    )
    announce_config_change()
    announce_release(
        event,
        release_payload(kind=kind, version=version, previous=before, actor=actor, reason=note, environment=environment),
    )
    return release


def already_serves(environment: str, component_id: str, version: int) -> ValidationError:
    return ValidationError(
        _("%(environment)s already serves %(component)s v%(version)s."),
        code="already_serves",
        params={"environment": environment, "component": component_id, "version": version},
    )


def _note(note: str, refusal: str) -> str:
    """``note`` stripped; ``refusal`` (the whole sentence, translated by the caller) when it is empty."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ValidationError(refusal, code="note_required")})
    return note


@transaction.atomic
def component_promote(
    *,
    kind: ComponentKind,
    component_id: str,
    environment: str,
    actor: Any,
    note: str,
    version: int | None = None,
    override: str = "",
) -> EnvironmentRelease:
    """Make ``environment`` serve exactly the version the environment before it serves.

    Under ``HIVE_REQUIRE_REVIEW`` the version needs an approved promotion request (someone other than the
    requester approved it); the request is closed by the promotion.
    """
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to promote."))
    note = _note(note, _("Say why: a note is required to promote."))
    kind.get_locked(component_id)
    candidate = _candidate(kind, component_id, environment, version)
    request = open_promotion(kind.type, component_id, environment)
    if settings.HIVE_REQUIRE_REVIEW:
        if request is None or request.state != PromotionState.APPROVED:
            raise ValidationError(
                _(
                    "Promoting to %(environment)s needs an approved promotion request: request it, and another "
                    "publisher approves it."
                ),
                code="needs_approval",
                params={"environment": environment},
            )
        if request.version_id != candidate.pk:
            raise ValidationError(
                _(
                    "The approved request is for v%(approved)s, but v%(version)s is live in %(source)s now: "
                    "request a review of that version."
                ),
                code="approved_other_version",
                params={
                    "approved": request.version.version,
                    "version": candidate.version,
                    "source": source_environment(environment),
                },
            )
    _check_references(kind, candidate, environment)
    _refuse_during_rollout(kind, component_id, environment)
    run_gates(
        GateCheck(
            action="promote",
            kind=kind,
            component_id=component_id,
            candidate=candidate,
            baseline=live_version(kind.type, component_id, environment),
            environment=environment,
            actor=actor,
            override=(override or "").strip(),
        )  # fmt: skip
    )
    release = _release(
        kind=kind, component_id=component_id, environment=environment, version=candidate, actor=actor, note=note,
        action=AuditAction.PROMOTED, event="component.promoted",
    )  # fmt: skip
    close_used_request(request, candidate)
    return release


def close_used_request(request: PromotionRequest | None, candidate: ComponentVersion) -> None:
    """Close the open request once its environment moved (a promotion, a rollout start): done when it was
    approved for this version — "done" means reviewed (a check constraint) —, otherwise moot (with review off a
    publisher may go past an unreviewed request), so cancelled."""
    if request is None:
        return
    done = request.version_id == candidate.pk and request.state == PromotionState.APPROVED
    request.state = PromotionState.DONE if done else PromotionState.CANCELLED
    request.closed_at = timezone.now()
    request.save(update_fields=["state", "closed_at"])


@transaction.atomic
def environment_rollback(
    *, kind: ComponentKind, component_id: str, environment: str, to_version: int, actor: Any, note: str
) -> EnvironmentRelease:
    """Make a later environment serve again a version it served before (no review: a rollback restores what
    was already approved and live there). The first environment rolls back with ``component_rollback``."""
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to roll back."))
    note = _note(note, _("Say why: a note is required to roll back."))
    source_environment(environment)  # validates the name; the first environment has no release rows
    kind.get_locked(component_id)
    from audit.models import AuditRecord

    was_live = (
        AuditRecord.objects.filter(
            subject_type=kind.type,
            subject_id=component_id,
            environment=environment,
            action=AuditAction.PROMOTED,
            to_version=to_version,
        ).exists()
        or EnvironmentRelease.objects.filter(
            environment=environment, component_type=kind.type, component_id=component_id, version__version=to_version
        ).exists()
    )
    target = ComponentVersion.objects.filter(
        component_type=kind.type, component_id=component_id, version=to_version
    ).first()
    if target is None or not was_live:
        raise ValidationError(
            {
                "to_version": ValidationError(
                    _("v%(version)s of %(component)s was never live in %(environment)s."),
                    code="never_live",
                    params={"version": to_version, "component": component_id, "environment": environment},
                )
            }
        )
    _check_references(kind, target, environment)
    _refuse_during_rollout(kind, component_id, environment)
    return _release(
        kind=kind, component_id=component_id, environment=environment, version=target, actor=actor, note=note,
        action=AuditAction.ROLLED_BACK, event="component.rolled_back",
    )  # fmt: skip


# --- Promotion requests (review) ----------------------------------------------------------------------


@transaction.atomic
def promotion_request(
    *, kind: ComponentKind, component_id: str, environment: str, actor: Any, note: str, version: int | None = None
) -> PromotionRequest:
    """Ask another publisher to approve promoting the source environment's current version."""
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to request a promotion."))
    note = _note(note, _("Say why: a note is required to request a promotion."))
    kind.get_locked(component_id)
    candidate = _candidate(kind, component_id, environment, version)
    current = live_version(kind.type, component_id, environment)
    if current is not None and current.pk == candidate.pk:
        raise already_serves(environment, component_id, candidate.version)
    existing = open_promotion(kind.type, component_id, environment)
    if existing is not None:
        if existing.version_id == candidate.pk:
            return existing
        _close(
            existing, PromotionState.CANCELLED, actor=actor, reason=f"Replaced by a request for v{candidate.version}"
        )
    user, name = actor_parts(actor)
    request = PromotionRequest(
        environment=environment, component_type=kind.type, component_id=component_id, version=candidate,
        note=note, requested_by=user, requested_by_name=name,
    )  # fmt: skip
    request.full_clean()
    request.save()
    audit_record(
        action=AuditAction.SUBMITTED, subject_type=kind.type, subject_id=component_id, actor=actor, reason=note,
        to_version=candidate.version, environment=environment,
    )  # fmt: skip
    return request


def _locked_open(kind: ComponentKind, component_id: str, environment: str) -> PromotionRequest:
    kind.get_locked(component_id)
    request = (
        PromotionRequest.objects.select_for_update()
        .select_related("version")
        .filter(
            component_type=kind.type,
            component_id=component_id,
            environment=environment,
            state__in=OPEN_PROMOTION_STATES,
        )
        .first()
    )
    if request is None:
        raise ValidationError(
            _("%(component)s has no open promotion request for %(environment)s."),
            code="no_open_request",
            params={"component": component_id, "environment": environment},
        )
    return request


def _close(request: PromotionRequest, state: str, *, actor: Any, reason: str) -> None:
    request.state = state
    request.closed_at = timezone.now()
    request.save(update_fields=["state", "closed_at"])
    audit_record(
        action=AuditAction.CANCELLED, subject_type=request.component_type, subject_id=request.component_id,
        actor=actor, reason=reason, to_version=request.version.version, environment=request.environment,
    )  # fmt: skip


def _review(*, kind, component_id, environment, actor, state, comment, action) -> PromotionRequest:
    request = _locked_open(kind, component_id, environment)
    user, name = actor_parts(actor)
    if (user is not None and user.pk == request.requested_by_id) or (
        user is None and name == request.requested_by_name
    ):
        raise PermissionDenied(_("Someone other than the requester must review a promotion; you requested it."))
    request.state = state
    request.reviewed_by = user
    request.reviewed_by_name = name
    request.reviewed_at = timezone.now()
    request.review_comment = comment
    if state == PromotionState.REJECTED:
        request.closed_at = request.reviewed_at
    request.save()
    audit_record(
        action=action, subject_type=kind.type, subject_id=component_id, actor=actor, reason=comment,
        to_version=request.version.version, environment=environment,
    )  # fmt: skip
    return request


@transaction.atomic
def promotion_approve(*, kind: ComponentKind, component_id: str, environment: str, actor: Any, note: str = ""):
    """Approve another publisher's promotion request (four eyes); a publisher then promotes it."""
    _require_permission(actor, REVIEW_PERMISSION, _("You do not have permission to approve promotions."))
    return _review(
        kind=kind, component_id=component_id, environment=environment, actor=actor, state=PromotionState.APPROVED,
        comment=(note or "").strip(), action=AuditAction.APPROVED,
    )  # fmt: skip


@transaction.atomic
def promotion_reject(*, kind: ComponentKind, component_id: str, environment: str, actor: Any, reason: str):
    _require_permission(actor, REVIEW_PERMISSION, _("You do not have permission to reject promotions."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {
                "reason": ValidationError(
                    _("Say what must change: a reason is required to reject."), code="reason_required"
                )
            }
        )
    return _review(
        kind=kind, component_id=component_id, environment=environment, actor=actor, state=PromotionState.REJECTED,
        comment=reason, action=AuditAction.REJECTED,
    )  # fmt: skip


@transaction.atomic
def promotion_cancel(*, kind: ComponentKind, component_id: str, environment: str, actor: Any, reason: str = ""):
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to cancel promotions."))
    request = _locked_open(kind, component_id, environment)
    _close(
        request, PromotionState.CANCELLED, actor=actor, reason=(reason or "").strip() or "Promotion request cancelled"
    )
    return request


def promote_by_type(*, component_type: str, **kwargs) -> EnvironmentRelease:
    """``component_promote`` for callers that hold a type name (commands, the API)."""
    return component_promote(kind=get_kind(component_type), **kwargs)
