"""Two routing versions' differences for people: typification paths added, removed or changed, and
business-unit routes added, removed or changed (the publish, compare and rollback pages)."""

from __future__ import annotations

from typing import Any

from versioning.diffs import ConfigDiff, KeyChange


def _path_text(path: dict[str, Any]) -> str:
    keywords = ", ".join(path.get("routing_keywords") or []) or "—"
    return f"business unit: {path.get('business_unit', '')}\nkeywords: {keywords}"


def _route_text(route: dict[str, Any]) -> str:
    text = f"{route.get('type', '')} {route.get('id', '')}"
    return f"{text}\nnote: {route['note']}" if route.get("note") else text


def _changes(kind: str, before: dict, after: dict, describe) -> list[KeyChange]:
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if old is None:
            changes.append(KeyChange(f"{kind} added: {key}", "", describe(new), "added"))
        elif new is None:
            changes.append(KeyChange(f"{kind} removed: {key}", describe(old), "", "removed"))
        else:
            old_text, new_text = describe(old), describe(new)
            if old_text == new_text:  # only the row's id differs (deleted and added again)
                old_text, new_text = f"{old_text}\nid: {old.get('id')}", f"{new_text}\nid: {new.get('id')}"
            changes.append(KeyChange(f"{kind} changed: {key}", old_text, new_text, "changed"))
    return changes


def routing_diff(before: dict | None, after: dict | None) -> ConfigDiff:
    before, after = before or {}, after or {}
    diff = ConfigDiff(settings_title="Typification paths and business-unit routes", settings_label="What")
    diff.settings = _changes("path", before.get("paths", {}), after.get("paths", {}), _path_text) + _changes(
        "route", before.get("routes", {}), after.get("routes", {}), _route_text
    )
    return diff
