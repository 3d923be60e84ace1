"""Reads for teams."""

from __future__ import annotations

from typing import Any

from agents.selectors import component_tools
from common.agno_spec import DEFAULT_TEAM_PARAMETERS
from prompts.selectors import expand_prompt_config
from teams.models import Team


def team_members(team: Team) -> list[dict]:
    """The team's members as ``{"agent_id", "position"}`` in position order (one query)."""
    return [
        {"agent_id": agent_id, "position": position}
        for agent_id, position in team.memberships.order_by("position").values_list("agent__agent_id", "position")
    ]


def team_config(team: Team) -> dict:
    """The team's configuration as it is versioned: its own settings and its members by agent ID.

    The runtime document replaces each member by that agent's currently published configuration.
    """
    config: dict[str, Any] = {
        "id": team.team_id,
        "name": team.name,
        "mode": team.mode,
        "description": team.description or None,
        "instructions": list(team.instructions or []),
        "model": (
            {"provider": team.model_provider, "id": team.model_name, "params": dict(team.model_settings or {})}
            if team.model_provider
            else None
        ),
        "members": team_members(team),
    }
    config.update(DEFAULT_TEAM_PARAMETERS)
    config.update(team.parameters or {})
    tools = component_tools(team)  # the leader's tools, from the catalogue (absent when it has none)
    if tools:
        config["tools"] = tools
    return expand_prompt_config(config)


def team_list():
    return Team.objects.order_by("name", "team_id")
