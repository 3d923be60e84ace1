"""Writes for agents. The admin, the API and the management commands all come through here."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from agents.models import Agent, AgentCapability, AgentKnowledgeDomain, Tool, ToolUser, ToolVersion
from agents.selectors import (
    capability_specs,
    knowledge_domain_specs,
    link_owner_field,
    normal_parameters,
    tool_link_for,
    tool_link_models,
    tool_spec_parts,
    tool_users,
)
from audit.services import actor_parts
from common.agno_spec import (
    DEFAULT_AGENT_PARAMETERS,
    TOOL_NAME,
    collect_errors,
    normalize_provider,
    tool_parameters_problem,
    validate_instructions,
    validate_model_settings,
    validate_parameters,
    validate_tools,
)
from common.json_limits import JSONLimitError, check_json_value
from common.services import apply_fields
from common.validators import SLUG_PATTERN
from prompts.selectors import source_config
from versioning.components import get_kind, kind_for_model
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
    "capabilities",
    "knowledge_domains",
)
CAPABILITY_KEYS = ("name", "description", "parameters")
KNOWLEDGE_DOMAIN_KEYS = ("domain", "priority", "description")
_SLUG = re.compile(SLUG_PATTERN)


def agent_validate(agent: Agent) -> None:
    """Every rule on an agent's configuration, beyond what the columns enforce."""
    errors = collect_errors(
        lambda: validate_model_settings(agent.model_settings),
        lambda: validate_instructions(agent.instructions),
        lambda: validate_tools(agent.tools),
        lambda: validate_parameters(agent.parameters, kind="agent"),
        lambda: validate_capabilities(agent.capabilities),
        lambda: validate_knowledge_domains(agent.knowledge_domains),
    )
    if errors:
        raise ValidationError(errors)
    agent.full_clean()


def _slug_problem(value: Any, what: str) -> str | None:
    """What is wrong with a capability's name or a knowledge domain's ``what`` ("name" or "domain"), or None."""
    if not isinstance(value, str) or not _SLUG.match(value) or len(value) > 100:
        if what == "domain":
            text = gettext(
                "the domain %(value)s must be lowercase letters, digits, hyphens and underscores, at most 100."
            )
        else:
            text = gettext(
                "the name %(value)s must be lowercase letters, digits, hyphens and underscores, at most 100."
            )
        return text % {"value": repr(value)}
    return None


def _description_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return gettext("the description must be text.")
    try:
        check_json_value(value)
    except JSONLimitError as exc:
        return gettext("the description: %(problem)s") % {"problem": exc}
    return None


def capability_problems(value: Any) -> list[str]:
    """What is wrong with a list of capabilities (names or ``{name, description, parameters}``), each problem
    naming the capability by its number: the rules the rows' constraints hold, said before a row is written."""
    specs = capability_specs(value)
    if not isinstance(specs, list):
        return [gettext("Capabilities must be a list.")]
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, spec in enumerate(specs, start=1):
        # Each problem starts with the capability's label and number (the import finds the file's line by it).
        label = gettext("Capability %(number)s") % {"number": number}
        if not isinstance(spec, dict):
            problems.append(
                gettext("Capability %(number)s must be a name or a mapping of name, description and parameters.")
                % {"number": number}
            )
            continue
        unknown = sorted((key for key in spec if key not in CAPABILITY_KEYS), key=str)
        if unknown:
            problems.append(
                gettext("%(label)s: unknown key “%(key)s” (a capability has %(keys)s).")
                % {"label": label, "key": unknown[0], "keys": ", ".join(CAPABILITY_KEYS)}
            )
        name = spec["name"]
        problem = _slug_problem(name, "name")
        if problem is None and name in seen:
            problem = gettext("“%(name)s” is listed twice (also capability %(other)s).") % {
                "name": name,
                "other": seen[name],
            }
        elif problem is None:
            seen[name] = number
            label = f"{label} ({name})"
        if problem:
            problems.append(f"{label}: {problem}")
        problem = _description_problem(spec["description"])
        if problem:
            problems.append(f"{label}: {problem}")
        parameters = spec["parameters"]
        if not isinstance(parameters, dict):
            problems.append(
                gettext('%(label)s: the parameters must be a JSON object, e.g. {"max_amount": 500}.') % {"label": label}
            )
        else:
            try:
                check_json_value(parameters, path="parameters")
            except JSONLimitError as exc:
                problems.append(f"{label}: {exc}")
    return problems


def knowledge_domain_problems(value: Any) -> list[str]:
    """What is wrong with a list of knowledge domains (domains, or ``{domain, priority, description}``), each
    problem naming the domain by its number."""
    specs = knowledge_domain_specs(value)
    if not isinstance(specs, list):
        return [gettext("Knowledge domains must be a list.")]
    problems: list[str] = []
    domains: dict[str, int] = {}
    priorities: dict[int, str] = {}
    for number, spec in enumerate(specs, start=1):
        # Each problem starts with the domain's label and number (the import finds the file's line by it).
        label = gettext("Knowledge domain %(number)s") % {"number": number}
        if not isinstance(spec, dict):
            problems.append(
                gettext(
                    "Knowledge domain %(number)s must be a domain or a mapping of domain, priority and description."
                )
                % {"number": number}
            )
            continue
        unknown = sorted((key for key in spec if key not in KNOWLEDGE_DOMAIN_KEYS), key=str)
        if unknown:
            problems.append(
                gettext("%(label)s: unknown key “%(key)s” (a knowledge domain has %(keys)s).")
                % {"label": label, "key": unknown[0], "keys": ", ".join(KNOWLEDGE_DOMAIN_KEYS)}
            )
        domain = spec["domain"]
        problem = _slug_problem(domain, "domain")
        if problem is None and domain in domains:
            problem = gettext("“%(domain)s” is listed twice.") % {"domain": domain}
        elif problem is None:
            domains[domain] = number
            label = f"{label} ({domain})"
        if problem:
            problems.append(f"{label}: {problem}")
        priority = spec["priority"]
        if type(priority) is not int or priority < 1:
            problems.append(
                gettext("%(label)s: the priority must be a whole number from 1, not %(priority)s.")
                % {"label": label, "priority": repr(priority)}
            )
        elif priority in priorities:
            problems.append(
                gettext("%(label)s: priority %(priority)s is already %(owner)s's.")
                % {"label": label, "priority": priority, "owner": priorities[priority]}
            )
        else:
            priorities[priority] = (
                domain if isinstance(domain, str) else gettext("domain %(number)s") % {"number": number}
            )
        problem = _description_problem(spec["description"])
        if problem:
            problems.append(f"{label}: {problem}")
    return problems


def validate_capabilities(value: Any) -> None:
    problems = capability_problems(value)
    if problems:
        raise ValidationError({"capabilities": problems})


def validate_knowledge_domains(value: Any) -> None:
    problems = knowledge_domain_problems(value)
    if problems:
        raise ValidationError({"knowledge_domains": problems})


def _rows_replace(agent: Agent, relation: str, rows: list) -> None:
    getattr(agent, relation).all().delete()
    for row in rows:
        row.full_clean(exclude=["agent"], validate_constraints=False)  # the constraints: the database's, at insert
    if rows:
        type(rows[0]).objects.bulk_create(rows)
    getattr(agent, "_prefetched_objects_cache", {}).pop(relation, None)


def agent_rows_set(agent: Agent) -> None:
    """Write the capabilities and knowledge domains set on ``agent`` (``agent.capabilities = [...]``, validated
    by ``agent_validate``) into its rows; what was not set is left as it is."""
    if agent._pending_capabilities is not None:
        specs = capability_specs(agent._pending_capabilities)
        capabilities = [
            AgentCapability(agent=agent, position=position, **spec) for position, spec in enumerate(specs, start=1)
        ]
        _rows_replace(agent, "capability_rows", capabilities)
        agent._pending_capabilities = None
    if agent._pending_knowledge_domains is not None:
        specs = knowledge_domain_specs(agent._pending_knowledge_domains)
        domains = [AgentKnowledgeDomain(agent=agent, **spec) for spec in specs]
        _rows_replace(agent, "knowledge_domain_rows", domains)
        agent._pending_knowledge_domains = None


def tool_links_set(owner: ToolUser, *, actor: Any, note: str) -> None:
    """Write the tool list set on an agent or a team (``owner.tools = [...]``) into its catalogue links: a name
    the catalogue has is linked (see ``agents.selectors.tool_link_for``), a new one becomes a catalogue tool."""
    specs = owner._pending_tools
    if specs is None:
        return
    link_model = owner.tool_links.model  # type: ignore[attr-defined]
    owner_field = link_owner_field(link_model)
    names = [tool_spec_parts(spec)[0] for spec in specs]
    tools = Tool.objects.in_bulk(names, field_name="name")
    links = []
    for spec, name in zip(specs, names):
        tool = tools.get(name)
        if tool is None:
            _, description, parameters, _ = tool_spec_parts(spec)
            tool = tools[name] = tool_create(
                actor=actor,
                note=note or f"Added with {owner}",
                name=name,
                description=description,
                parameters=normal_parameters(parameters),
            )
        links.append(tool_link_for(tool, spec, link_model))
    owner.tool_links.all().delete()  # type: ignore[attr-defined]
    for position, link in enumerate(links, start=1):
        setattr(link, owner_field, owner)
        link.position = position
        link.full_clean()
    link_model.objects.bulk_create(links)
    owner._pending_tools = None


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
    tool_links_set(agent, actor=actor, note=note)
    agent_rows_set(agent)
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
        raise ValidationError({"agent_id": gettext("The agent ID cannot change once the agent has been published.")})
    _apply(current, fields)
    agent_validate(current)
    current.revision += 1
    current.save()
    tool_links_set(current, actor=actor, note=note)
    agent_rows_set(current)
    draft_save(kind=kind, obj=current, actor=actor, note=note)
    return current


def agent_restore(agent: Agent, config: dict) -> None:
    """Set the working copy's fields from a runtime configuration (used by rollback and import)."""
    config = source_config(config)  # the prompt texts as written, fragments and variables unexpanded
    model = config.pop("model", None) or {}
    agent.name = config.pop("name", agent.name)
    agent.description = config.pop("description", None) or ""
    agent.role = config.pop("role", None) or ""
    agent.instructions = list(config.pop("instructions", None) or [])
    agent.system_prompt = config.pop("system_message", None) or ""
    agent.tools = list(config.pop("tools", None) or [])
    agent.capabilities = list(config.pop("capabilities", None) or [])
    agent.knowledge_domains = list(config.pop("knowledge_domains", None) or [])
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
    if not agent._state.adding:  # rollback and discard save the restored fields themselves: the links are written here
        validate_tools(agent.tools)
        validate_capabilities(agent.capabilities)
        validate_knowledge_domains(agent.knowledge_domains)
        tool_links_set(agent, actor=None, note=f"Restored with agent {agent.agent_id}")
        agent_rows_set(agent)


# --- The tool catalogue ---------------------------------------------------------------------------------

TOOL_FIELDS = ("name", "description", "parameters", "source", "category", "owner")


def tool_validate(tool: Tool) -> None:
    """Every rule on a catalogue tool: a name the model providers accept, parameters that are a JSON Schema
    of an object, then the columns' own rules."""
    errors: dict[str, list[str]] = {}
    if not isinstance(tool.name, str) or not TOOL_NAME.fullmatch(tool.name or ""):
        errors["name"] = [
            gettext(
                "Use letters, digits, underscores and hyphens only, at most 64 (the name the runtime's "
                "registry knows the tool by)."
            )
        ]
    problem = tool_parameters_problem(tool.parameters)
    if problem:
        errors["parameters"] = [problem[0].upper() + problem[1:]]
    if errors:
        raise ValidationError(errors)
    tool.full_clean()


def _record_version(tool: Tool, *, actor: Any, note: str) -> ToolVersion:
    user, name = actor_parts(actor)
    return ToolVersion.objects.create(
        tool=tool,
        version=tool.version,
        definition=tool.definition(),
        change_note=note,
        created_by=user,
        created_by_name=name,
    )


@transaction.atomic
def tool_create(*, actor: Any, note: str = "", **fields) -> Tool:
    """Add a tool to the catalogue, as its version 1."""
    tool = Tool()
    apply_fields(tool, fields, editable=TOOL_FIELDS, label="A tool")
    if not tool.parameters:
        tool.parameters = normal_parameters(None)
    tool_validate(tool)
    tool.version = 1
    tool.save()
    _record_version(tool, actor=actor, note=note or "Added to the catalogue")
    return tool


@transaction.atomic
def tool_update(*, tool: Tool, actor: Any, note: str, **fields) -> Tool:
    """Change a catalogue tool: a new tool version, and a draft for every agent that uses it (what the runtime
    serves changes only when each agent is published). Nothing happens when nothing changed."""
    current = Tool.objects.select_for_update().get(pk=tool.pk)
    before = current.definition()
    apply_fields(current, fields, editable=TOOL_FIELDS, label="A tool")
    if current.definition() == before:
        return current
    note = (note or "").strip()
    if not note:
        raise ValidationError({"change_note": gettext("Say why: a change note is required.")})
    tool_validate(current)
    current.version += 1
    current.save()
    _record_version(current, actor=actor, note=note)
    for _, _, owner_model in tool_link_models():  # agents and teams (the teams app is above this one)
        kind = kind_for_model(owner_model)
        owners = owner_model.objects.select_for_update().filter(tool_links__tool=current).order_by(kind.id_field)
        for owner in owners:
            # Its configuration names the tool's definition: its draft now holds the new one, and an editor who
            # opened it before this change must reload (its revision moves).
            owner.revision += 1
            owner.save(update_fields=["revision", "updated_at"])
            draft_save(kind=kind, obj=owner, actor=actor, note=f"Tool {current.name} v{current.version}: {note}")
    return current


@transaction.atomic
def tool_delete(*, tool: Tool, actor: Any) -> None:
    """Remove a tool nobody uses from the catalogue (the versions that named it keep their copy)."""
    users = tool_users(tool)
    if users:
        kinds = {"agent": gettext("agent"), "team": gettext("team")}
        named = [
            f"{kinds.get(kind, kind)} {component_id}" for kind, _, component_id in (u.partition(" ") for u in users)
        ]
        raise ValidationError(
            gettext("%(tool)s is used by %(users)s: remove it from them first."),
            code="tool_in_use",
            params={"tool": tool.name, "users": ", ".join(named)},
        )
    tool.delete()
