"""teams.0003: a team's Agno tools, kept among its parameters before the catalogue, become catalogue links; what
the team declared stays its own, and a bare name takes the catalogue's definition."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("teams", "0002_team_tools")]
AFTER = [("teams", "0003_team_tools_into_catalogue")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_team_tools_into_catalogue__matched_or_created__configuration_unchanged():
    from agents.services import tool_create

    tool_create(actor="t", name="card_lookup", description="Finds a card")
    tools = ["card_lookup", {"name": "escalate", "description": "Hands over to a person"}]
    old = _migrate(BEFORE)
    Team = old.get_model("teams", "Team")
    Team.objects.create(team_id="router", name="Router", mode="route", parameters={"markdown": True, "tools": tools})
    try:
        _migrate(AFTER)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    from agents.models import Tool
    from teams.models import Team as CurrentTeam
    from teams.selectors import team_config

    team = CurrentTeam.objects.get(team_id="router")
    assert team.parameters == {"markdown": True}
    assert [link.tool.name for link in team.tool_links.select_related("tool")] == ["card_lookup", "escalate"]
    assert Tool.objects.get(name="escalate").versions.count() == 1
    assert team_config(team)["tools"] == [
        {"name": "card_lookup", "description": "Finds a card"},  # a bare name is the catalogue's tool
        {"name": "escalate", "description": "Hands over to a person"},
    ]
