"""The evaluation panel of the publish page (registered with ``versioning.gates``) and of the review page."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from evaluations import selectors
from evaluations.models import EvalRun

RUN_PERMISSIONS = ("evaluations.change_evalcase", "versioning.publish_component")


def may_run(user) -> bool:
    """Editors (who write the cases) and publishers may start an evaluation; a viewer reads the results."""
    return any(user.has_perm(p) for p in RUN_PERMISSIONS)


def panel_context(
    request, found: selectors.Comparison, run: EvalRun | None, *, next_url: str, environment: str | None = None
) -> dict:
    return {
        "environment": environment or "",
        "found": found,
        "run": run,
        "problems": found.problems(),
        "gate_mode": settings.HIVE_EVAL_GATE,
        "endpoint_configured": bool(settings.HIVE_EVAL_BASE_URL),
        "can_run": may_run(request.user) and bool(settings.HIVE_EVAL_BASE_URL),
        "start_url": reverse(
            "admin:evaluations_evalrun_start",
            args=[found.component_type, found.component_id, found.candidate.version.version],
        ),
        "progress_url": reverse("admin:evaluations_evalrun_progress", args=[run.pk]) if run else "",
        "cases_url": reverse("admin:evaluations_evalcase_changelist")
        + f"?component_type={found.component_type}&component_id={found.component_id}",
        "add_case_url": reverse("admin:evaluations_evalcase_add")
        + f"?component_type={found.component_type}&component_id={found.component_id}",
        "next_url": next_url,
    }


def review_panel(request, *, kind, component_id: str, candidate, baseline, environment=None) -> str | None:
    """The candidate against what it replaces, case by case (agents and teams only)."""
    if kind.type not in ("agent", "team") or candidate is None:
        return None
    if baseline is not None and baseline.pk == candidate.pk:
        baseline = None
    found = selectors.comparison(kind.type, component_id, candidate, baseline, environment)
    run = selectors.latest_run(kind.type, component_id, found.candidate.fingerprint)
    context = panel_context(request, found, run, next_url=request.path, environment=environment)
    return render_to_string("admin/evaluations/panel.html", context, request=request)
