"""Writes for teams. The admin, the API and the management commands all come through here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from agents.models import Agent
from agents.services import tool_links_set
from common.agno_spec import (
    DEFAULT_TEAM_PARAMETERS,
    TEAM_MODES,
    collect_errors,
    normalize_provider,
    normalize_team_mode,
    validate_instructions,
    validate_mode_flags,
    validate_model_settings,
    validate_parameters,
    validate_tools,
)
from common.services import apply_fields
from prompts.selectors import source_config
from teams.models import Team, TeamMember
from versioning.components import get_kind
from versioning.services import check_revision, draft_save, record_created

EDITABLE_FIELDS = (
    "team_id",
    "name",
    "mode",
    "model_provider",
    "model_name",
    "model_settings",
    "description",
    "instructions",
    "tools",
    "parameters",
)


def team_validate(team: Team) -> None:
    errors = collect_errors(
        lambda: validate_model_settings(team.model_settings),
        lambda: validate_instructions(team.instructions),
        lambda: validate_parameters(team.parameters, kind="team"),
        lambda: validate_mode_flags(team.mode, team.parameters),
        lambda: validate_tools(team.tools),
    )
    if team.mode not in TEAM_MODES:
        errors["mode"] = [f"“{team.mode}” is not an Agno team mode; use one of {', '.join(TEAM_MODES)}."]
    if errors:
        raise ValidationError(errors)
    team.full_clean()


def _clean(name: str, value: Any) -> Any:
    if name == "model_provider":
        return normalize_provider(value) if value else ""
    if name == "mode":
        return normalize_team_mode(value)
    return value


def _apply(team: Team, fields: dict[str, Any]) -> None:
    apply_fields(team, fields, editable=EDITABLE_FIELDS, label="A team", clean=_clean)


def _normalise_members(members: Iterable[tuple[Agent, int] | Agent]) -> list[tuple[Agent, int]]:
    result = []
    for index, item in enumerate(members, start=1):
        agent, position = item if isinstance(item, tuple) else (item, index)
        result.append((agent, int(position)))
    seen_agents = [a.pk for a, _ in result]
    if len(seen_agents) != len(set(seen_agents)):
        raise ValidationError({"members": gettext("An agent can be a member of a team only once.")})
    positions = [p for _, p in result]
    if len(positions) != len(set(positions)):
        raise ValidationError({"members": gettext("Two members cannot share a position.")})
    if any(p < 1 for p in positions):
        raise ValidationError({"members": gettext("Positions start at 1.")})
    # Store positions as 1..n in the chosen order: what the runtime sees is the order, not gaps.
    result.sort(key=lambda pair: pair[1])
    return [(agent, index) for index, (agent, _) in enumerate(result, start=1)]


def _set_members(team: Team, members: list[tuple[Agent, int]]) -> None:
    wanted = {agent.pk: position for agent, position in members}
    existing = {m.agent_id: m for m in team.memberships.select_for_update()}
    for agent_pk, membership in existing.items():
        if agent_pk not in wanted:
            membership.delete()
    for agent, position in members:
        current = existing.get(agent.pk)
        if current is None:
            TeamMember.objects.create(team=team, agent=agent, position=position)
        elif current.position != position:
            current.position = position
            current.save(update_fields=["position"])  # the position constraint is deferred to commit


@transaction.atomic
def team_create(*, actor: Any, note: str, members: Iterable = (), **fields) -> Team:
    team = Team()
    _apply(team, fields)
    team_validate(team)
    team.save()
    tool_links_set(team, actor=actor, note=note)
    _set_members(team, _normalise_members(members))
    kind = get_kind("team")
    record_created(kind=kind, obj=team, actor=actor, note=note)
    draft_save(kind=kind, obj=team, actor=actor, note=note)
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    actor: Any,
    note: str,
    members: Iterable | None = None,
    expected_revision: int | None = None,
    base_snapshot: dict | None = None,
    **fields,
) -> Team:
    """Change the team's working copy (settings and, when given, its ordered members) and its draft."""
    kind = get_kind("team")
    current = Team.objects.select_for_update().get(pk=team.pk)
    check_revision(kind=kind, current=current, expected_revision=expected_revision, base_snapshot=base_snapshot)
    if "team_id" in fields and fields["team_id"] != current.team_id and current.version:
        raise ValidationError({"team_id": gettext("The team ID cannot change once the team has been published.")})
    _apply(current, fields)
    team_validate(current)
    current.revision += 1
    current.save()
    tool_links_set(current, actor=actor, note=note)
    if members is not None:
        _set_members(current, _normalise_members(members))
    draft_save(kind=kind, obj=current, actor=actor, note=note)
    return current


def team_restore(team: Team, config: dict) -> None:
    """Set the working copy (fields and members) from a versioned team configuration."""
    config = source_config(config)  # the prompt texts as written, fragments and variables unexpanded
    model = config.pop("model", None) or {}
    team.name = config.pop("name", team.name)
    team.mode = normalize_team_mode(config.pop("mode", team.mode))
    team.description = config.pop("description", None) or ""
    team.instructions = list(config.pop("instructions", None) or [])
    team.model_provider = normalize_provider(model.get("provider", "")) if model else ""
    team.model_name = model.get("id", "") if model else ""
    team.model_settings = dict(model.get("params") or {}) if model else {}
    members = config.pop("members", [])
    team.tools = list(config.pop("tools", None) or [])
    config.pop("id", None)
    team.parameters = {
        k: v for k, v in config.items() if not (k in DEFAULT_TEAM_PARAMETERS and v == DEFAULT_TEAM_PARAMETERS[k])
    }
    agents = {a.agent_id: a for a in Agent.objects.filter(agent_id__in=[m["agent_id"] for m in members])}
    missing = [m["agent_id"] for m in members if m["agent_id"] not in agents]
    if missing:
        raise ValidationError({"members": gettext("Unknown agent(s): %(agents)s.") % {"agents": ", ".join(missing)}})
    if not team._state.adding:  # rollback and discard save the restored fields themselves: links are written here
        validate_tools(team.tools)
        tool_links_set(team, actor=None, note=f"Restored with team {team.team_id}")
        _set_members(team, _normalise_members([(agents[m["agent_id"]], m["position"]) for m in members]))
