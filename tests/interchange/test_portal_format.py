"""The portal's own YAML format: written by the writer, read back to the identical configuration (no database)."""

import pytest

from interchange.documents import ConfigFileError
from interchange.portal_format import FORMAT
from interchange.reading import read_document
from interchange.writer import dump_document

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
