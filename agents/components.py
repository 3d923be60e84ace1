"""How an agent is versioned: its component kind — the snapshot that becomes a version's configuration, the
restore that rollback and import use, and the rules that guard going live, deactivation and deletion.
Registered with versioning in ``AgentsConfig.ready()``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from agents.models import Agent
from agents.selectors import agent_config
from agents.services import agent_restore
from prompts.services import check_prompts
from versioning.components import ComponentKind


def _validate_live(agent: Agent, config: dict) -> None:
    check_prompts(config)


def _check_deactivate(agent: Agent) -> None:
    teams = sorted(agent.memberships.filter(team__is_active=True).values_list("team__team_id", flat=True))
    if teams:
        raise ValidationError(
            gettext(
                "%(agent)s is a member of the active team(s) %(teams)s: "
                "remove it from them (and publish) or deactivate them first."
            ),
            code="member_of_active_team",
            params={"agent": agent.agent_id, "teams": ", ".join(teams)},
        )


def _check_delete(agent: Agent) -> None:
    teams = sorted(agent.memberships.values_list("team__team_id", flat=True))
    if teams:
        raise ValidationError(
            gettext("%(agent)s is a member of team(s) %(teams)s: remove it from them first."),
            code="member_of_team",
            params={"agent": agent.agent_id, "teams": ", ".join(teams)},
        )


AGENT_KIND = ComponentKind(
    type="agent",
    model=Agent,
    id_field="agent_id",
    snapshot=agent_config,
    restore=agent_restore,
    validate_live=_validate_live,
    check_deactivate=_check_deactivate,
    check_delete=_check_delete,
)
