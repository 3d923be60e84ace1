"""Release gates: checks that apps above versioning add to every step that puts a version in front of customers
(a publish, a promotion, a rollout start), and panels they add to the publish page.

Versioning knows nothing about what a gate checks (the evaluations app registers one in its
``AppConfig.ready()``); it calls every registered gate inside the step's transaction, after its own rules, so a
refusal leaves nothing changed. A gate refuses by raising ``GateRefused``; the step's caller may pass an
``override`` reason, which each gate decides whether to accept (and audits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from versioning.components import ComponentKind
from versioning.models import ComponentVersion

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class GateRefused(ValidationError):
    """A release gate refused the step. ``override_permission``: a user with it may repeat the step with a
    reason (empty: nobody may); ``details_url``: the page that shows why (``details_label`` its link's text);
    ``override_title``: what the page calls going ahead anyway."""

    def __init__(
        self,
        message: str,
        *,
        override_permission: str = "",
        details_url: str = "",
        details_label: StrOrPromise = "",
        override_title: StrOrPromise = "",
    ):
        super().__init__(message, code="gate_refused")
        self.override_permission = override_permission
        self.details_url = details_url
        # The page's words (translated, never stored); empty: the test cases' own.
        self.details_label = details_label or _("See the test cases")
        self.override_title = override_title or _("Publish despite the failing test cases (Admin)")

    def may_override(self, user) -> bool:
        return bool(self.override_permission) and user is not None and user.has_perm(self.override_permission)


@dataclass(frozen=True)
class GateCheck:
    """One release step, as a gate sees it."""

    action: str  # "publish" | "promote" | "rollout"
    kind: ComponentKind
    component_id: str
    candidate: ComponentVersion  # what is about to be served
    baseline: ComponentVersion | None  # what it replaces (None: nothing served yet)
    environment: str
    actor: Any
    override: str  # the reason given to override a refusal ("" when none)


_gates: list[Callable[[GateCheck], None]] = []
_override_permissions: set[str] = set()


def register_gate(gate: Callable[[GateCheck], None], *, override_permission: str = "") -> None:
    """Add ``gate``; ``override_permission``: who holds it may override its refusals (pages offer the field)."""
    if gate not in _gates:
        _gates.append(gate)
    if override_permission:
        _override_permissions.add(override_permission)


def may_override(user) -> bool:
    """Whether ``user`` may override some gate's refusal (release pages then offer a reason field)."""
    return any(user.has_perm(permission) for permission in _override_permissions)


def run_gates(check: GateCheck) -> None:
    """Every registered gate, in registration order; the first refusal (``GateRefused``) propagates."""
    for gate in _gates:
        gate(check)


# Panels on the publish and promote pages: ``panel(request, kind, component_id, candidate, baseline, environment)
# -> str | None`` returns
# ready HTML (the app renders its own template) shown next to the diff.
_review_panels: list[Callable[..., str | None]] = []


def register_review_panel(panel: Callable[..., str | None]) -> None:
    if panel not in _review_panels:
        _review_panels.append(panel)


def review_panels(
    request, *, kind: ComponentKind, component_id: str, candidate, baseline, environment: str | None = None
) -> list[str]:
    """The registered panels for ``candidate`` replacing ``baseline`` in ``environment`` (None: the first)."""
    rendered = (
        panel(
            request,
            kind=kind,
            component_id=component_id,
            candidate=candidate,
            baseline=baseline,
            environment=environment,
        )  # fmt: skip
        for panel in _review_panels
    )
    return [html for html in rendered if html]
