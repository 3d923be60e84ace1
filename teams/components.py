"""How a team is versioned: its component kind — the snapshot that becomes a version's configuration (members
by agent id), the restore that rollback and import use, and the rule that guards going live. Registered with
versioning in ``TeamsConfig.ready()``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from agents.models import Agent
from prompts.services import check_prompts
from teams.models import Team
from teams.selectors import team_config
from teams.services import team_restore
from versioning.components import ComponentKind
from versioning.models import ComponentVersion, VersionStatus


def _validate_live(team: Team, config: dict) -> None:
    """Every member must exist, be active and have a published version: the runtime inlines them."""
    member_ids = [m["agent_id"] for m in config.get("members", [])]
    if not member_ids:
        raise ValidationError({"members": gettext("A team needs at least one member before it can go live.")})
    active = set(Agent.objects.filter(agent_id__in=member_ids, is_active=True).values_list("agent_id", flat=True))
    published = set(
        ComponentVersion.objects.filter(
            component_type="agent", component_id__in=member_ids, status=VersionStatus.PUBLISHED
        ).values_list("component_id", flat=True)
    )
    problems = []
    for agent_id in member_ids:
        if agent_id not in active:
            problems.append(gettext("%(agent)s is missing or inactive") % {"agent": agent_id})
        elif agent_id not in published:
            problems.append(gettext("%(agent)s has no published version yet") % {"agent": agent_id})
    if problems:
        raise ValidationError(
            {"members": gettext("Members not ready: %(problems)s.") % {"problems": "; ".join(problems)}}
        )
    check_prompts(config)


TEAM_KIND = ComponentKind(
    type="team",
    model=Team,
    id_field="team_id",
    snapshot=team_config,
    restore=team_restore,
    validate_live=_validate_live,
    references=lambda config: [("agent", m["agent_id"], f"member {m['agent_id']}") for m in config.get("members", [])],
)
