"""The rollout guard: compares a running rollout's candidate with its baseline on the metrics the runtime
posted since the rollout started, and aborts the rollout when the candidate is worse than its thresholds
allow — audited with the figures that triggered it.

Metrics are ``agent_metrics`` rows of the component (``agent_id`` is the agent's or the team's id, as the
runtime client reports them) carrying each version in ``config_version``. The guard judges only once both
versions have ``min_runs`` runs in the rollout, so a handful of early failures cannot abort it.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils import timezone

from monitoring.selectors import Period, agent_version_stats
from versioning.components import get_kind
from versioning.models import Rollout
from versioning.rollouts import rollout_abort, rollout_record_figures
from versioning.selectors import running_rollouts

GUARD_ACTOR = "rollout-guard"
logger = logging.getLogger(__name__)


def rollout_figures(rollout: Rollout) -> dict[str, Any]:
    """Runs, success rate (percent) and p95 response time of each version since the rollout started."""
    now = timezone.now()
    # From the start itself: runs from before it (even a second before, when the guard runs right after the
    # start) are not the rollout's. The end only needs to be after it, whatever the clocks say.
    start = rollout.started_at
    period = Period(start=start, end=max(now, start) + timedelta(seconds=1), granularity="hour", tz=UTC)
    versions = [rollout.baseline.version, rollout.candidate.version]
    stats = agent_version_stats(agent_id=rollout.component_id, versions=versions, period=period)

    def side(version: int) -> dict[str, Any]:
        row = stats.get(version) or {}
        rate = row.get("success_rate")
        return {
            "version": version,
            "runs": row.get("requests") or 0,
            "success_rate": round(rate * 100, 2) if rate is not None else None,
            "p95_ms": round(row["p95_ms"], 1) if row.get("p95_ms") is not None else None,
        }

    return {"baseline": side(versions[0]), "candidate": side(versions[1]), "at": now.isoformat()}


def verdict(rollout: Rollout, figures: dict[str, Any]) -> str | None:
    """Why the rollout must be aborted, or None while the candidate holds (or there is too little data)."""
    base, cand = figures["baseline"], figures["candidate"]
    if base["runs"] < rollout.min_runs or cand["runs"] < rollout.min_runs:
        return None
    reasons = []
    limit = rollout.max_success_drop_points
    if limit is not None and base["success_rate"] is not None and cand["success_rate"] is not None:
        drop = base["success_rate"] - cand["success_rate"]
        if drop > limit:
            reasons.append(
                f"success rate {cand['success_rate']:.2f}% vs {base['success_rate']:.2f}% "
                f"(down {drop:.2f} points, limit {limit:g})"
            )
    limit = rollout.max_p95_increase_percent
    if limit is not None and base["p95_ms"] and cand["p95_ms"] is not None:
        increase = (cand["p95_ms"] / base["p95_ms"] - 1) * 100
        if increase > limit:
            reasons.append(
                f"p95 {cand['p95_ms']:.0f} ms vs {base['p95_ms']:.0f} ms (up {increase:.1f}%, limit {limit:g}%)"
            )
    if not reasons:
        return None
    return (
        f"Guard: v{rollout.candidate.version} is worse than v{rollout.baseline.version} after "
        f"{cand['runs']} / {base['runs']} runs: " + "; ".join(reasons) + "."
    )


def guard_rollouts() -> list[Rollout]:
    """Judge every running, guarded rollout; abort those that fail, keep the figures of the others.
    Returns the aborted ones. Safe to run from several processes: aborting locks the rollout row and a
    rollout already ended is left alone."""
    aborted = []
    for rollout in running_rollouts():
        if not rollout.guarded:
            continue
        figures = rollout_figures(rollout)
        reason = verdict(rollout, figures)
        if reason is None:
            rollout_record_figures(rollout_id=rollout.pk, figures=figures)
            continue
        try:
            ended = rollout_abort(
                kind=get_kind(rollout.component_type), rollout_id=rollout.pk, actor=GUARD_ACTOR, reason=reason,
                figures=figures,
            )  # fmt: skip
        except (ValidationError, DatabaseError):  # ended meanwhile, or a failure: the others are still judged
            logger.exception("The rollout guard could not abort rollout %s", rollout.pk)
            continue
        logger.warning("Rollout %s aborted by the guard: %s", rollout.pk, reason)
        aborted.append(ended)
    return aborted
