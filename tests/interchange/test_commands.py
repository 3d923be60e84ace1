"""The YAML import and export commands, against the real database."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agents.models import Agent
from audit.models import AuditAction, AuditRecord
from common.hashing import canonical_hash
from interchange.documents import ConfigFileErrors
from interchange.importing import components_import
from interchange.reading import read_file
from teams.models import Team
from versioning.components import get_kind
from versioning.models import ComponentVersion
from versioning.selectors import component_status
from versioning.services import component_delete

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "automagik"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def hive_dir(tmp_path):
    """A copy of the Automagik Hive fixtures laid out as Hive keeps them (ai/agents/<id>/config.yaml)."""
    for kind, name in (("agents", "template-agent"), ("teams", "template-team")):
        folder = tmp_path / "ai" / kind / name
        folder.mkdir(parents=True)
        shutil.copy(FIXTURES / f"{name}.config.yaml", folder / "config.yaml")
    return tmp_path / "ai"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _counts():
    return tuple(model.objects.count() for model in (Agent, Team, ComponentVersion, AuditRecord))


# --- import_components -------------------------------------------------------------------------


@pytest.mark.sqlite_smoke
def test_import__hive_directory__creates_drafts_with_agno_configuration(hive_dir):
    out = run("import_components", str(hive_dir), "--message", "Seed from Hive")

    assert "agent template-agent: created (draft v1)" in out
    assert "team template-team: created (draft v1)" in out
    agent = component_status("agent", "template-agent")
    assert agent.published is None
    config = agent.draft.config
    assert config["name"] == "🔧 Template Agent"
    assert config["model"] == {
        "provider": "openai-chat",
        "id": "gpt-5",
        "params": {"temperature": 0.3, "max_tokens": 4000},
    }
    assert config["add_history_to_context"] is True and config["num_history_runs"] == 30
    assert config["metadata"]["hive_source"]["version"] == 3
    assert agent.draft.change_note == "Seed from Hive"
    team = component_status("team", "template-team").draft.config
    assert team["members"] == [{"agent_id": "template-agent", "position": 1}]
    assert team["role"] == "Template Routing Specialist" and team["mode"] == "route"
    # The working copy holds what the admin shows: columns, and the rest as Agno parameters.
    row = Agent.objects.get(agent_id="template-agent")
    assert row.model_provider == "openai-chat" and row.model_settings == {"temperature": 0.3, "max_tokens": 4000}
    assert row.parameters["tool_call_limit"] == 15 and "markdown" not in row.parameters  # False is the default


def test_import__records_an_imported_audit_row_per_component(hive_dir):
    run("import_components", str(hive_dir), "-m", "Seed")
    rows = AuditRecord.objects.filter(action=AuditAction.IMPORTED).order_by("id")
    assert [(r.subject_type, r.subject_id, r.to_version) for r in rows] == [
        ("agent", "template-agent", 1),
        ("team", "template-team", 1),
    ]
    assert rows[0].actor_name.startswith("cli:")
    assert rows[0].reason.startswith("Seed (") and rows[0].reason.endswith("template-agent/config.yaml)")
    assert rows[0].diff["added"]["name"] == "🔧 Template Agent"


@pytest.mark.sqlite_smoke
def test_import__same_files_again__change_nothing(hive_dir):
    run("import_components", str(hive_dir))
    before = _counts()

    out = run("import_components", str(hive_dir))

    assert "agent template-agent: unchanged (v1)" in out and "team template-team: unchanged (v1)" in out
    assert "0 created, 0 updated, 2 unchanged" in out
    assert _counts() == before


def test_import__changed_prompt_after_publish__makes_a_new_draft(hive_dir):
    run("import_components", str(hive_dir), "--publish", "-m", "go live")
    _edit(hive_dir / "agents/template-agent/config.yaml", "Serve as a foundational template", "Serve as THE template")

    out = run("import_components", str(hive_dir), "-m", "sharper mission")

    assert "agent template-agent: updated (draft v2)" in out
    assert "team template-team: unchanged (v1)" in out
    status = component_status("agent", "template-agent")
    assert status.published.version == 1 and status.draft.version == 2
    assert "Serve as THE template" in status.draft.config["instructions"][0]
    assert "Serve as THE template" not in status.published.config["instructions"][0]


def test_import__publish__publishes_agents_before_teams_and_is_idempotent(hive_dir):
    out = run("import_components", str(hive_dir), "--publish", "-m", "go live")

    assert "agent template-agent: created (published v1)" in out
    assert "team template-team: created (published v1)" in out
    for kind, component_id in (("agent", "template-agent"), ("team", "template-team")):
        status = component_status(kind, component_id)
        assert status.published is not None and status.draft is None
    assert Agent.objects.get(agent_id="template-agent").version == "v1"
    before = _counts()
    assert "2 unchanged" in run("import_components", str(hive_dir), "--publish")
    assert _counts() == before


def test_import__version_dev_and_collaborate_mode(tmp_path, make_agent):
    make_agent("cards")
    (tmp_path / "t.yaml").write_text(
        "team:\n  team_id: squad\n  name: Squad\n  mode: collaborate\n  version: dev\nmembers: [cards]\n",
        encoding="utf-8",
    )
    run("import_components", str(tmp_path / "t.yaml"))
    config = component_status("team", "squad").draft.config
    assert config["mode"] == "broadcast"
    assert config["metadata"] == {"hive_source": {"version": "dev"}}


def test_import__unknown_team_member__refused_and_nothing_written(hive_dir):
    _edit(hive_dir / "teams/template-team/config.yaml", "- template-agent", "- template-agent\n- ghost-agent")
    before = _counts()

    with pytest.raises(CommandError) as exc:
        run("import_components", str(hive_dir))

    message = str(exc.value)
    assert "teams/template-team/config.yaml:43: team template-team: unknown member agent “ghost-agent”" in message
    assert "Nothing was imported." in message
    assert _counts() == before  # the good agent file in the same run was not imported either


@pytest.mark.sqlite_smoke
def test_import__bad_yaml_among_good_files__names_file_and_line_and_writes_nothing(hive_dir):
    bad = hive_dir / "agents" / "broken" / "config.yaml"
    bad.parent.mkdir()
    bad.write_text("agent:\n  agent_id: broken\n  name: Broken\ninstructions: [unclosed\n", encoding="utf-8")
    before = _counts()

    with pytest.raises(CommandError, match=r"agents/broken/config.yaml:5: YAML syntax error"):
        run("import_components", str(hive_dir))

    assert _counts() == before


def test_import__invalid_values__each_named_at_its_line(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "agent:\n  agent_id: cards\n  name: Cards\nmodel:\n  provider: openai\n  id: gpt-4o\n  temperature: 7\n"
        "memory:\n  num_history_runs: many\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigFileErrors) as exc:
        components_import(paths=[tmp_path], actor="t", note="n")
    assert [(Path(e.source).name, e.line) for e in exc.value.errors] == [("a.yaml", 7), ("a.yaml", 9)]
    assert "temperature must be between 0 and 2" in exc.value.errors[0].message
    assert "num_history_runs must be a" in exc.value.errors[1].message
    assert not Agent.objects.exists()


def test_import__bad_slug__named_at_the_id_line(tmp_path):
    text = "agent:\n  name: Cards\n  agent_id: Cards Agent\nmodel: openai:gpt-4o\n"
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=r"a.yaml:3: id: .*lowercase"):
        run("import_components", str(tmp_path))


def test_import__same_component_in_two_files__refused(tmp_path, hive_dir):
    shutil.copy(FIXTURES / "template-agent.config.yaml", tmp_path / "copy.yaml")
    expected = r"copy.yaml:3: agent template-agent is also in .*template-agent/config.yaml:3"
    with pytest.raises(CommandError, match=expected):
        run("import_components", str(hive_dir), str(tmp_path / "copy.yaml"))


def test_import__publish_with_a_member_that_is_only_a_draft__refused(tmp_path, make_agent):
    make_agent("cards")  # a draft, never published
    (tmp_path / "t.yaml").write_text("team:\n  team_id: squad\n  name: Squad\nmembers:\n  - cards\n", encoding="utf-8")
    before = _counts()
    with pytest.raises(CommandError, match=r"t.yaml:5: .*cards has no published version yet"):
        run("import_components", str(tmp_path), "--publish")
    assert _counts() == before


def test_import__skips_hive_workflows(tmp_path, hive_dir):
    (hive_dir / "workflows" / "w").mkdir(parents=True)
    (hive_dir / "workflows" / "w" / "config.yaml").write_text("workflow:\n  workflow_id: w\n", encoding="utf-8")
    out = run("import_components", str(hive_dir))
    assert "workflows/w/config.yaml: skipped (Automagik Hive workflows are not managed by the portal.)" in out
    assert "2 created" in out


# --- --dry-run -----------------------------------------------------------------------------------


def test_dry_run__new_components__prints_them_and_writes_nothing(hive_dir):
    before = _counts()
    out = run("import_components", str(hive_dir), "--dry-run")
    assert "agent template-agent: would be created (draft v1)" in out
    assert "    name: added 🔧 Template Agent" in out
    assert "    system_message: added" not in out  # keys added as null say nothing
    assert "Dry run: 2 created, 0 updated, 0 unchanged. Nothing was written." in out
    assert _counts() == before


def test_dry_run__changed_file__prints_the_diff_and_writes_nothing(hive_dir):
    run("import_components", str(hive_dir), "--publish", "-m", "go live")
    _edit(hive_dir / "agents/template-agent/config.yaml", "temperature: 0.3", "temperature: 0.5")
    _edit(hive_dir / "agents/template-agent/config.yaml", "tool_call_limit: 15", "tool_call_limit: 20")
    _edit(hive_dir / "agents/template-agent/config.yaml", "Serve as a foundational template", "Serve as THE template")
    before = _counts()

    out = run("import_components", str(hive_dir), "--dry-run")

    assert "agent template-agent: would be updated (draft v2)" in out
    assert "    model.params.temperature: 0.3 → 0.5" in out
    assert "    tool_call_limit: 15 → 20" in out
    assert (
        "    instructions:\n"
        "      - - **Mission**: Serve as a foundational template for creating specialized agents\n"
        "      + - **Mission**: Serve as THE template for creating specialized agents\n"
    ) in out
    assert "team template-team: unchanged (v1)" in out
    assert _counts() == before
    assert component_status("agent", "template-agent").draft is None


# --- export_components and the round trip -----------------------------------------------------


def test_export_then_import__identical_configuration(tmp_path, make_agent, make_team):
    make_agent(
        "cards",
        publish=True,
        name="🔧 Template Agent",
        instructions=["Atenção: não peça o CVV", "Linha com espaço no fim \nsegunda linha 🎯"],
        parameters={"markdown": True, "metadata": {"hive_source": {"version": "dev"}}},
    )
    make_agent("pix", publish=True, name="Pix specialist")
    make_team("router", members=list(Agent.objects.order_by("agent_id")), publish=True)
    published = ComponentVersion.objects.filter(status="published")
    stored = {(v.component_type, v.component_id): v.content_hash for v in published}

    out = run("export_components", str(tmp_path / "export"))

    assert "Exported 3 components" in out
    text = (tmp_path / "export" / "agents" / "cards.yaml").read_text(encoding="utf-8")
    for literal in ("name: 🔧 Template Agent", "Atenção: não peça o CVV", "segunda linha 🎯"):
        assert literal in text
    assert text.index("  id: cards") < text.index("  name:") < text.index("  model:") < text.index("  instructions:")
    for kind, component_id in stored:
        doc = read_file(tmp_path / "export" / f"{kind}s" / f"{component_id}.yaml")
        assert canonical_hash(doc.config) == stored[(kind, component_id)]
    # Into the same database: nothing to do.
    assert "0 created, 0 updated, 3 unchanged" in run("import_components", str(tmp_path / "export"))

    # Into a portal that no longer has them: recreated with the identical configuration.
    for kind, component_id in (("team", "router"), ("agent", "cards"), ("agent", "pix")):
        component_delete(kind=get_kind(kind), component_id=component_id, actor="t", reason="round trip")
    run("import_components", str(tmp_path / "export"), "--publish", "-m", "restore")
    for (kind, component_id), digest in stored.items():
        assert component_status(kind, component_id).published.content_hash == digest


def test_export__draft_by_default_published_with_flag(tmp_path, make_agent):
    from agents.services import agent_update

    agent = make_agent("cards", publish=True)
    agent_update(agent=agent, actor="t", note="draft", instructions=["Rascunho"])
    run("export_components", str(tmp_path / "all"))
    run("export_components", str(tmp_path / "live"), "--published")
    assert read_file(tmp_path / "all" / "agents" / "cards.yaml").config["instructions"] == ["Rascunho"]
    assert read_file(tmp_path / "live" / "agents" / "cards.yaml").config["instructions"] == [
        "Be concise.",
        "Never ask for the card's CVV.",
    ]


# --- in Portuguese -------------------------------------------------------------------------------


def test_import__in_portuguese__kinds_actions_and_counts_translated(hive_dir):
    out = run("import_components", str(hive_dir), "--dry-run", "--language", "pt-br")
    assert "agente template-agent: seria criado (rascunho v1)" in out
    assert "equipe template-team: seria criada (rascunho v1)" in out  # the word agrees with the kind
    # pt_BR's plural rule (n > 1, as CLDR's): zero takes the singular.
    assert "Simulação: 2 criados, 0 atualizado, 0 sem alterações. Nada foi gravado." in out

    out = run("import_components", str(hive_dir), "--publish", "--language", "pt-br")
    assert "agente template-agent: criado (publicada v1)" in out
    assert "equipe template-team: criada (publicada v1)" in out
    assert "2 componentes importados: 2 criados, 0 atualizado, 0 sem alterações." in out

    out = run("import_components", str(hive_dir), "--language", "pt-br")
    assert "agente template-agent: sem alterações (v1) ←" in out
    assert "2 componentes importados: 0 criado, 0 atualizado, 2 sem alterações." in out

    with pytest.raises(
        CommandError, match=r"Informe arquivos ou pastas para importar, ou --from-agno-db \(não os dois\)"
    ):
        call_command("import_components", language="pt-br")


def test_export__in_portuguese(tmp_path, make_agent):
    make_agent("cards", publish=True)
    out = run("export_components", str(tmp_path / "export"), "--language", "pt-br")
    assert "agente cards (v1 publicada) →" in out
    assert f"1 componente exportado para {tmp_path / 'export'}." in out
