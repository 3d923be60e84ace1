"""Writes for agents. The admin, the API and the management commands all come through here."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from agents.models import Agent
from common.agno_spec import (
    DEFAULT_AGENT_PARAMETERS,
    collect_errors,
    normalize_provider,
    validate_instructions,
    validate_model_settings,
    validate_parameters,
    validate_tools,
)
from common.services import apply_fields
from versioning.components import get_kind
from versioning.services import check_revision, draft_save, record_created

EDITABLE_FIELDS = (
    "agent_id",
    "name",
    "model_provider",
    "model_name",
    "model_settings",
    "role",
    "description",
    "system_prompt",
    "instructions",
    "tools",
    "parameters",
)


def agent_validate(agent: Agent) -> None:
    """Every rule on an agent's configuration, beyond what the columns enforce."""
    errors = collect_errors(
        lambda: validate_model_settings(agent.model_settings),
        lambda: validate_instructions(agent.instructions),
        lambda: validate_tools(agent.tools),
        lambda: validate_parameters(agent.parameters, kind="agent"),
    )
    if errors:
        raise ValidationError(errors)
    agent.full_clean()


def _clean(name: str, value: Any) -> Any:
    return normalize_provider(value) if name == "model_provider" else value


def _apply(agent: Agent, fields: dict[str, Any]) -> None:
    apply_fields(agent, fields, editable=EDITABLE_FIELDS, label="An agent", clean=_clean)


@transaction.atomic
def agent_create(*, actor: Any, note: str, **fields) -> Agent:
    """Create an agent and its first draft. Nothing reaches the runtime until it is published."""
    agent = Agent()
    _apply(agent, fields)
    agent_validate(agent)
    agent.save()
    kind = get_kind("agent")
    record_created(kind=kind, obj=agent, actor=actor, note=note)
    draft_save(kind=kind, obj=agent, actor=actor, note=note)
    return agent


@transaction.atomic
def agent_update(
    *,
    agent: Agent,
    actor: Any,
    note: str,
    expected_revision: int | None = None,
    base_snapshot: dict | None = None,
    **fields,
) -> Agent:
    """Change the agent's working copy and its draft; the published version is untouched.

    ``expected_revision`` is the revision the editor started from; if someone saved since, the save
    is refused with what changed meanwhile (diffed against ``base_snapshot`` when given).
    """
    kind = get_kind("agent")
    current = Agent.objects.select_for_update().get(pk=agent.pk)
    check_revision(kind=kind, current=current, expected_revision=expected_revision, base_snapshot=base_snapshot)
    if "agent_id" in fields and fields["agent_id"] != current.agent_id and current.version:
        raise ValidationError({"agent_id": "The agent ID cannot change once the agent has been published."})
    _apply(current, fields)
    agent_validate(current)
    current.revision += 1
    current.save()
    draft_save(kind=kind, obj=current, actor=actor, note=note)
    return current


def agent_restore(agent: Agent, config: dict) -> None:
    """Set the working copy's fields from a runtime configuration (used by rollback and import)."""
    config = dict(config)
    model = config.pop("model", None) or {}
    agent.name = config.pop("name", agent.name)
    agent.description = config.pop("description", None) or ""
    agent.role = config.pop("role", None) or ""
    agent.instructions = list(config.pop("instructions", None) or [])
    agent.system_prompt = config.pop("system_message", None) or ""
    agent.tools = list(config.pop("tools", None) or [])
    agent.model_provider = normalize_provider(model.get("provider", agent.model_provider))
    agent.model_name = model.get("id", agent.model_name)
    agent.model_settings = dict(model.get("params") or {})
    config.pop("id", None)
    parameters = {}
    for key, value in config.items():
        if key in DEFAULT_AGENT_PARAMETERS and value == DEFAULT_AGENT_PARAMETERS[key]:
            continue
        parameters[key] = value
    agent.parameters = parameters
