"""Limits on incoming JSON: depth, NUL characters and lone surrogates, each named by its path."""

import pytest

from hive_portal.json_limits import JSONLimitError, check_json_value, text_may_hold_bad_characters


def _nest(depth: int):
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_depth__at_the_limit_passes_one_more_is_refused():
    check_json_value(_nest(32))
    with pytest.raises(JSONLimitError, match="more than 32 levels"):
        check_json_value(_nest(33))


def test_depth__far_beyond_recursion_limit__refused_without_recursion_error():
    with pytest.raises(JSONLimitError):
        check_json_value(_nest(200_000))


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"a": {"b": ["ok", "x\x00"]}}, "a.b[1]"),
        ({"a": "\ud800"}, "a"),
        ([{"k\x00": 1}], "[0].k\x00"),
        ("\udfff", ""),
    ],
)
def test_bad_text__named_by_path(value, path):
    with pytest.raises(JSONLimitError) as exc:
        check_json_value(value)
    assert exc.value.path == path


def test_valid_unicode__passes():
    check_json_value({"query": "pix 😀 não caiu", "tags": ["ação", "\u2028"]})


@pytest.mark.parametrize(
    ("text", "suspect"),
    [('{"a": "\\u0000"}', True), ('{"a": "\\uD83D\\uDE00"}', True), ('{"a": "\\u00e3"}', False), ('{"a": 1}', False)],
)
def test_cheap_prefilter(text, suspect):
    assert text_may_hold_bad_characters(text) is suspect
