"""Reads for agents."""

from __future__ import annotations

from typing import Any

from agents.models import Agent
from common.agno_spec import DEFAULT_AGENT_PARAMETERS


def agent_config(agent: Agent) -> dict:
    """The agent's runtime configuration in Agno's parameter names (``Agent(**config)`` after the model
    is resolved). Built from the working copy; what the runtime gets is the published snapshot of it."""
    config: dict[str, Any] = {
        "id": agent.agent_id,
        "name": agent.name,
        "description": agent.description or None,
        "role": agent.role or None,
        "instructions": list(agent.instructions or []),
        "system_message": agent.system_prompt or None,
        "model": {
            "provider": agent.model_provider,
            "id": agent.model_name,
            "params": dict(agent.model_settings or {}),
        },
        "tools": list(agent.tools or []),
    }
    config.update(DEFAULT_AGENT_PARAMETERS)
    config.update(agent.parameters or {})
    return config


def agent_list():
    return Agent.objects.order_by("name", "agent_id")
