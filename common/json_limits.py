"""Limits on JSON a user or a runtime sends: nesting depth, NUL characters and lone surrogates.

PostgreSQL text and jsonb cannot hold U+0000 nor a lone UTF-16 surrogate (``"\\ud800"`` decodes to a Python
string that cannot be encoded as UTF-8), and Python's parser, encoders and validators recurse: a body of
100,000 ``[`` is a ``RecursionError``. Each problem is reported with the path of the value
(``records[2].typification_result.note``) so a caller can say which field is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

MAX_JSON_DEPTH = 32
_SCALARS = {int, float, bool, type(None)}
# A surrogate can only come from a ``\\uD800``–``\\uDFFF`` escape and U+0000 from ``\\u0000``: strings are
# walked only when the text holds one of those escapes.
_SUSPECT_ESCAPE = re.compile(r"\\u(0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)


class JSONLimitError(ValueError):
    """One value breaks a limit; ``path`` names it ("" for the top level)."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


def text_problem(value: str, *, key: bool = False) -> str | None:
    """Why ``value`` cannot be stored as text, or None (``key``: said of a JSON object's key). In the language
    active when it is asked (the API's is English)."""
    if "\x00" in value:
        if key:
            return gettext("The key contains a NUL character (\\u0000), which cannot be stored.")
        return gettext("Contains a NUL character (\\u0000), which cannot be stored.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        if key:
            return gettext("The key contains a lone UTF-16 surrogate (e.g. \\ud800), which is not valid Unicode.")
        return gettext("Contains a lone UTF-16 surrogate (e.g. \\ud800), which is not valid Unicode.")
    return None


def _too_deep(max_depth: int) -> str:
    return gettext("Nested more than %(depth)d levels deep.") % {"depth": max_depth}


def _join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _within_limits(value, max_depth: int, check_text: bool) -> bool:
    """The fast check: no paths are built (most bodies are fine; ``_first_problem`` explains the rest)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            if depth > max_depth:
                return False
            if check_text:
                for key in item:
                    if isinstance(key, str) and text_problem(key):
                        return False
            children = item.values()
        elif isinstance(item, list):
            if depth > max_depth:
                return False
            children = item
        else:
            if check_text and isinstance(item, str) and text_problem(item):
                return False
            continue
        for child in children:
            if isinstance(child, (dict, list)) or (check_text and isinstance(child, str)):
                stack.append((child, depth + 1))
    return True


def _first_problem(value, max_depth: int, check_text: bool, path: str) -> JSONLimitError | None:
    stack = [(value, path, 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, dict):
            if depth > max_depth:
                return JSONLimitError(where, _too_deep(max_depth))
            for key, child in item.items():
                child_path = _join(where, key)
                if check_text and isinstance(key, str):
                    problem = text_problem(key, key=True)
                    if problem:
                        return JSONLimitError(child_path, problem)
                if isinstance(child, (dict, list)) or (check_text and isinstance(child, str)):
                    stack.append((child, child_path, depth + 1))
        elif isinstance(item, list):
            if depth > max_depth:
                return JSONLimitError(where, _too_deep(max_depth))
            if set(map(type, item)) <= _SCALARS:
                continue  # numbers only (an embedding's 1,536 floats): nothing to walk, checked at C speed
            for index, child in enumerate(item):
                if isinstance(child, (dict, list)) or (check_text and isinstance(child, str)):
                    stack.append((child, _join(where, index), depth + 1))
        elif isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return JSONLimitError(where, problem)
    return None


def check_json_value(value, *, max_depth: int = MAX_JSON_DEPTH, check_text: bool = True, path: str = "") -> None:
    """Raise ``JSONLimitError`` when ``value`` (parsed JSON) nests deeper than ``max_depth`` or, with
    ``check_text``, holds a key or string that text columns cannot store. Iterative: never recurses."""
    if _within_limits(value, max_depth, check_text):
        return
    problem = _first_problem(value, max_depth, check_text, path)
    if problem is not None:
        raise problem


def text_may_hold_bad_characters(text: str) -> bool:
    """Whether JSON ``text`` can decode to a NUL or a lone surrogate (cheap; no parsing)."""
    return bool(_SUSPECT_ESCAPE.search(text))


def loads_limited(text: str, *, max_depth: int = MAX_JSON_DEPTH):
    """``json.loads`` that raises ``JSONLimitError`` instead of ``RecursionError``, and for values the limits
    refuse. Other syntax errors stay ``ValueError`` (``json.JSONDecodeError``)."""

    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONLimitError("", _too_deep(max_depth)) from None
    check_json_value(value, max_depth=max_depth)
    return value


def validate_json_value(value, *, field: str) -> None:
    """Django's ``ValidationError`` keyed by ``field`` when ``value`` breaks a limit (for services)."""
    try:
        check_json_value(value)
    except JSONLimitError as exc:
        message = (
            gettext("%(message)s (at %(path)s)") % {"message": exc.message, "path": exc.path}
            if exc.path
            else exc.message
        )
        raise ValidationError({field: [message]}) from None
