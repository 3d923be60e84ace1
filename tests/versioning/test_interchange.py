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
    assert "Exported 4 components" in out
    pix = json.loads((tmp_path / "agents" / "pix-specialist.json").read_text(encoding="utf-8"))
    assert pix["model"] == {
        "provider": "Anthropic",
        "name": "Claude",
        "id": "claude-sonnet-4-20250514",
        "temperature": 0.3,
        "max_tokens": 1500,
    }
    assert pix["tools"] == [
        {"name": "pix_transaction_lookup", "parameters": {"type": "object", "properties": {}, "required": []}}
    ]
    team = json.loads((tmp_path / "teams" / "customer-service-router.json").read_text(encoding="utf-8"))
    assert (
        team["members"][0] == {"type": "agent", "agent_id": "cards-specialist"}
        and "components" not in team["metadata"]["hive"]
    )

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
    assert config["model"] == {
        "provider": "anthropic",
        "id": "claude-sonnet-4-20250514",
        "params": {
            "temperature": 0.2,
            "max_tokens": 900,
            "cache_system_prompt": False,
            "extended_cache_time": False,
            "cache_tools": False,
        },
    }
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


# --- Agno's own component store (read only) ----------------------------------------------------------

AGNO_COMPONENT_DDL = """
CREATE SCHEMA IF NOT EXISTS agno;
CREATE TABLE agno.agno_components (
    component_id varchar PRIMARY KEY, component_type varchar NOT NULL, name varchar, user_id varchar,
    description text, current_version integer, metadata jsonb, created_at bigint NOT NULL, updated_at bigint,
    deleted_at bigint
);
CREATE TABLE agno.agno_component_configs (
    component_id varchar NOT NULL REFERENCES agno.agno_components (component_id), version integer NOT NULL,
    label varchar, stage varchar NOT NULL DEFAULT 'draft', config jsonb NOT NULL, notes text,
    created_at bigint NOT NULL, updated_at bigint, deleted_at bigint, PRIMARY KEY (component_id, version)
);
"""


def _agno_store(rows):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(AGNO_COMPONENT_DDL)
        for component_id, kind, current, configs in rows:
            cursor.execute(
                "INSERT INTO agno.agno_components (component_id, component_type, current_version, created_at) VALUES (%s, %s, %s, 1)",
                [component_id, kind, current],
            )
            for version, stage, config in configs:
                cursor.execute(
                    "INSERT INTO agno.agno_component_configs (component_id, version, stage, config, created_at) VALUES (%s, %s, %s, %s, 1)",
                    [component_id, version, stage, json.dumps(config)],
                )
        cursor.execute("SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM agno.agno_component_configs t")
        return cursor.fetchone()[0]


def test_import_from_agno_db__published_configs_become_drafts_and_agno_tables_are_untouched(db):
    from agno.agent import Agent
    from agno.models.openai import OpenAIChat
    from agno.team import Team

    v1 = Agent(
        id="faq", name="FAQ", model=OpenAIChat(id="gpt-4o-mini", temperature=0.1, max_tokens=500), instructions=["v1"]
    )
    v2 = Agent(
        id="faq", name="FAQ", model=OpenAIChat(id="gpt-4o-mini", temperature=0.2, max_tokens=500), instructions=["v2"]
    )
    draft = Agent(id="faq", name="FAQ draft", model=OpenAIChat(id="gpt-4o-mini"), instructions=["draft"])
    team = Team(id="help", name="Help", members=[v2], mode="route", model=OpenAIChat(id="gpt-4o"))
    before = _agno_store([
        ("faq", "agent", 2, [(1, "published", v1.to_dict()), (2, "published", v2.to_dict()), (3, "draft", draft.to_dict())]),
        ("help", "team", 1, [(1, "published", team.to_dict())]),
    ])  # fmt: skip

    out = run("import_components", "--from-agno-db")
    assert "agent faq: created" in out and "team help: created" in out
    faq = component_status("agent", "faq")
    assert faq.published is None  # drafts only: people review and publish in the portal
    assert faq.draft.config["instructions"] == ["v2"] and faq.draft.config["model"]["params"] == {
        "temperature": 0.2,
        "max_tokens": 500,
    }
    assert component_status("team", "help").draft.config["members"] == [{"agent_id": "faq", "position": 1}]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM agno.agno_component_configs t")
        assert cursor.fetchone()[0] == before


def test_import_from_agno_db__no_agno_tables__clear_error(db):
    with pytest.raises(CommandError, match="Agno's component tables .* are not there"):
        run("import_components", "--from-agno-db", "--agno-schema", "nowhere")
