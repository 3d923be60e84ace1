"""Reads of the typification hierarchy and the business-unit routes.

The hierarchy is configuration (hundreds to a few thousand paths), read whole in one query; the tree
is assembled from that one result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from typification.models import LEVELS, BusinessUnitRoute, TypificationHierarchy
from typification.text import fold

EXPORT_FIELDS = ("id", *LEVELS, "business_unit", "routing_keywords")


def typification_rows() -> list[dict[str, Any]]:
    """Every path as a dict (id, level1..level5, business_unit, routing_keywords), in path order."""
    return list(TypificationHierarchy.objects.order_by(*LEVELS).values(*EXPORT_FIELDS))


@dataclass
class TreeNode:
    name: str
    depth: int
    path: tuple[str, ...]
    count: int = 0  # paths at or under this node
    typification_id: Any = None  # the row whose path ends exactly here, if any
    business_unit: str = ""
    routing_keywords: list[str] = field(default_factory=list)
    children: dict[str, "TreeNode"] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "count": self.count,
            "id": str(self.typification_id) if self.typification_id else None,
            "business_unit": self.business_unit or None,
            "routing_keywords": self.routing_keywords,
            "children": [child.as_dict() for child in self.children.values()],
        }


def typification_tree(*, search: str | None = None, rows: list[dict] | None = None) -> list[TreeNode]:
    """The hierarchy as nested nodes with counts. ``search`` (accent- and case-insensitive) keeps only
    the paths whose levels, business unit or keywords contain it."""
    rows = typification_rows() if rows is None else rows
    needle = fold(search or "")
    roots: dict[str, TreeNode] = {}
    for row in rows:
        path = [row[level] for level in LEVELS if row[level]]
        if needle:
            haystack = fold(" | ".join([*path, row["business_unit"], *row["routing_keywords"]]))
            if needle not in haystack:
                continue
        siblings = roots
        node = None
        for depth, name in enumerate(path):
            node = siblings.get(name)
            if node is None:
                node = TreeNode(name=name, depth=depth, path=tuple(path[: depth + 1]))
                siblings[name] = node
            node.count += 1
            siblings = node.children
        node.typification_id = row["id"]
        node.business_unit = row["business_unit"]
        node.routing_keywords = list(row["routing_keywords"])
    return list(roots.values())


def typification_tree_document() -> dict[str, Any]:
    """The tree as JSON-ready data (the API's ``tree`` endpoint and the runtime bundle)."""
    rows = typification_rows()
    return {
        "count": len(rows),
        "tree": [node.as_dict() for node in typification_tree(rows=rows)],
        "routes": business_unit_routes(),
    }


@dataclass(frozen=True)
class RouteTarget:
    type: str  # "agent" or "team"
    id: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id, "name": self.name}


def business_unit_route_targets() -> dict[str, RouteTarget]:
    """business unit → the agent or team that handles it, in one query."""
    targets: dict[str, RouteTarget] = {}
    for route in BusinessUnitRoute.objects.select_related("agent", "team"):
        if route.agent_id:
            targets[route.business_unit] = RouteTarget("agent", route.agent.agent_id, route.agent.name)
        else:
            targets[route.business_unit] = RouteTarget("team", route.team.team_id, route.team.name)
    return targets


def business_unit_routes() -> dict[str, dict[str, str]]:
    return {unit: target.as_dict() for unit, target in sorted(business_unit_route_targets().items())}


def business_units() -> list[str]:
    """Every business unit of the hierarchy, sorted."""
    return list(
        TypificationHierarchy.objects.order_by("business_unit").values_list("business_unit", flat=True).distinct()
    )
