"""Reading Agno's own serialized components (``Agent.to_dict()`` / ``Team.to_dict()``, as AgentOS/Studio store
them or ``export_components --format agno`` writes them); the translation itself is ``common.agno_documents``."""

from __future__ import annotations

from common.agno_documents import AgnoDocumentError, portal_config
from interchange.documents import ComponentDocument, dotted, members_in_order
from interchange.portal_format import check_shapes

AGNO_ORIGIN = "agno"


def looks_like_agno(value: dict) -> bool:
    """``Agent.to_dict()`` / ``Team.to_dict()``: an id and a model or members, and no Hive/portal blocks."""
    return (
        not any(k in value for k in ("agent", "team", "format"))
        and isinstance(value.get("id"), str)
        and ("model" in value or "members" in value)
    )


def read_agno(value: dict, lines: dict[tuple, int], source: str) -> ComponentDocument:
    """A serialized Agno component (what AgentOS/Studio store, or ``export_components --format agno``)."""
    kind = "team" if ("members" in value or "mode" in value) else "agent"
    doc = ComponentDocument(
        kind=kind,
        config={},
        source=source,
        origin=AGNO_ORIGIN,
        lines={dotted(p): line for p, line in lines.items()},
        line=lines.get(("id",), 1),
    )
    try:
        doc.config = portal_config(kind, value)
    except AgnoDocumentError as exc:
        raise doc.error(exc.key, str(exc)) from None
    check_shapes(doc)
    if kind == "team":
        members = doc.config.get("members", [])
        item_lines = [doc.lines.get(f"members.{i}") for i in range(len(members))]
        doc.config["members"] = members_in_order(doc, members, item_lines)
    return doc
