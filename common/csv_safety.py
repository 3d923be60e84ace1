"""CSV cells that a spreadsheet would run as a formula, neutralised on export (OWASP's rule).

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading
``'`` so Excel, LibreOffice and Google Sheets show it as text. To keep exports re-importable unchanged, a
cell that already starts with quotes followed by one of those characters gets one more quote, and the
importers drop exactly one (``csv_unescape``): ``csv_unescape(csv_safe(s)) == s`` for every text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")


def csv_safe(value):
    """``value`` as a spreadsheet shows it as text; other types than ``str`` are returned unchanged."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def csv_safe_row(values: Iterable) -> list:
    return [csv_safe(value) for value in values]


def csv_unescape(value: str) -> str:
    """The text ``csv_safe`` was given: one leading ``'`` dropped where ``csv_safe`` would have added it."""
    if value.startswith("'") and _NEEDS_QUOTE.match(value):
        return value[1:]
    return value
