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


# --- test_cases: -------------------------------------------------------------------------------

CASES_HEADER = f"format: {FORMAT}\nkind: team\nconfig:\n  id: router\n  name: Router\ntest_cases:\n"


def test_portal_format__test_cases__written_without_defaults_and_read_back_with_lines():
    cases = [
        {"name": "Cartão perdido", "message": "Perdi meu cartão", "critical": True, "expected_member": "cards",
         "must_contain": ["/bloque(ado|ei)/"], "is_active": True, "context": [], "max_length": None},
        {"name": "Pix", "message": "Meu pix\nnão caiu", "tool_results": {"pix_lookup": {"status": "ok"}}},
    ]  # fmt: skip
    text = dump_document(kind="team", config={"id": "router", "name": "Router"}, test_cases=cases)
    assert "is_active" not in text and "max_length" not in text and "context" not in text

    doc = read_document(text, source="teams/router.yaml")

    assert [item.fields for item in doc.test_cases] == [
        {"name": "Cartão perdido", "message": "Perdi meu cartão", "critical": True, "expected_member": "cards",
         "must_contain": ["/bloque(ado|ei)/"]},
        {"name": "Pix", "message": "Meu pix\nnão caiu", "tool_results": {"pix_lookup": {"status": "ok"}}},
    ]  # fmt: skip
    first = doc.test_cases[0]
    assert text.splitlines()[first.line - 1].strip() == "- name: Cartão perdido"
    assert text.splitlines()[first.lines["must_contain"] - 1].strip() == "must_contain:"


def test_portal_format__no_test_cases_key__none_and_an_empty_list_is_empty():
    assert read_document(CASES_HEADER.replace("test_cases:\n", ""), source="a.yaml").test_cases is None
    assert read_document(CASES_HEADER + "  []\n", source="a.yaml").test_cases == []


@pytest.mark.parametrize(
    "cases, expected",
    [
        ("  - name: A\n    message: oi\n    colour: red\n", "a.yaml:9: test case 1 “A”: unknown key “colour”"),
        ("  - name: A\n    critical: true\n", "a.yaml:7: test case 1 “A”: message is missing."),
        ("  - name: A\n    message: '  '\n", "a.yaml:8: test case 1 “A”: message must be a text."),
        ("  - message: oi\n", "a.yaml:7: test case 1: name is missing."),
        ("  - {name: A, message: oi}\n  - name: B\n    message: oi\n    must_contain: ['/(/']\n",
         "a.yaml:10: test case 2 “B”: must_contain: “/(/” is not a valid regular expression"),
        ("  - name: A\n    message: oi\n    must_contain: bloque\n",
         "a.yaml:9: test case 1 “A”: must_contain: Must be a list of texts."),
        ("  - name: A\n    message: oi\n    context: [{role: customer, content: oi}]\n",
         "a.yaml:9: test case 1 “A”: context: Must be a list of {role, content}"),
        ("  - {name: A, message: oi}\n  - {name: A, message: olá}\n",
         "a.yaml:8: test case 2 “A”: test case 1 has the same name"),
        ("  - just a message\n", "a.yaml:7: test case 1: must be a mapping"),
        ("  name: A\n", "a.yaml:6: test_cases must be a list"),
    ],
)  # fmt: skip
def test_portal_format__test_case_mistakes_name_their_line(cases, expected):
    with pytest.raises(ConfigFileError) as exc:
        read_document(CASES_HEADER + cases, source="a.yaml")
    assert str(exc.value).startswith(expected)


def test_portal_format__route_on_an_agent_case__refused_at_its_line():
    text = f"format: {FORMAT}\nkind: agent\nconfig: {{id: cards}}\ntest_cases:\n"
    text += "  - name: A\n    message: oi\n    expected_member: pix\n"
    with pytest.raises(ConfigFileError, match=r"^a\.yaml:7: test case 1 “A”: expected_member is for teams"):
        read_document(text, source="a.yaml")
