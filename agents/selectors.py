"""Reads for agents."""

from __future__ import annotations

from typing import Any

from agents.models import (
    EMPTY_PARAMETERS,
    Agent,
    AgentCapability,
    AgentKnowledgeDomain,
    AgentTool,
    Tool,
    ToolLinkMixin,
    ToolUser,
)
from common.agno_spec import DEFAULT_AGENT_PARAMETERS
from prompts.selectors import expand_prompt_config


def tool_spec_parts(spec: Any) -> tuple[str, str, dict | None, dict]:
    """A tool in the portal's format as (name, description, parameters or None, the other settings)."""
    if isinstance(spec, str):
        return spec, "", None, {}
    spec = dict(spec)
    name = spec.pop("name")
    description = spec.pop("description", None) or ""
    parameters = spec.pop("parameters", None)
    return name, description, parameters, spec


def normal_parameters(parameters: dict | None) -> dict:
    return EMPTY_PARAMETERS if not parameters else parameters


def tool_link_for(tool: Tool, spec: Any, link_model: type = AgentTool) -> Any:
    """How a component that declares ``spec`` uses the catalogue's ``tool`` (an unsaved ``link_model`` row): a
    description other than the catalogue's is the link's own; parameters other than the catalogue's (kept so that
    a rollback or an import restores exactly what a version said) and any other setting are the link's settings. A
    spec without parameters takes the catalogue's."""
    _, description, parameters, config = tool_spec_parts(spec)
    if parameters is not None and normal_parameters(parameters) != normal_parameters(tool.parameters):
        config["parameters"] = normal_parameters(parameters)
    override = description if description and description != tool.description else ""
    return link_model(tool=tool, description=override, config=config)


def component_tools(owner: ToolUser) -> list:
    """An agent's or team's tools in the portal's format: from its links, or — while a service, a form or an
    import has set a new list that is not written yet — that list as the catalogue would hold it."""
    pending = owner._pending_tools
    if pending is None:
        return owner.tools
    link_model = owner.tool_links.model  # type: ignore[attr-defined]
    names = [tool_spec_parts(spec)[0] for spec in pending]
    tools = Tool.objects.in_bulk(names, field_name="name")
    return [
        tool_link_for(tools[name], spec, link_model).portal_tool() if name in tools else spec
        for spec, name in zip(pending, names)
    ]


agent_tools = component_tools


def link_owner_field(link_model) -> str:
    """The name of a tool link's foreign key to its agent or team."""
    return next(field.name for field in link_model._meta.fields if field.many_to_one and field.name != "tool")


def tool_list():
    return Tool.objects.order_by("name")


def tool_link_models() -> list[tuple[Any, str, Any]]:
    """Every kind of link to the catalogue (agents', teams' — apps above this one add theirs), as
    (link model, the name of its foreign key to the component, the component's model)."""
    found: list[tuple[Any, str, Any]] = []
    for relation in Tool._meta.related_objects:
        link_model: Any = relation.related_model
        meta: Any = link_model._meta
        if isinstance(link_model, type) and issubclass(link_model, ToolLinkMixin):
            owner = link_owner_field(link_model)
            found.append((link_model, owner, meta.get_field(owner).related_model))
    return found


def tool_users(tool: Tool) -> list[str]:
    """Who uses ``tool``, as "agent cards" / "team router", sorted."""
    users = []
    for link_model, owner, owner_model in tool_link_models():
        id_field = f"{owner_model._meta.model_name}_id"  # agent_id / team_id: the component's slug
        for component_id in link_model.objects.filter(tool=tool).values_list(f"{owner}__{id_field}", flat=True):
            # The model's name, not its (translated) verbose name: the tool service's refusal quotes this list,
            # and it stays English (the API gives it too).
            users.append(f"{owner_model._meta.model_name} {component_id}")
    return sorted(users)


def capability_specs(value: Any) -> Any:
    """Capabilities as the configuration holds them: ``{name, description, parameters}`` each, in order. A bare
    name is a capability without description or parameters; what is not a name or a mapping is left as it is,
    for ``agents.services.agent_validate`` to name."""
    if not isinstance(value, list):
        return value
    specs: list = []
    for spec in value:
        if isinstance(spec, str):
            spec = {"name": spec}
        if isinstance(spec, dict):
            spec = {"name": spec.get("name"), "description": "", "parameters": {}, **spec}
            spec.update(
                {key: default for key, default in (("description", ""), ("parameters", {})) if spec[key] is None}
            )
        specs.append(spec)
    return specs


def knowledge_domain_specs(value: Any) -> Any:
    """Knowledge domains as the configuration holds them: ``{domain, priority, description}`` each, by priority.
    A bare domain takes its place in the list as its priority."""
    if not isinstance(value, list):
        return value
    specs: list = []
    for place, spec in enumerate(value, start=1):
        if isinstance(spec, str):
            spec = {"domain": spec, "priority": place}
        if isinstance(spec, dict):
            spec = {"domain": spec.get("domain"), "priority": spec.get("priority"), "description": "", **spec}
            if spec["description"] is None:
                spec["description"] = ""
        specs.append(spec)
    if all(isinstance(s, dict) and type(s["priority"]) is int for s in specs):
        specs.sort(key=lambda s: s["priority"])
    return specs


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
        "tools": agent_tools(agent),
    }
    # Left out when empty, so the configurations (and content hashes) of agents without them stay as they were.
    capabilities = capability_specs(agent.capabilities)
    if capabilities:
        config["capabilities"] = capabilities
    domains = knowledge_domain_specs(agent.knowledge_domains)
    if domains:
        config["knowledge_domains"] = domains
    config.update(DEFAULT_AGENT_PARAMETERS)
    config.update(agent.parameters or {})
    return expand_prompt_config(config)


def agent_list():
    return Agent.objects.order_by("name", "agent_id")


def capability_names():
    """Every capability name some agent has, sorted (the admin's filter choices)."""
    return AgentCapability.objects.order_by("name").values_list("name", flat=True).distinct()


def knowledge_domain_names():
    """Every knowledge domain some agent lists, sorted (the admin's filter choices)."""
    return AgentKnowledgeDomain.objects.order_by("domain").values_list("domain", flat=True).distinct()
