"""Reading the portal's own format (``format: hive-portal/v1``), one file per component, as ``writer.dump_document``
writes it; it reads back to the identical configuration::

    format: hive-portal/v1
    kind: agent                 # or team
    exported: {version: 3, status: published, config_hash: …}   # informative; ignored on import
    config: {id: …, name: …, model: {provider, id, params}, instructions: […], …}

Keys older Agno versions used are mapped to Agno 3's (``LEGACY_PARAMETER_KEYS``).
"""

from __future__ import annotations

from common.agno_spec import LEGACY_PARAMETER_KEYS, MODEL_KEYS
from interchange.documents import KINDS, ComponentDocument, ConfigFileError, dotted, members_in_order

FORMAT = "hive-portal/v1"


def read_portal(value: dict, lines: dict[tuple, int], source: str) -> ComponentDocument:
    def err(key, message):
        return ConfigFileError(source, lines.get((key,), 1), message)

    if value.get("format") != FORMAT:
        raise err("format", f"unknown format {value.get('format')!r}; this portal reads {FORMAT}.")
    unknown = sorted(set(value) - {"format", "kind", "exported", "config"}, key=str)
    if unknown:
        raise err(unknown[0], f"unknown key “{unknown[0]}” (expected format, kind, exported and config).")
    kind = value.get("kind")
    if kind not in KINDS:
        raise err("kind" if "kind" in value else "format", f"kind must be agent or team, not {kind!r}.")
    config = value.get("config")
    if not isinstance(config, dict):
        raise err("config" if "config" in value else "format", "config must be a mapping of Agno parameters.")
    config_lines = {dotted(p[1:]): line for p, line in lines.items() if p[:1] == ("config",) and len(p) > 1}
    doc = ComponentDocument(
        kind=kind, config={}, source=source, origin=FORMAT, lines=config_lines, line=lines.get(("config",), 1)
    )
    for key, item in config.items():
        if isinstance(key, str) and LEGACY_PARAMETER_KEYS.get(key, key) != key:
            new = LEGACY_PARAMETER_KEYS[key]
            if new in config and config[new] != item:
                raise doc.error(key, f"“{key}” (Agno 3: “{new}”) conflicts with “{new}” (line {doc.line_for(new)}).")
            doc.lines.setdefault(new, doc.line_for(key))
        else:
            new = key
        doc.config[new] = item
    if not isinstance(doc.config.get("id"), str) or not doc.config["id"]:
        raise doc.error("id", f"config.id must name the {kind}.")
    doc.line = doc.line_for("id")
    check_shapes(doc)
    if kind == "team":
        members = doc.config.get("members", [])
        item_lines = [doc.lines.get(f"members.{i}") for i in range(len(members))] if isinstance(members, list) else []
        doc.config["members"] = members_in_order(doc, members, item_lines)
    return doc


def check_shapes(doc: ComponentDocument) -> None:
    """The shapes the working copy's columns need, checked here so a mistake is reported at its line."""
    config = doc.config
    for key in MODEL_KEYS:
        model = config.get(key)
        if isinstance(model, str) and ":" in model:  # Agno's "provider:model_id" string form
            provider, model_id = model.split(":", 1)
            config[key] = {"provider": provider, "id": model_id, "params": {}}
        elif model is not None and not (isinstance(model, dict) and isinstance(model.get("params", {}), dict)):
            raise doc.error(key, f"{key} must be a mapping with provider, id and params (or “provider:model_id”).")
    if isinstance(config.get("instructions"), str):
        config["instructions"] = [config["instructions"]]
    for key in ("instructions", "tools"):
        if config.get(key) is not None and not isinstance(config[key], list):
            raise doc.error(key, f"{key} must be a list.")
