"""The API's one body parser: JSON, with the portal's limits (``common.json_limits``)."""

from __future__ import annotations

import re

import orjson
from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils import json

from common.json_limits import JSONLimitError, check_json_value, text_may_hold_bad_characters

# An integer literal of 19 or more digits may not fit in 64 bits.
_LONG_INTEGER = re.compile(rb"(?<![\d.])\d{19,}(?![\d.eE])")
# The regular expression above scans a 200 KB batch in ~5 ms; a run of 19 digits (found in ~0.3 ms by mapping
# every digit to 0) must exist before it can match, and most bodies have none.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19


def _may_hold_long_integer(raw: bytes) -> bool:
    return _NINETEEN_DIGITS in raw.translate(_DIGITS_TO_ZERO) and _LONG_INTEGER.search(raw) is not None


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser, refusing (400, naming the field) a body nested more than ``MAX_JSON_DEPTH`` levels
    or holding a NUL or a lone surrogate, which would otherwise end as a ``RecursionError`` or a database
    error (500) somewhere after validation. The body size is bounded earlier, by
    ``ApiBodySizeLimitMiddleware``."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise exceptions.ParseError(f"The body is not {encoding} text.") from None
        # orjson parses a search's 30 KB vector several times faster. It refuses everything the standard
        # parser below refuses (NaN, Infinity) and some things it accepts (lone surrogates, 1,024+ levels):
        # those take the standard path, whose errors name the field. It would read an integer beyond 64 bits
        # as a float, so a body with one takes the standard path too.
        if not _may_hold_long_integer(raw):
            try:
                return self._checked(orjson.loads(raw), text)
            except orjson.JSONDecodeError:
                pass
        parse_constant = json.strict_constant if self.strict else None  # NaN/Infinity are not JSON
        try:
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        return self._checked(data, text)

    @staticmethod
    def _checked(data, text: str):
        try:
            check_json_value(data, check_text=text_may_hold_bad_characters(text))
        except JSONLimitError as exc:
            field = exc.path or api_settings.NON_FIELD_ERRORS_KEY
            raise exceptions.ValidationError({field: [exc.message]}) from None
        return data
