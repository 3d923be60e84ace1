"""Agno component interchange: Agno's own serialized components (Agent/Team.to_dict() JSON) in and out."""

from __future__ import annotations

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from versioning.selectors import component_status

os.environ.setdefault("AGNO_TELEMETRY", "false")

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def demo(db):
    from hive_portal.demo import load_demo

    load_demo(StringIO())


def test_export_agno__to_dict_json_that_imports_back_unchanged(demo, tmp_path):
    out = run("export_components", str(tmp_path), "--format", "agno")
    assert "Exported 4 component(s)" in out
    pix = json.loads((tmp_path / "agents" / "pix-specialist.json").read_text(encoding="utf-8"))
    assert pix["model"] == {"provider": "Anthropic", "name": "Claude", "id": "claude-sonnet-4-20250514", "temperature": 0.3, "max_tokens": 1500}
    assert pix["tools"] == [{"name": "pix_transaction_lookup", "parameters": {"type": "object", "properties": {}, "required": []}}]
    team = json.loads((tmp_path / "teams" / "customer-service-router.json").read_text(encoding="utf-8"))
    assert team["members"][0] == {"type": "agent", "agent_id": "cards-specialist"} and "components" not in team["metadata"]["hive"]

    report = run("import_components", str(tmp_path), "--publish")
    assert "4 unchanged" in report  # lossless: every configuration hashes the same


def test_import_agno__an_agno_agent_and_team_serialized_by_agno_itself(db, tmp_path):
    from agno.agent import Agent
    from agno.models.anthropic import Claude
    from agno.team import Team

    def lookup(order_id: str) -> str:
        """Look an order up."""
        return "ok"

    agent = Agent(
        id="orders", name="Orders", model=Claude(id="claude-sonnet-4-20250514", temperature=0.2, max_tokens=900),
        instructions=["Be brief."], tools=[lookup], markdown=True, update_memory_on_run=True,
    )  # fmt: skip
    team = Team(id="desk", name="Desk", members=[agent], mode="route", model=Claude(id="claude-sonnet-4-20250514"))
    (tmp_path / "orders.json").write_text(json.dumps(agent.to_dict()), encoding="utf-8")
    (tmp_path / "desk.json").write_text(json.dumps(team.to_dict()), encoding="utf-8")
    (tmp_path / "package.json").write_text('{"name": "not-a-component"}', encoding="utf-8")

    out = run("import_components", str(tmp_path), "--publish")
    assert "agent orders: created" in out and "team desk: created" in out and "package.json: skipped" in out
    config = component_status("agent", "orders").published.config
    assert config["model"] == {"provider": "anthropic", "id": "claude-sonnet-4-20250514", "params": {"temperature": 0.2, "max_tokens": 900, "cache_system_prompt": False, "extended_cache_time": False, "cache_tools": False}}
    assert config["tools"][0]["name"] == "lookup" and config["tools"][0]["description"] == "Look an order up."
    assert config["markdown"] is True and config["update_memory_on_run"] is True
    team_config = component_status("team", "desk").published.config
    assert team_config["members"] == [{"agent_id": "orders", "position": 1}] and team_config["mode"] == "route"


def test_import_agno__team_member_team__refused_at_its_line(db, tmp_path):
    (tmp_path / "t.json").write_text(
        '{\n  "id": "outer",\n  "name": "Outer",\n  "mode": "route",\n  "members": [\n    {"type": "team", "team_id": "inner"}\n  ]\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=r"t.json:6: member 1: the portal's teams have agent members only"):
        run("import_components", str(tmp_path))
