"""The versioned component kinds (agent, team, routing), registered by their apps.

Versioning knows nothing about agents, teams or routing; each app tells it how to snapshot its working copy
into a runtime configuration, how to restore a configuration into the working copy (rollback), and
what must hold before a configuration may go live.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class ComponentKind:
    type: str  # ComponentType value
    model: builtins.type[models.Model]
    id_field: str  # the slug field: "agent_id" / "team_id"
    snapshot: Callable[[Any], dict]  # working copy -> runtime configuration
    restore: Callable[[Any, dict], None]  # configuration -> working copy fields (not saved)
    validate_live: Callable[[Any, dict], None]  # raise ValidationError if the config may not go live
    check_deactivate: Callable[[Any], None] = lambda obj: None
    check_delete: Callable[[Any], None] = lambda obj: None
    # (before config, after config) -> versioning.diffs.ConfigDiff for people; None: the generic config_diff
    diff: Callable[[dict, dict], Any] | None = None
    # config -> the components it needs live beside it, as (type, id, what for people): a team's members,
    # the routing's route targets. Promotion refuses a version whose references the environment lacks.
    references: Callable[[dict], list[tuple[str, str, str]]] = lambda config: []
    # (working copy, the version now live; actor, note, override) -> None: runs inside the transaction that put a
    # version live in the first environment (a publish or a rollback), in its audit batch. A prompt fragment
    # releases the agents and teams that include it here; a refusal raised here undoes the whole step.
    went_live: Callable[..., Any] = lambda obj, version, *, actor, note, override: None
    # Whether its versions are promoted to the environments after the first. A prompt fragment is not: no runtime
    # reads it; the agents and teams that include it carry its text, and they are promoted.
    promotable: bool = True

    def component_id(self, obj) -> str:
        return getattr(obj, self.id_field)

    def get_locked(self, component_id: str):
        return self.model._default_manager.select_for_update().get(**{self.id_field: component_id})


_registry: dict[str, ComponentKind] = {}
# Checks other apps add to deleting any component: ``check(kind, obj)`` raises ValidationError while
# something published elsewhere still points at ``obj`` (e.g. the published routing at an agent).
_delete_checks: list[Callable[[ComponentKind, Any], None]] = []


def register_delete_check(check: Callable[[ComponentKind, Any], None]) -> None:
    if check not in _delete_checks:
        _delete_checks.append(check)


def check_delete(kind: ComponentKind, obj) -> None:
    """The kind's own check, then every registered one."""
    kind.check_delete(obj)
    for check in _delete_checks:
        check(kind, obj)


# The same for deactivating: the runtime stops serving a deactivated component at once.
_deactivate_checks: list[Callable[[ComponentKind, Any], None]] = []


def register_deactivate_check(check: Callable[[ComponentKind, Any], None]) -> None:
    if check not in _deactivate_checks:
        _deactivate_checks.append(check)


def check_deactivate(kind: ComponentKind, obj) -> None:
    """The kind's own check, then every registered one."""
    kind.check_deactivate(obj)
    for check in _deactivate_checks:
        check(kind, obj)


def register(kind: ComponentKind) -> None:
    _registry[kind.type] = kind


def get_kind(component_type: str) -> ComponentKind:
    try:
        return _registry[component_type]
    except KeyError:
        raise LookupError(
            f"Unknown component type “{component_type}”; expected one of {', '.join(_registry)}."
        ) from None


def kind_for_model(model) -> ComponentKind:
    for kind in _registry.values():
        if kind.model is model or isinstance(model, kind.model):
            return kind
    raise LookupError(f"{model} is not a versioned component.")
