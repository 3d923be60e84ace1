"""Limits on incoming JSON: depth, NUL characters and lone surrogates, each named by its path."""

import pytest

from common.json_limits import JSONLimitError, check_json_value, text_may_hold_bad_characters


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


def test_numbers_only_list__skipped_quickly_but_mixed_lists_still_walked():
    check_json_value({"embedding": [0.1] * 1536 + [1, True, None]})
    with pytest.raises(JSONLimitError) as exc:
        check_json_value({"embedding": [0.1, 2, "x\x00"]})
    assert exc.value.path == "embedding[2]"
    with pytest.raises(JSONLimitError, match="more than 32 levels"):
        check_json_value([1.0, _nest(32)])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"embedding": [0.5, -1e-3, 2]}', {"embedding": [0.5, -0.001, 2]}),  # orjson's path
        (b'{"n": 123456789012345678901234567890}', {"n": 123456789012345678901234567890}),  # beyond orjson: json's
    ],
)
def test_parser__fast_and_standard_paths_parse_alike(body, expected):
    import io

    from common.api.parsers import LimitedJSONParser

    assert LimitedJSONParser().parse(io.BytesIO(body)) == expected


@pytest.mark.parametrize("body", [b'{"a": NaN}', b'{"a": "\\ud800"}', b"[" * 2000 + b"]" * 2000])
def test_parser__what_orjson_refuses_gets_the_standard_errors(body):
    import io

    from rest_framework import exceptions

    from common.api.parsers import LimitedJSONParser

    with pytest.raises((exceptions.ParseError, exceptions.ValidationError)) as exc:
        LimitedJSONParser().parse(io.BytesIO(body))
    if b"ud800" in body:
        assert exc.value.detail == {
            "a": ["Contains a lone UTF-16 surrogate (e.g. \\ud800), which is not valid Unicode."]
        }


def test_parser__a_long_integer_is_never_read_as_a_float():
    import io

    from common.api.parsers import LimitedJSONParser

    body = b'{"a": [1.5, 9223372036854775808], "b": 0.12345678901234567890123}'
    data = LimitedJSONParser().parse(io.BytesIO(body))
    assert data["a"][1] == 9223372036854775808 and isinstance(data["a"][1], int)
