"""Finding configuration files and telling their format; files that are not components, and broken files."""

import pytest

from interchange.documents import ConfigFileError, ConfigFileErrors, SkippedDocument
from interchange.reading import collect_files, read_document


def _hive(text: str, source: str = "config.yaml"):
    return read_document(text, source=source)


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
