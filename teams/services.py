"""Writes for teams. The admin, the API and the management commands all come through here."""

from __future__ import annotations

from typing import Any, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from agents.models import Agent
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
)
from teams.models import Team, TeamMember
from teams.selectors import team_config
from versioning.components import ComponentKind, get_kind
from versioning.models import ComponentVersion, VersionStatus
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
    "parameters",
)


def team_validate(team: Team) -> None:
    errors = collect_errors(
        lambda: validate_model_settings(team.model_settings),
        lambda: validate_instructions(team.instructions),
        lambda: validate_parameters(team.parameters, kind="team"),
        lambda: validate_mode_flags(team.mode, team.parameters),
    )
    if team.mode not in TEAM_MODES:
        errors["mode"] = [f"“{team.mode}” is not an Agno team mode; use one of {', '.join(TEAM_MODES)}."]
    if errors:
        raise ValidationError(errors)
    team.full_clean()


def _apply(team: Team, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown team field(s): {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        if name == "model_provider":
            value = normalize_provider(value) if value else ""
        if name == "mode":
            value = normalize_team_mode(value)
        setattr(team, name, value)


def _normalise_members(members: Iterable[tuple[Agent, int] | Agent]) -> list[tuple[Agent, int]]:
    result = []
    for index, item in enumerate(members, start=1):
        agent, position = item if isinstance(item, tuple) else (item, index)
        result.append((agent, int(position)))
    seen_agents = [a.pk for a, _ in result]
    if len(seen_agents) != len(set(seen_agents)):
        raise ValidationError({"members": "An agent can be a member of a team only once."})
    positions = [p for _, p in result]
    if len(positions) != len(set(positions)):
        raise ValidationError({"members": "Two members cannot share a position."})
    if any(p < 1 for p in positions):
        raise ValidationError({"members": "Positions start at 1."})
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
        membership = existing.get(agent.pk)
        if membership is None:
            TeamMember.objects.create(team=team, agent=agent, position=position)
        elif membership.position != position:
            membership.position = position
            membership.save(update_fields=["position"])  # the position constraint is deferred to commit


@transaction.atomic
def team_create(*, actor: Any, note: str, members: Iterable = (), **fields) -> Team:
    team = Team()
    _apply(team, fields)
    team_validate(team)
    team.save()
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
        raise ValidationError({"team_id": "The team ID cannot change once the team has been published."})
    _apply(current, fields)
    team_validate(current)
    current.revision += 1
    current.save()
    if members is not None:
        _set_members(current, _normalise_members(members))
    draft_save(kind=kind, obj=current, actor=actor, note=note)
    return current


def team_restore(team: Team, config: dict) -> None:
    """Set the working copy (fields and members) from a versioned team configuration."""
    config = dict(config)
    model = config.pop("model", None) or {}
    team.name = config.pop("name", team.name)
    team.mode = normalize_team_mode(config.pop("mode", team.mode))
    team.description = config.pop("description", None) or ""
    team.instructions = list(config.pop("instructions", None) or [])
    team.model_provider = normalize_provider(model.get("provider", "")) if model else ""
    team.model_name = model.get("id", "") if model else ""
    team.model_settings = dict(model.get("params") or {}) if model else {}
    members = config.pop("members", [])
    config.pop("id", None)
    team.parameters = {
        k: v for k, v in config.items() if not (k in DEFAULT_TEAM_PARAMETERS and v == DEFAULT_TEAM_PARAMETERS[k])
    }
    agents = {a.agent_id: a for a in Agent.objects.filter(agent_id__in=[m["agent_id"] for m in members])}
    missing = [m["agent_id"] for m in members if m["agent_id"] not in agents]
    if missing:
        raise ValidationError({"members": f"Unknown agent(s): {', '.join(missing)}."})
    if team.pk:
        _set_members(team, _normalise_members([(agents[m["agent_id"]], m["position"]) for m in members]))


def _team_validate_live(team: Team, config: dict) -> None:
    """Every member must exist, be active and have a published version: the runtime inlines them."""
    member_ids = [m["agent_id"] for m in config.get("members", [])]
    if not member_ids:
        raise ValidationError({"members": "A team needs at least one member before it can go live."})
    active = set(Agent.objects.filter(agent_id__in=member_ids, is_active=True).values_list("agent_id", flat=True))
    published = set(
        ComponentVersion.objects.filter(
            component_type="agent", component_id__in=member_ids, status=VersionStatus.PUBLISHED
        ).values_list("component_id", flat=True)
    )
    problems = []
    for agent_id in member_ids:
        if agent_id not in active:
            problems.append(f"{agent_id} is missing or inactive")
        elif agent_id not in published:
            problems.append(f"{agent_id} has no published version yet")
    if problems:
        raise ValidationError({"members": f"Members not ready: {'; '.join(problems)}."})


TEAM_KIND = ComponentKind(
    type="team",
    model=Team,
    id_field="team_id",
    snapshot=team_config,
    restore=team_restore,
    validate_live=_team_validate_live,
)
