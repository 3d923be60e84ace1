"""A team's Agno ``tools`` (kept among its other parameters until now) become catalogue links, as
``agents.0003`` did for agents: a name the catalogue has is linked (another description, other parameters and
any other setting stay on the link), a new name becomes a catalogue tool. What a team declared stays its own; a
bare name (or a tool without a description) takes the catalogue's description, which its next draft then shows."""

from django.db import migrations

EMPTY_PARAMETERS = {"type": "object", "properties": {}, "required": []}
NOTE = "Moved from the teams' parameters into the catalogue"


def _parts(spec):
    if isinstance(spec, str):
        return spec, "", None, {}
    spec = dict(spec)
    name = spec.pop("name")
    return name, spec.pop("description", None) or "", spec.pop("parameters", None), spec


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


def forwards(apps, schema_editor):
    Team = apps.get_model("teams", "Team")
    Tool = apps.get_model("agents", "Tool")
    ToolVersion = apps.get_model("agents", "ToolVersion")
    TeamTool = apps.get_model("teams", "TeamTool")
    for team in Team.objects.order_by("created_at", "team_id"):
        specs = (team.parameters or {}).get("tools")
        if not isinstance(specs, list):
            continue
        for position, spec in enumerate(specs, start=1):
            name, description, parameters, config = _parts(spec)
            tool = Tool.objects.filter(name=name).first()
            if tool is None:
                tool = Tool.objects.create(
                    name=name,
                    description=description,
                    parameters=_for_catalogue(parameters),
                    source="toolkit" if name.endswith("Tools") else "function",
                    version=1,
                )
                definition = {
                    "name": name,
                    "description": description,
                    "parameters": tool.parameters,
                    "source": tool.source,
                    "category": "",
                    "owner": "",
                }
                ToolVersion.objects.create(tool=tool, version=1, definition=definition, change_note=NOTE)
            override = description if description and description != tool.description else ""
            if parameters is not None and _normal(parameters) != tool.parameters:
                config["parameters"] = _normal(parameters)
            TeamTool.objects.create(team=team, tool=tool, position=position, description=override, config=config)
        team.parameters = {k: v for k, v in team.parameters.items() if k != "tools"}
        team.save(update_fields=["parameters"])


def backwards(apps, schema_editor):
    Team = apps.get_model("teams", "Team")
    TeamTool = apps.get_model("teams", "TeamTool")
    for team in Team.objects.all():
        tools = []
        for link in TeamTool.objects.filter(team=team).select_related("tool").order_by("position"):
            tool = {"name": link.tool.name}
            description = link.description or link.tool.description
            if description:
                tool["description"] = description
            parameters = link.config.get("parameters", link.tool.parameters)
            if parameters and parameters != EMPTY_PARAMETERS:
                tool["parameters"] = parameters
            tool.update({k: v for k, v in link.config.items() if k != "parameters"})
            tools.append(tool["name"] if set(tool) == {"name"} else tool)
        if tools:
            team.parameters = {**team.parameters, "tools": tools}
            team.save(update_fields=["parameters"])


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0002_team_tools"),
        ("agents", "0003_tools_into_catalogue"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
