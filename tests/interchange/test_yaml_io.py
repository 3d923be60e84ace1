"""Reading Automagik Hive configs and the portal's YAML format, and writing the latter (no database)."""

import inspect
from pathlib import Path

import pytest

from interchange.yaml_io import (
    AGNO_AGENT_PARAMETERS,
    AGNO_TEAM_PARAMETERS,
    FORMAT,
    ConfigFileError,
    ConfigFileErrors,
    SkippedDocument,
    collect_files,
    dump_document,
    read_document,
    read_file,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "automagik"
AGENT_FILE = FIXTURES / "template-agent.config.yaml"
TEAM_FILE = FIXTURES / "template-team.config.yaml"

MINIMAL_AGENT = """\
agent:
  agent_id: cards
  name: Cards
  version: {version}
model:
  provider: openai
  id: gpt-4o
instructions: Be concise.
"""


def _hive(text: str, source: str = "config.yaml"):
    return read_document(text, source=source)


# --- Automagik Hive agents ---------------------------------------------------------------------


def test_hive_agent__identity_model_and_prose():
    doc = read_file(AGENT_FILE)
    config = doc.config
    assert (doc.kind, doc.origin, doc.component_id) == ("agent", "automagik-hive", "template-agent")
    assert config["name"] == "🔧 Template Agent"
    # Hive built OpenAIChat for "openai": Agno 3's Chat Completions key, so max_tokens stays valid.
    assert config["model"] == {
        "provider": "openai-chat",
        "id": "gpt-5",
        "params": {"temperature": 0.3, "max_tokens": 4000},
    }
    assert config["description"].startswith("TEMPLATE AGENT - DEV MODE TEST - A foundational template")
    assert config["description"].endswith("tool integration, and knowledge base access.")
    assert config["expected_output"] == (
        "Template agent configuration ready for domain-specific customization.\n"
        "Standard patterns implemented with customization guidance provided."
    )


def test_hive_agent__instructions_string__is_one_instruction_kept_as_written():
    doc = read_file(AGENT_FILE)
    [instruction] = doc.config["instructions"]
    assert instruction.startswith(
        "You are **TEMPLATE AGENT**, a foundational template for specialized agent development. \n"
    )
    assert "**🎯 TEMPLATE CORE IDENTITY**\n- **Mission**" in instruction
    assert instruction.endswith("Modify instructions, tools, and parameters to match specialized requirements.")


def test_hive_agent__grouping_sections_flattened_and_legacy_keys_mapped():
    config = read_file(AGENT_FILE).config
    assert config["num_history_runs"] == 30
    assert config["add_history_to_context"] is True  # memory.add_history_to_messages
    assert config["add_datetime_to_context"] is True  # display.* and top level, both true
    assert config["update_memory_on_run"] is True  # memory.enable_user_memories
    assert config["add_memories_to_context"] is True  # memory.add_memory_references
    assert config["add_session_summary_to_context"] is True
    assert config["stream_events"] is True  # streaming.stream_intermediate_steps
    assert config["markdown"] is False and config["stream"] is True and config["store_events"] is True
    assert config["tool_choice"] == "auto" and config["tool_call_limit"] == 15
    assert config["db"] == {"table_name": "template_agent", "auto_upgrade_schema": True}
    assert config["tools"] == [
        {"name": "ShellTools", "instructions": ["Execute only the command: echo 'CACHE HOT RELOAD OK'"]}
    ]
    for old in ("add_history_to_messages", "add_datetime_to_instructions", "storage", "memory", "display", "streaming"):
        assert old not in config


def test_hive_agent__keys_agno_does_not_know__kept_under_metadata_hive_source():
    hive_source = read_file(AGENT_FILE).config["metadata"]["hive_source"]
    assert hive_source["version"] == 3
    assert hive_source["memory"] == {"memory_retention_days": 180}
    assert hive_source["display"] == {"show_tool_calls": True}
    assert hive_source["mcp_servers"] == ["agno-docs:*", "search-repo-docs:*"]
    assert hive_source["enable_knowledge"] is True and hive_source["knowledge_results"] == 5
    assert hive_source["csv_file_path"] == "lib/knowledge/data/knowledge_rag.csv"
    assert hive_source["success_criteria"].startswith("Template configured ✓")


@pytest.mark.parametrize("version, expected", [("dev", "dev"), ("3", 3), ("1.2.0", "1.2.0")])
def test_hive_agent__version_dev_or_number__recorded_as_upstream_version(version, expected):
    doc = _hive(MINIMAL_AGENT.format(version=version))
    assert doc.config["metadata"] == {"hive_source": {"version": expected}}
    assert doc.config["instructions"] == ["Be concise."]


def test_hive_agent__storage_and_other_legacy_keys__become_agno_3_names():
    doc = _hive(
        MINIMAL_AGENT.format(version=1)
        + "storage:\n  type: postgres\n  table_name: cards\nadd_history_to_messages: true\n"
        + "display:\n  add_datetime_to_instructions: true\n"
    )
    assert doc.config["db"] == {"type": "postgres", "table_name": "cards"}
    assert doc.config["add_history_to_context"] is True
    assert doc.config["add_datetime_to_context"] is True
    assert doc.line_for("db") == 9


def test_hive_agent__provider_aliases_and_inference():
    claude = _hive("agent: {agent_id: a, name: A}\nmodel: {provider: claude, id: claude-sonnet-4}\n")
    assert claude.config["model"]["provider"] == "anthropic"
    inferred = _hive("agent: {agent_id: a, name: A}\nmodel: {id: gemini-2.5-pro, temperature: 0.1}\n")
    assert inferred.config["model"] == {"provider": "google", "id": "gemini-2.5-pro", "params": {"temperature": 0.1}}
    with pytest.raises(ConfigFileError, match=r"^config.yaml:2: model.provider is required"):
        _hive("agent: {agent_id: a, name: A}\nmodel: {id: mystery-1}\n")


def test_hive_agent__same_setting_twice_differently__names_the_second_line():
    text = MINIMAL_AGENT.format(version=1) + "display:\n  markdown: true\nmarkdown: false\n"
    with pytest.raises(ConfigFileError) as exc:
        _hive(text)
    assert str(exc.value).startswith(
        "config.yaml:11: “markdown” sets markdown again, differently (first at line 10)"
    )


def test_hive_agent__missing_agent_id__names_the_block():
    with pytest.raises(ConfigFileError, match=r"^config.yaml:2: agent.agent_id is required"):
        _hive("# a comment\nagent:\n  name: No id\n")


# --- Automagik Hive teams ----------------------------------------------------------------------


def test_hive_team__members_role_mode_and_output_model():
    doc = read_file(TEAM_FILE)
    config = doc.config
    assert (doc.kind, doc.component_id, config["name"]) == ("team", "template-team", "Template Team")
    assert config["members"] == [{"agent_id": "template-agent", "position": 1}]
    assert doc.line_for("members.@template-agent") == 42
    assert config["mode"] == "route"  # absent in the file: Hive's default
    assert config["role"] == "Template Routing Specialist"
    assert config["model"] == {
        "provider": "anthropic",
        "id": "claude-sonnet-4-20250514",
        "params": {"temperature": 0.7, "max_tokens": 2000},
    }
    # model.output_model is an Agno team parameter, not a setting of the leader's model.
    assert config["output_model"] == {
        "provider": "anthropic",
        "id": "claude-haiku-4-20250201",
        "params": {"temperature": 0.5},
    }
    assert config["stream_member_events"] is True and config["show_members_responses"] is True
    assert config["instructions"][0].startswith(
        "You are a template team designed to demonstrate all Agno Team capabilities.\n\nYour primary functions:"
    )
    assert config["metadata"]["hive_source"]["success_criteria"].startswith("Successfully demonstrates")


def test_hive_team__collaborate_becomes_broadcast():
    doc = _hive("team:\n  team_id: t\n  name: T\n  mode: collaborate\nmembers: [a, b]\n")
    assert doc.config["mode"] == "broadcast"
    assert doc.config["members"] == [{"agent_id": "a", "position": 1}, {"agent_id": "b", "position": 2}]


def test_hive_team__member_listed_twice__names_its_line():
    with pytest.raises(ConfigFileError, match=r"^config.yaml:6: member a is listed more than once"):
        _hive("team:\n  team_id: t\n  name: T\nmembers:\n- a\n- a\n")


# --- Files that are not components, and broken files -------------------------------------------


def test_yaml_syntax_error__names_file_and_line():
    with pytest.raises(ConfigFileError) as exc:
        _hive("agent:\n  agent_id: a\n  name: [unclosed\nmodel: {id: gpt-4o}\n", source="ai/agents/a/config.yaml")
    assert str(exc.value).startswith("ai/agents/a/config.yaml:4: YAML syntax error")
    assert exc.value.line == 4


def test_duplicate_key__is_refused_with_both_lines():
    with pytest.raises(ConfigFileError, match=r"^x.yaml:4: “name” is set twice \(first at line 3\)"):
        _hive("agent:\n  agent_id: a\n  name: One\n  name: Two\n", source="x.yaml")


def test_not_utf8__names_the_line():
    with pytest.raises(ConfigFileError, match=r"^x.yaml:2: is not UTF-8"):
        read_document(b"agent:\n  name: caf\xe9\n", source="x.yaml")


@pytest.mark.parametrize("text", ["", "just text\n", "- a list\n", "agent: {}\nteam: {}\n", "other: 1\n"])
def test_not_a_component__is_an_error(text):
    with pytest.raises(ConfigFileError):
        _hive(text)


def test_hive_workflow__is_skipped_not_an_error():
    result = _hive("workflow:\n  workflow_id: w\n  name: W\n")
    assert isinstance(result, SkippedDocument)


def test_collect_files__searches_folders_for_yaml_only(tmp_path):
    (tmp_path / "agents" / "a").mkdir(parents=True)
    (tmp_path / "agents" / "a" / "config.yaml").write_text("x: 1\n")
    (tmp_path / "teams").mkdir()
    (tmp_path / "teams" / "t.yml").write_text("x: 1\n")
    (tmp_path / "notes.md").write_text("# no\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "hidden.yaml").write_text("x: 1\n")
    found = collect_files([tmp_path, tmp_path / "teams" / "t.yml"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["agents/a/config.yaml", "teams/t.yml"]
    with pytest.raises(ConfigFileErrors, match="missing.yaml: no such file"):
        collect_files([tmp_path / "missing.yaml"])


# --- The portal's own format --------------------------------------------------------------------

PORTUGUESE_CONFIG = {
    "id": "cards",
    "name": "🔧 Template Agent",
    "description": "Especialista em cartões",
    "role": None,
    "instructions": [
        "Atenção: não peça o CVV",
        "Linha com espaço no fim \nsegunda linha 🎯\n\n**Negrito**: sim",
        "  começa com espaços",
    ],
    "system_message": None,
    "model": {"provider": "openai", "id": "gpt-4o", "params": {"temperature": 0.2}},
    "tools": ["card_lookup", {"name": "ShellTools", "instructions": ["echo 'ok'"]}],
    "markdown": True,
    "num_history_runs": None,
    "metadata": {"hive_source": {"version": "dev", "yes": "no", "on": "1.0"}},
}


def test_portal_format__dump_then_read__gives_the_identical_configuration():
    text = dump_document(kind="agent", config=PORTUGUESE_CONFIG, exported={"version": 3, "status": "published"})
    doc = read_document(text, source="agents/cards.yaml")
    assert (doc.kind, doc.origin) == ("agent", FORMAT)
    assert doc.config == PORTUGUESE_CONFIG


def test_portal_format__portuguese_and_emoji_are_written_as_themselves():
    text = dump_document(kind="agent", config=PORTUGUESE_CONFIG)
    assert "name: 🔧 Template Agent" in text
    assert "Atenção: não peça o CVV" in text
    assert "segunda linha 🎯" in text  # a multi-line prompt as a readable literal block, not escaped
    assert "\\U" not in text and "\\x" not in text


def test_portal_format__team_members_and_lines():
    members = [{"agent_id": "pix", "position": 2}, {"agent_id": "cards", "position": 1}]
    config = {"id": "router", "name": "Router", "mode": "route", "members": members}
    doc = read_document(dump_document(kind="team", config=config), source="teams/router.yaml")
    assert doc.config["members"] == [{"agent_id": "cards", "position": 1}, {"agent_id": "pix", "position": 2}]
    assert doc.line_for("members.@pix") == 9  # the header comment is line 1


def test_portal_format__legacy_keys_mapped():
    text = (
        f"format: {FORMAT}\nkind: agent\nconfig:\n"
        "  id: a\n  add_history_to_messages: true\n  storage: {table_name: s}\n"
    )
    doc = read_document(text, source="a.yaml")
    assert doc.config == {"id": "a", "add_history_to_context": True, "db": {"table_name": "s"}}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("format: hive-portal/v9\nkind: agent\nconfig: {id: a}\n", "a.yaml:1: unknown format"),
        (f"format: {FORMAT}\nkind: workflow\nconfig: {{id: a}}\n", "a.yaml:2: kind must be agent or team"),
        (f"format: {FORMAT}\nkind: agent\nconfig:\n  name: A\n", "a.yaml:3: config.id must name the agent"),
        (f"format: {FORMAT}\nkind: agent\nextra: 1\nconfig: {{id: a}}\n", "a.yaml:3: unknown key “extra”"),
        (f"format: {FORMAT}\nkind: agent\nconfig:\n  id: a\n  tools: ShellTools\n", "a.yaml:5: tools must be a list"),
    ],
)
def test_portal_format__mistakes_name_their_line(text, expected):
    with pytest.raises(ConfigFileError) as exc:
        read_document(text, source="a.yaml")
    assert str(exc.value).startswith(expected)


def test_agno_parameter_lists__match_agno():
    # agno is pinned in requirements-dev.txt: without it this test fails rather than skips.
    from agno.agent import Agent
    from agno.team import Team

    assert AGNO_AGENT_PARAMETERS == set(inspect.signature(Agent.__init__).parameters) - {"self"}
    assert AGNO_TEAM_PARAMETERS == set(inspect.signature(Team.__init__).parameters) - {"self"}


# --- Hostile files ----------------------------------------------------------------------------------


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "agent:\n  agent_id: bomb\n  name: Bomb\n" + "\n".join(lines) + "\n"


def test_alias_bomb__refused_at_the_line_of_the_first_alias_too_many():
    text = _alias_bomb()
    assert len(text) < 2000
    # lines 5 and 6 hold 18 aliases; the 21st is on line 7
    with pytest.raises(ConfigFileError, match=r"^bomb.yaml:7: too many YAML aliases \(more than 20\)") as exc:
        _hive(text, source="bomb.yaml")
    assert exc.value.line == 7


def test_alias_cycle__refused_with_its_line():
    with pytest.raises(ConfigFileError, match=r"^x.yaml:4: the alias \*loop refers to its own anchor"):
        _hive("agent:\n  agent_id: a\n  name: A\ntools: &loop [*loop]\n", source="x.yaml")


def test_few_aliases_that_expand_enormously__refused():
    # 20 aliases, each doubling the previous list of 200 values: about 200,000 values.
    lines = ["b0: &b0 [" + ", ".join(["x"] * 200) + "]"] + [f"b{i}: &b{i} [*b{i - 1}, *b{i - 1}]" for i in range(1, 11)]
    text = "agent:\n  agent_id: a\n  name: A\n" + "\n".join(lines) + "\n"
    with pytest.raises(ConfigFileError, match=r"^x.yaml:1: the YAML aliases expand to more than 100,000 values"):
        _hive(text, source="x.yaml")


def test_deep_nesting__refused_with_its_line():
    text = "agent:\n  agent_id: a\n  name: A\nmetadata: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(ConfigFileError, match=r"^x.yaml:4: nested more than 64 levels deep"):
        _hive(text, source="x.yaml")


def test_a_few_merge_aliases__still_read():
    text = (
        "defaults: &defaults\n  temperature: 0.2\nagent:\n  agent_id: a\n  name: A\n"
        "model:\n  <<: *defaults\n  provider: openai\n  id: gpt-4o\n"
    )
    doc = _hive(text)
    assert doc.config["model"]["params"] == {"temperature": 0.2}


# --- Agno 3 renames and Hive's knowledge sections ------------------------------------------------

PAGBANK_AGENT = """\
agent:
  agent_id: pagbank
  name: Especialista PagBank
model:
  provider: anthropic
  id: claude-sonnet-4-20250514
  temperature: 0.1
  max_tokens: 2000
knowledge:
  search_knowledge: true
  enable_agentic_knowledge_filters: true
  valid_metadata_filters: [business_unit, category]
knowledge_filter:
  business_unit: PagBank
  max_results: 3
  relevance_threshold: 0.7
memory:
  enable_user_memories: true
  search_session_history: true
  num_history_sessions: 2
"""


def test_hive_agent__knowledge_section__agent_flags_and_binding():
    doc = _hive(PAGBANK_AGENT, source="ai/agents/pagbank/config.yaml")
    config = doc.config
    assert config["search_knowledge"] is True and config["enable_agentic_knowledge_filters"] is True
    assert config["knowledge"] == {
        "valid_metadata_filters": ["business_unit", "category"],
        "business_unit": "PagBank",
        "max_results": 3,
        "max_distance": 0.3,
    }
    assert doc.line_for("knowledge.business_unit") == 14


def test_hive_agent__agno_3_renames__mapped_with_a_warning_naming_file_and_line():
    doc = _hive(PAGBANK_AGENT, source="ai/agents/pagbank/config.yaml")
    config = doc.config
    assert config["update_memory_on_run"] is True
    assert config["search_past_sessions"] is True and config["num_past_sessions_to_search"] == 2
    for old in ("enable_user_memories", "search_session_history", "num_history_sessions"):
        assert old not in config and old not in config.get("metadata", {}).get("hive_source", {}).get("memory", {})
    assert doc.warnings == [
        "ai/agents/pagbank/config.yaml:18: “memory.enable_user_memories” is called “update_memory_on_run” in Agno 3; imported as update_memory_on_run.",
        "ai/agents/pagbank/config.yaml:19: “memory.search_session_history” is called “search_past_sessions” in Agno 3; imported as search_past_sessions.",
        "ai/agents/pagbank/config.yaml:20: “memory.num_history_sessions” is called “num_past_sessions_to_search” in Agno 3; imported as num_past_sessions_to_search.",
    ]


def test_hive_agent__relevance_threshold_out_of_range__names_its_line():
    text = PAGBANK_AGENT.replace("relevance_threshold: 0.7", "relevance_threshold: 70")
    with pytest.raises(ConfigFileError, match=r"^config.yaml:16: knowledge_filter.relevance_threshold must be a number between 0 and 1"):
        _hive(text)


def test_hive_agent__template_fixture__warns_for_each_renamed_key():
    warnings = read_file(AGENT_FILE).warnings
    assert any(":25: “memory.enable_user_memories” is called “update_memory_on_run”" in w for w in warnings)
    assert all(w.startswith(str(AGENT_FILE) + ":") for w in warnings) and len(warnings) == 7
