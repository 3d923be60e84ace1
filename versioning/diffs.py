"""Readable diffs of two configurations, for people: words for prompts, keys for settings."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from audit.services import json_diff
from common.agno_spec import PROSE_KEYS

# Texts a business user writes are compared word by word: PROSE_KEYS (one text each) and these lists.
LIST_PROSE_KEYS = ("instructions",)
_TOKEN = re.compile(r"\s+|[^\s]+")


def word_diff_html(before: str, after: str) -> SafeString:
    """HTML of ``after`` with inserted words in <ins> and removed words in <del>."""
    a = _TOKEN.findall(before or "")
    b = _TOKEN.findall(after or "")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(out))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2)


@dataclass
class TextChange:
    key: str
    html: SafeString
    status: str  # changed | added | removed


@dataclass
class KeyChange:
    key: str
    before: str
    after: str
    status: str


@dataclass
class ConfigDiff:
    texts: list[TextChange] = field(default_factory=list)
    settings: list[KeyChange] = field(default_factory=list)
    settings_title: str = ""  # empty: the template's own, translated "Settings"
    settings_label: str = ""  # empty: "Setting"

    @property
    def empty(self) -> bool:
        return not self.texts and not self.settings


def _instructions_diff(before: list, after: list) -> list[TextChange]:
    """Pair instructions by position where they resemble each other, else show them added/removed."""
    changes = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        old, new = before[i1:i2], after[j1:j2]
        for k in range(max(len(old), len(new))):
            o = old[k] if k < len(old) else None
            n = new[k] if k < len(new) else None
            number = (j1 + k + 1) if n is not None else (i1 + k + 1)
            label = f"instructions[{number}]"
            if o is None:
                changes.append(TextChange(label, word_diff_html("", _text(n)), "added"))
            elif n is None:
                changes.append(TextChange(label, word_diff_html(_text(o), ""), "removed"))
            else:
                changes.append(TextChange(label, word_diff_html(_text(o), _text(n)), "changed"))
    return changes


def config_diff(before: dict | None, after: dict | None) -> ConfigDiff:
    """Prompts and instructions word by word; every other key (model, tools, flags, members) key by key."""
    before = before or {}
    after = after or {}
    result = ConfigDiff()
    for key in PROSE_KEYS:
        if _text(before.get(key)) != _text(after.get(key)):
            status = (
                "added"
                if key not in before or not before.get(key)
                else ("removed" if not after.get(key) else "changed")
            )
            result.texts.append(TextChange(key, word_diff_html(_text(before.get(key)), _text(after.get(key))), status))
    for key in LIST_PROSE_KEYS:
        b, a = before.get(key) or [], after.get(key) or []
        if isinstance(b, str):
            b = [b]
        if isinstance(a, str):
            a = [a]
        if b != a:
            result.texts.extend(_instructions_diff(list(b), list(a)))
    rest_before = {k: v for k, v in before.items() if k not in PROSE_KEYS + LIST_PROSE_KEYS}
    rest_after = {k: v for k, v in after.items() if k not in PROSE_KEYS + LIST_PROSE_KEYS}
    structured = json_diff(rest_before, rest_after)
    for key, value in structured.get("added", {}).items():
        result.settings.append(KeyChange(key, "", _text(value), "added"))
    for key, value in structured.get("removed", {}).items():
        result.settings.append(KeyChange(key, _text(value), "", "removed"))
    for key, change in structured.get("changed", {}).items():
        result.settings.append(KeyChange(key, _text(change["from"]), _text(change["to"]), "changed"))
    result.settings.sort(key=lambda c: c.key)
    return result


def summarize_changes(changes: dict, limit: int = 12) -> list[str]:
    """One line per changed key of a ``json_diff`` result, for messages (e.g. an edit conflict), in the active
    language (shown, never stored)."""
    lines = []
    for key, change in changes.get("changed", {}).items():
        lines.append(f"{key}: {_short(change['from'])} → {_short(change['to'])}")
    for key, value in changes.get("added", {}).items():
        lines.append(gettext("%(key)s: added %(value)s") % {"key": key, "value": _short(value)})
    for key in changes.get("removed", {}):
        lines.append(gettext("%(key)s: removed") % {"key": key})
    if len(lines) > limit:
        more = len(lines) - limit
        lines = lines[:limit] + [ngettext("… and %(count)d more", "… and %(count)d more", more) % {"count": more}]
    return lines


def _short(value: Any, width: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"
