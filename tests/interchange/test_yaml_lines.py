"""Hostile YAML: alias bombs, alias cycles and deep nesting are refused at their line (no database)."""

import pytest

from interchange.documents import ConfigFileError
from interchange.reading import read_document


def _hive(text: str, source: str = "config.yaml"):
    return read_document(text, source=source)


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
