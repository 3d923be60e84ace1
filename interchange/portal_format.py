"""Reading the portal's own format (``format: hive-portal/v1``), one file per component, as ``writer.dump_document``
writes it; it reads back to the identical configuration::

    format: hive-portal/v1
    kind: agent                 # or team
    exported: {version: 3, status: published, config_hash: …}   # informative; ignored on import
    config: {id: …, name: …, model: {provider, id, params}, instructions: […], …}
    test_cases:                 # optional: the component's test cases, by name
      - {name: …, message: …, critical: true, expected_member: …, must_contain: […], …}

Keys older Agno versions used are mapped to Agno 3's (``LEGACY_PARAMETER_KEYS``). A test case has the fields of
``evaluations.models.EvalCase`` under the same names; what can be checked without the database (keys, required
texts, shapes, regular expressions, a route on an agent) is checked here, at the line of the key.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from common.agno_spec import LEGACY_PARAMETER_KEYS, MODEL_KEYS
from evaluations.checks import pattern_error, shape_errors
from evaluations.models import EvalCase
from evaluations.services import CASE_FIELDS
from interchange.documents import KINDS, CaseItem, ComponentDocument, ConfigFileError, dotted, members_in_order

FORMAT = "hive-portal/v1"
TOP_KEYS = ("format", "kind", "exported", "config", "test_cases")
# A test case in a file: EvalCase's fields, the component being the file's.
CASE_KEYS = tuple(key for key in CASE_FIELDS if key not in ("component_type", "component_id"))
# What a key a case leaves out means (the model's defaults; name and message are required).
CASE_DEFAULTS: dict[str, Any] = {
    f.name: f.get_default()
    for f in EvalCase._meta.concrete_fields
    if f.name in CASE_KEYS and f.name not in ("name", "message")
}


def read_portal(value: dict, lines: dict[tuple, int], source: str) -> ComponentDocument:
    def err(key, message):
        return ConfigFileError(source, lines.get((key,), 1), message)

    if value.get("format") != FORMAT:
        raise err(
            "format",
            gettext("unknown format %(given)s; this portal reads %(format)s.")
            % {"given": repr(value.get("format")), "format": FORMAT},
        )
    unknown = sorted(set(value) - set(TOP_KEYS), key=str)
    if unknown:
        raise err(
            unknown[0],
            gettext("unknown key “%(key)s” (expected format, kind, exported, config and test_cases).")
            % {"key": unknown[0]},
        )
    kind = value.get("kind")
    if kind not in KINDS:
        raise err(
            "kind" if "kind" in value else "format",
            gettext("kind must be agent or team, not %(kind)s.") % {"kind": repr(kind)},
        )
    config = value.get("config")
    if not isinstance(config, dict):
        raise err("config" if "config" in value else "format", gettext("config must be a mapping of Agno parameters."))
    config_lines = {dotted(p[1:]): line for p, line in lines.items() if p[:1] == ("config",) and len(p) > 1}
    doc = ComponentDocument(
        kind=kind, config={}, source=source, origin=FORMAT, lines=config_lines, line=lines.get(("config",), 1)
    )
    for key, item in config.items():
        if isinstance(key, str) and LEGACY_PARAMETER_KEYS.get(key, key) != key:
            new = LEGACY_PARAMETER_KEYS[key]
            if new in config and config[new] != item:
                raise doc.error(
                    key,
                    gettext("“%(key)s” (Agno 3: “%(new)s”) conflicts with “%(new)s” (line %(line)s).")
                    % {"key": key, "new": new, "line": doc.line_for(new)},
                )
            doc.lines.setdefault(new, doc.line_for(key))
        else:
            new = key
        doc.config[new] = item
    if not isinstance(doc.config.get("id"), str) or not doc.config["id"]:
        raise doc.error(
            "id",
            gettext("config.id must name the agent.") if kind == "agent" else gettext("config.id must name the team."),
        )
    doc.line = doc.line_for("id")
    check_shapes(doc)
    if kind == "team":
        members = doc.config.get("members", [])
        item_lines = [doc.lines.get(f"members.{i}") for i in range(len(members))] if isinstance(members, list) else []
        doc.config["members"] = members_in_order(doc, members, item_lines)
    if "test_cases" in value:
        doc.test_cases = read_test_cases(value["test_cases"], lines, source, kind)
    return doc


def read_test_cases(value: Any, lines: dict[tuple, int], source: str, kind: str) -> list[CaseItem]:
    """The items of ``test_cases:``, each checked as far as no database is needed (the first problem raises)."""
    where = lines.get(("test_cases",), 1)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigFileError(source, where, gettext("test_cases must be a list of test cases (name, message, …)."))
    items: list[CaseItem] = []
    names: dict[str, int] = {}
    for index, entry in enumerate(value):
        path = ("test_cases", index)
        item = CaseItem(
            fields=dict(entry) if isinstance(entry, dict) else {},
            source=source,
            number=index + 1,
            line=lines.get(path, where),
            lines={str(p[2]): line for p, line in lines.items() if len(p) == 3 and p[:2] == path},
        )
        if not isinstance(entry, dict):
            raise item.error(None, gettext("must be a mapping of test case fields (name, message, …)."))
        unknown = sorted((key for key in entry if key not in CASE_KEYS), key=str)
        if unknown:
            raise item.error(
                unknown[0],
                gettext("unknown key “%(key)s” (a test case has %(keys)s).")
                % {"key": unknown[0], "keys": ", ".join(CASE_KEYS)},
            )
        for key in ("name", "message"):
            if key not in entry:
                raise item.error(None, gettext("%(key)s is missing.") % {"key": key})
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise item.error(key, gettext("%(key)s must be a text.") % {"key": key})
        if entry.get("expected_member") and kind != "team":
            raise item.error("expected_member", gettext("expected_member is for teams: an agent routes nowhere."))
        problems = shape_errors(entry)
        for key in (k for k in CASE_KEYS if k in problems):
            raise item.error(key, f"{key}: {problems[key]}")
        for key in ("must_contain", "must_not_contain"):
            for text in entry.get(key) or []:
                if problem := pattern_error(text):
                    raise item.error(key, f"{key}: {problem}")
        if entry["name"] in names:
            raise item.error(
                "name",
                gettext("test case %(number)s has the same name (names are unique).")
                % {"number": names[entry["name"]]},
            )
        names[entry["name"]] = item.number
        items.append(item)
    return items


def check_shapes(doc: ComponentDocument) -> None:
    """The shapes the working copy's columns need, checked here so a mistake is reported at its line."""
    config = doc.config
    for key in MODEL_KEYS:
        model = config.get(key)
        if isinstance(model, str) and ":" in model:  # Agno's "provider:model_id" string form
            provider, model_id = model.split(":", 1)
            config[key] = {"provider": provider, "id": model_id, "params": {}}
        elif model is not None and not (isinstance(model, dict) and isinstance(model.get("params", {}), dict)):
            raise doc.error(
                key,
                gettext("%(key)s must be a mapping with provider, id and params (or “provider:model_id”).")
                % {"key": key},
            )
    if isinstance(config.get("instructions"), str):
        config["instructions"] = [config["instructions"]]
    for key in ("instructions", "tools", "capabilities", "knowledge_domains"):
        if config.get(key) is not None and not isinstance(config[key], list):
            raise doc.error(key, gettext("%(key)s must be a list.") % {"key": key})
