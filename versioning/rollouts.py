"""Percentage rollouts: a candidate version served to X% of an environment's sessions beside its current
version, then completed (the candidate is promoted to 100%) or aborted — by a publisher, or by the guard
(``monitoring.rollout_guard``) with the figures that triggered it.

The candidate is what the environment before this one serves, exactly as for a promotion, and starting a
rollout needs the same approved promotion request under ``HIVE_REQUIRE_REVIEW``. Every step moves the
runtime's config generation (runtimes see the split on their next request), is audited with the
environment, and sends a release event.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import actor_parts, audit_record
from versioning.components import ComponentKind
from versioning.gates import GateCheck, run_gates
from versioning.models import PromotionState, Rollout, RolloutState
from versioning.promotion import _candidate, _check_references, _note, _release, already_serves, close_used_request
from versioning.selectors import live_version, open_promotion
from versioning.services import PUBLISH_PERMISSION, _require_permission, release_payload
from versioning.signals import announce_config_change, announce_release

ROLLOUT_KINDS = ("agent", "team")


def _payload(rollout: Rollout, *, kind: ComponentKind, actor: Any, reason: str) -> dict:
    return {
        **release_payload(
            kind=kind, version=rollout.candidate, previous=rollout.baseline, actor=actor, reason=reason,
            environment=rollout.environment,
        ),
        "rollout": {"id": rollout.pk, "percent": rollout.percent, "state": rollout.state, "figures": rollout.figures},
    }  # fmt: skip


def _audit(rollout: Rollout, action: str, *, actor: Any, reason: str) -> None:
    audit_record(
        action=action,
        subject_type=rollout.component_type,
        subject_id=rollout.component_id,
        actor=actor,
        reason=reason,
        from_version=rollout.baseline.version,
        to_version=rollout.candidate.version,
        after={"percent": rollout.percent, "figures": rollout.figures, "state": rollout.state},
        before=None,
        environment=rollout.environment,
    )


def _thresholds(max_success_drop_points, max_p95_increase_percent, min_runs) -> dict:
    errors = {}
    for field, value in (
        ("max_success_drop_points", max_success_drop_points),
        ("max_p95_increase_percent", max_p95_increase_percent),
    ):
        if value is not None and (not isinstance(value, int | float) or value < 0):
            errors[field] = ValidationError(
                _("A threshold is a number ≥ 0 (or empty: not guarded on it)."), code="invalid_threshold"
            )
    if not isinstance(min_runs, int) or min_runs < 1:
        errors["min_runs"] = ValidationError(_("At least 1 run."), code="invalid_min_runs")
    if errors:
        raise ValidationError(errors)
    return {
        "max_success_drop_points": max_success_drop_points,
        "max_p95_increase_percent": max_p95_increase_percent,
        "min_runs": min_runs,
    }


@transaction.atomic
def rollout_start(
    *,
    kind: ComponentKind,
    component_id: str,
    environment: str,
    percent: int,
    actor: Any,
    note: str,
    version: int | None = None,
    max_success_drop_points: float | None = None,
    max_p95_increase_percent: float | None = None,
    min_runs: int = 50,
    override: str = "",
) -> Rollout:
    """Serve the previous environment's version to ``percent``% of ``environment``'s sessions."""
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to start rollouts."))
    note = _note(note, _("Say why: a note is required to start a rollout."))
    if kind.type not in ROLLOUT_KINDS:
        raise ValidationError(
            _("Rollouts are for agents and teams; promote the %(kind)s instead."),
            code="not_rollable",
            params={"kind": kind.type},
        )
    if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 99:
        raise ValidationError(
            {
                "percent": ValidationError(
                    _("A rollout serves the candidate to 1–99%% of sessions; 100%% is a promotion."),
                    code="invalid_percent",
                    params={"percent": percent},  # formats the message: "%%" reads "%"
                )
            }
        )
    thresholds = _thresholds(max_success_drop_points, max_p95_increase_percent, min_runs)
    kind.get_locked(component_id)
    candidate = _candidate(kind, component_id, environment, version)
    baseline = live_version(kind.type, component_id, environment)
    if baseline is None:
        raise ValidationError(
            _(
                "%(environment)s serves no version of %(component)s yet: promote it (a rollout splits traffic between two)."
            ),
            code="no_baseline",
            params={"environment": environment, "component": component_id},
        )
    if baseline.pk == candidate.pk:
        raise already_serves(environment, component_id, candidate.version)
    if Rollout.objects.filter(
        environment=environment, component_type=kind.type, component_id=component_id, state=RolloutState.RUNNING
    ).exists():
        raise ValidationError(
            _("%(component)s already has a rollout running in %(environment)s: end it first."),
            code="rollout_running",
            params={"component": component_id, "environment": environment},
        )
    request = open_promotion(kind.type, component_id, environment)
    if settings.HIVE_REQUIRE_REVIEW and (
        request is None or request.state != PromotionState.APPROVED or request.version_id != candidate.pk
    ):
        raise ValidationError(
            _(
                "A rollout to %(environment)s needs an approved promotion request for v%(version)s: request it, "
                "and another publisher approves it."
            ),
            code="needs_approval",
            params={"environment": environment, "version": candidate.version},
        )
    _check_references(kind, candidate, environment)
    run_gates(
        GateCheck(
            action="rollout",
            kind=kind,
            component_id=component_id,
            candidate=candidate,
            baseline=baseline,
            environment=environment,
            actor=actor,
            override=(override or "").strip(),
        )  # fmt: skip
    )
    user, name = actor_parts(actor)
    rollout = Rollout(
        environment=environment, component_type=kind.type, component_id=component_id, baseline=baseline,
        candidate=candidate, percent=percent, salt=secrets.token_hex(8), note=note, started_by=user,
        started_by_name=name, started_at=timezone.now(), **thresholds,
    )  # fmt: skip
    rollout.full_clean()
    rollout.save()
    close_used_request(request, candidate)
    _audit(rollout, AuditAction.ROLLOUT_STARTED, actor=actor, reason=note)
    announce_config_change()
    announce_release("rollout.started", _payload(rollout, kind=kind, actor=actor, reason=note))
    return rollout


def _locked_running(rollout_id: int) -> Rollout:
    rollout = Rollout.objects.select_for_update().select_related("baseline", "candidate").filter(pk=rollout_id).first()
    if rollout is None:
        raise ValidationError(_("No rollout %(id)s."), code="unknown_rollout", params={"id": rollout_id})
    if rollout.state != RolloutState.RUNNING:
        # In the page's language; a scheduled end runs in English (``schedules.run_scheduled_release``).
        state = str(rollout.get_state_display()).lower()
        raise ValidationError(_("This rollout is already %(state)s."), code="not_running", params={"state": state})
    return rollout


def _end(rollout: Rollout, state: str, *, actor: Any, reason: str, figures: dict | None = None) -> None:
    _user, name = actor_parts(actor)
    rollout.state = state
    rollout.ended_at = timezone.now()
    rollout.ended_by_name = name
    rollout.end_reason = reason
    if figures is not None:
        rollout.figures = figures
    rollout.save(update_fields=["state", "ended_at", "ended_by_name", "end_reason", "figures"])


@transaction.atomic
def rollout_complete(*, kind: ComponentKind, rollout_id: int, actor: Any, note: str = "") -> Rollout:
    """Promote the candidate to 100% of the environment: it becomes the version the environment serves."""
    _require_permission(actor, PUBLISH_PERMISSION, _("You do not have permission to complete rollouts."))
    note = (note or "").strip() or "Rollout completed"
    rollout = _locked_running(rollout_id)
    kind.get_locked(rollout.component_id)
    _end(rollout, RolloutState.COMPLETED, actor=actor, reason=note)
    _audit(rollout, AuditAction.ROLLOUT_COMPLETED, actor=actor, reason=note)
    _release(
        kind=kind, component_id=rollout.component_id, environment=rollout.environment, version=rollout.candidate,
        actor=actor, note=note, action=AuditAction.PROMOTED, event="component.promoted",
    )  # fmt: skip
    announce_release("rollout.completed", _payload(rollout, kind=kind, actor=actor, reason=note))
    return rollout


@transaction.atomic
def rollout_abort(
    *, kind: ComponentKind, rollout_id: int, actor: Any, reason: str, figures: dict | None = None
) -> Rollout:
    """Stop serving the candidate: every session gets the baseline again. The guard calls this with the
    figures that triggered it (``actor`` is then the guard's name)."""
    user, _name = actor_parts(actor)
    if user is not None and not user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied(_("You do not have permission to abort rollouts."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Say why: a reason is required to abort."), code="reason_required")}
        )
    rollout = _locked_running(rollout_id)
    kind.get_locked(rollout.component_id)
    _end(rollout, RolloutState.ABORTED, actor=actor, reason=reason, figures=figures)
    _audit(rollout, AuditAction.ROLLOUT_ABORTED, actor=actor, reason=reason)
    announce_config_change()
    announce_release("rollout.aborted", _payload(rollout, kind=kind, actor=actor, reason=reason))
    return rollout


@transaction.atomic
def rollout_record_figures(*, rollout_id: int, figures: dict) -> None:
    """Keep the guard's latest figures on a running rollout (shown on its page)."""
    Rollout.objects.filter(pk=rollout_id, state=RolloutState.RUNNING).update(figures=figures)
