"""Each agent's tool list becomes catalogue entries and ordered links.

A tool name becomes one catalogue entry. When agents declared the same name differently, the definition most
of them used (the first seen on a tie) is the catalogue's; an agent that said something else keeps it on its
link — another description as the link's description, other parameters in the link's settings — so its
configuration stays what it was. The one exception: an agent that gave no description where the catalogue's
definition has one now shows the catalogue's (in its next draft; published versions are never touched). Anything
else a tool carried (a toolkit's ``instructions``) is the link's settings.
"""

import json
from collections import Counter

from django.db import migrations

EMPTY_PARAMETERS = {"type": "object", "properties": {}, "required": []}
NOTE = "Moved from the agents' tool lists into the catalogue"


def _parts(spec):
    if isinstance(spec, str):
        return spec, "", None, {}
    spec = dict(spec)
    name = spec.pop("name")
    description = spec.pop("description", None) or ""
    parameters = spec.pop("parameters", None)
    return name, description, parameters, spec


def _normal(parameters):
    return EMPTY_PARAMETERS if not parameters else parameters


def _for_catalogue(parameters):
    """What the catalogue can hold (a JSON Schema of an object): older lists were not checked, so a schema without
    a type is given one, and anything else leaves the catalogue's empty (the component keeps its own on its link)."""
    parameters = _normal(parameters)
    if not isinstance(parameters, dict):
        return EMPTY_PARAMETERS
    if "type" not in parameters:
        return {"type": "object", **parameters}
    return parameters if parameters.get("type") == "object" else EMPTY_PARAMETERS


def _key(description, parameters):
    return json.dumps([description, _normal(parameters)], sort_keys=True)


def forwards(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    Tool = apps.get_model("agents", "Tool")
    ToolVersion = apps.get_model("agents", "ToolVersion")
    AgentTool = apps.get_model("agents", "AgentTool")
    agents = list(Agent.objects.order_by("created_at", "agent_id"))
    definitions: dict[str, Counter] = {}
    first_seen: dict[str, dict[str, tuple]] = {}
    for agent in agents:
        for spec in agent.tools or []:
            name, description, parameters, _ = _parts(spec)
            key = _key(description, parameters)
            definitions.setdefault(name, Counter())[key] += 1
            first_seen.setdefault(name, {}).setdefault(key, (description, _for_catalogue(parameters)))
    tools = {}
    for name, counts in definitions.items():
        order = list(first_seen[name])
        best = max(counts, key=lambda key: (counts[key], -order.index(key)))
        description, parameters = first_seen[name][best]
        tool = Tool.objects.create(
            name=name,
            description=description,
            parameters=parameters,
            source="toolkit" if name.endswith("Tools") else "function",
            version=1,
        )
        definition = {
            "name": name,
            "description": description,
            "parameters": parameters,
            "source": tool.source,
            "category": "",
            "owner": "",
        }
        ToolVersion.objects.create(tool=tool, version=1, definition=definition, change_note=NOTE)
        tools[name] = tool
    for agent in agents:
        for position, spec in enumerate(agent.tools or [], start=1):
            name, description, parameters, config = _parts(spec)
            tool = tools[name]
            override = description if description and description != tool.description else ""
            if _normal(parameters) != tool.parameters:
                config["parameters"] = _normal(parameters)
            AgentTool.objects.create(agent=agent, tool=tool, position=position, description=override, config=config)


def backwards(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    AgentTool = apps.get_model("agents", "AgentTool")
    for agent in Agent.objects.all():
        tools = []
        for link in AgentTool.objects.filter(agent=agent).select_related("tool").order_by("position"):
            tool = {"name": link.tool.name}
            description = link.description or link.tool.description
            if description:
                tool["description"] = description
            parameters = link.config.get("parameters", link.tool.parameters)
            if parameters and parameters != EMPTY_PARAMETERS:
                tool["parameters"] = parameters
            tool.update({k: v for k, v in link.config.items() if k != "parameters"})
            tools.append(tool["name"] if set(tool) == {"name"} else tool)
        agent.tools = tools
        agent.save(update_fields=["tools"])


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0002_tool_catalogue"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
