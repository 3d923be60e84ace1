"""The API's one body parser: JSON, with the portal's limits (``hive_portal.json_limits``)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils import json

from hive_portal.json_limits import JSONLimitError, check_json_value, text_may_hold_bad_characters


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
        parse_constant = json.strict_constant if self.strict else None  # NaN/Infinity are not JSON
        try:
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        try:
            check_json_value(data, check_text=text_may_hold_bad_characters(text))
        except JSONLimitError as exc:
            field = exc.path or api_settings.NON_FIELD_ERRORS_KEY
            raise exceptions.ValidationError({field: [exc.message]}) from None
        return data
