"""Reading Automagik Hive's config.yaml into Agno 3 configurations (no database)."""

from pathlib import Path

import pytest

from interchange.documents import ConfigFileError
from interchange.reading import read_document, read_file

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
    assert str(exc.value).startswith("config.yaml:11: “markdown” sets markdown again, differently (first at line 10)")


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
    with pytest.raises(
        ConfigFileError, match=r"^config.yaml:16: knowledge_filter.relevance_threshold must be a number between 0 and 1"
    ):
        _hive(text)


def test_hive_agent__template_fixture__warns_for_each_renamed_key():
    warnings = read_file(AGENT_FILE).warnings
    assert any(":25: “memory.enable_user_memories” is called “update_memory_on_run”" in w for w in warnings)
    assert all(w.startswith(str(AGENT_FILE) + ":") for w in warnings) and len(warnings) == 7


def test_hive_agent__test_cases__not_imported_from_hive_files_and_said_so():
    text = "agent:\n  agent_id: a\n  name: A\ntest_cases:\n  - {name: Oi, message: oi}\n"
    doc = _hive(text, source="config.yaml")
    assert doc.test_cases is None
    assert doc.warnings == [
        "config.yaml:4: test_cases are read from the portal's format only; kept as metadata.hive_source."
    ]
    assert doc.config["metadata"]["hive_source"]["test_cases"] == [{"name": "Oi", "message": "oi"}]
