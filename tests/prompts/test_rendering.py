"""prompts/rendering.py: includes and variables in prompt text."""

import pytest

from prompts.rendering import Expansion, agno_placeholders, expand, includes, texts_of

pytestmark = pytest.mark.sqlite_smoke

FRAGMENTS = {
    "tone": (3, "Speak warmly to {{ customer_name }}."),
    "lgpd": (1, "Never repeat personal data. {{> tone }}"),
    "loop-a": (1, "A {{> loop-b }}"),
    "loop-b": (2, "B {{> loop-a }}"),
}


def lookup(name):
    return FRAGMENTS.get(name)


def test_expand__nested_includes__every_fragment_version_and_variable_recorded():
    found = Expansion()
    text = expand("Hello. {{> lgpd }} Done.", lookup, found)
    assert text == "Hello. Never repeat personal data. Speak warmly to {{ customer_name }}. Done."
    assert found.fragments == {"lgpd": 1, "tone": 3}
    assert found.variables == {"customer_name"}
    assert found.problems() == []


def test_expand__unknown_fragment__kept_as_written_and_reported():
    found = Expansion()
    assert expand("x {{> nope }} y", lookup, found) == "x {{> nope }} y"
    assert found.missing == {"nope"}
    assert "unknown fragment “nope”" in found.problems()[0]


def test_expand__cycle__reported_with_its_chain():
    found = Expansion()
    expand("{{> loop-a }}", lookup, found)
    assert found.cycles == [["loop-a", "loop-b", "loop-a"]]
    assert "loop-a → loop-b → loop-a" in found.problems()[0]


@pytest.mark.parametrize("marker", ["{{> Tone }}", "{{ customer name }}", "{{}}", "{{> }}"])
def test_expand__malformed_marker__reported(marker):
    found = Expansion()
    expand(f"a {marker} b", lookup, found)
    assert found.malformed == {marker}


def test_agno_placeholders__double_braces_become_agnos_single_ones_other_braces_untouched():
    assert agno_placeholders('Hi {{ name }}, {{x}}; JSON {"a": 1}') == 'Hi {name}, {x}; JSON {"a": 1}'


def test_includes__in_order_once_each():
    assert includes("{{> b }} {{> a }} {{>b}}") == ["b", "a"]


def test_texts_of__only_texts_with_markers():
    config = {"description": "plain", "instructions": ["a", "{{> tone }}"], "system_message": None, "name": "{{> x }}"}
    assert texts_of(config) == {"instructions": ["a", "{{> tone }}"]}
