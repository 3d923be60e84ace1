"""Reads of the typification hierarchy and the business-unit routes.

Two states of the same thing: the *working copy* (the ``typification_hierarchy`` and
``business_unit_routes`` tables, which editors change: the routing draft) and the *published routing*
(the published version of the ``routing`` component, which the runtime, the routing console and the
bundle serve). The hierarchy is configuration (hundreds to a few thousand paths), read whole in one
query; the tree is assembled from that one result.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import F

from common.read_routing import primary_reads
from typification.models import LEVELS, ROUTING_ID, BusinessUnitRoute, TypificationHierarchy
from typification.text import fold

EXPORT_FIELDS = ("id", *LEVELS, "business_unit", "routing_keywords")
PATH_SEPARATOR = " › "


def typification_rows() -> list[dict[str, Any]]:
    """Every path of the working copy as a dict (id, level1..level5, business_unit, routing_keywords), in
    path order. Not what production routes by: see ``published_routing``."""
    return list(TypificationHierarchy.objects.order_by(*LEVELS).values(*EXPORT_FIELDS))


# --- The routing configuration (what a routing version holds) ------------------------------------


def build_routing_config(paths, routes) -> dict[str, Any]:
    """The routing configuration from path dicts (id, level1..level5, business_unit, routing_keywords)
    and route dicts (business_unit, agent_id, team_id, note; agent_id/team_id are the slugs).

    Paths are keyed by their levels joined with “ › ” and routes by business unit, so a diff of two
    versions reads as paths and routes added, removed or changed. Also used by the data migration that
    published the first version, with the historical models' rows.
    """
    by_path: dict[str, dict[str, Any]] = {}
    for row in paths:
        levels = [row[level] for level in LEVELS if row[level]]
        key = PATH_SEPARATOR.join(levels)
        if key in by_path:  # a level that itself contains the separator: keep both apart
            key = f"{key} [{row['id']}]"
        by_path[key] = {
            "id": str(row["id"]),
            "levels": levels,
            "business_unit": row["business_unit"],
            "routing_keywords": list(row["routing_keywords"] or []),
        }
    by_unit: dict[str, dict[str, Any]] = {}
    for route in routes:
        target = (
            {"type": "agent", "id": route["agent_id"]}
            if route["agent_id"]
            else {"type": "team", "id": route["team_id"]}
        )
        by_unit[route["business_unit"]] = {**target, "note": route["note"] or ""}
    return {"paths": dict(sorted(by_path.items())), "routes": dict(sorted(by_unit.items()))}


def routing_config() -> dict[str, Any]:
    """The working copy as a routing configuration (the draft's content), in two queries."""
    routes = BusinessUnitRoute.objects.values(
        "business_unit", "note", agent_slug=F("agent__agent_id"), team_slug=F("team__team_id")
    )
    return build_routing_config(
        typification_rows(),
        ({**r, "agent_id": r["agent_slug"], "team_id": r["team_slug"]} for r in routes),
    )


def rows_of(config: dict[str, Any]) -> list[dict[str, Any]]:
    """A routing configuration's paths as ``typification_rows()`` dicts, in path order."""
    rows = []
    for path in (config or {}).get("paths", {}).values():
        levels = list(path["levels"]) + [""] * (len(LEVELS) - len(path["levels"]))
        rows.append(
            {
                "id": uuid.UUID(path["id"]),
                **dict(zip(LEVELS, levels)),
                "business_unit": path["business_unit"],
                "routing_keywords": list(path["routing_keywords"]),
            }
        )
    rows.sort(key=lambda row: tuple(row[level] for level in LEVELS))
    return rows


@dataclass(frozen=True, eq=False)
class PublishedRouting:
    """What production routes by: the published routing version (``version`` None: never published,
    nothing is routed). Its rows are worked out once, and what the classifier derives from them is kept on
    it (``derived``): a published version never changes, so both hold for as long as it is published."""

    version: int | None
    config: dict[str, Any]
    derived: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        return rows_of(self.config)

    @property
    def routes(self) -> dict[str, dict[str, Any]]:
        return dict(self.config.get("routes", {}))


# This process's copy of the published routing, by its version and content hash (which name its content).
_published: tuple[tuple[int, str], PublishedRouting] | None = None


def published_routing(environment: str | None = None) -> PublishedRouting:
    """The routing version ``environment`` serves (default: the first environment, where publishing puts
    it). One small query (which version is live) when this process already holds it; the configuration
    (thousands of paths) is read and parsed once per version."""
    global _published
    from versioning.models import first_environment
    from versioning.selectors import live_versions

    # From the primary, even on a page that reads a replica (classify, tree): the routing is configuration a runtime
    # also receives in its bundle, and an answer must not name a routing version older than that.
    with primary_reads():
        published = live_versions("routing", environment or first_environment(), [ROUTING_ID])
        current = published.values_list("version", "content_hash").first()
        if current is None:
            return PublishedRouting(version=None, config={})
        held = _published
        if held is not None and held[0] == current:
            return held[1]
        config = published.filter(version=current[0]).values_list("config", flat=True).first()
    if config is None:  # replaced between the two queries: read what is live now
        return published_routing(environment)
    routing = PublishedRouting(version=current[0], config=config)
    _published = (current, routing)
    return routing


def routing_targets(routes: dict[str, dict[str, Any]]) -> dict[str, RouteTarget]:
    """business unit → its handler with the agent's or team's current name (a query per kind used)."""
    from agents.models import Agent
    from teams.models import Team

    wanted = {kind: {r["id"] for r in routes.values() if r["type"] == kind} for kind in ("agent", "team")}
    names = {
        "agent": dict(Agent.objects.filter(agent_id__in=wanted["agent"]).values_list("agent_id", "name"))
        if wanted["agent"]
        else {},
        "team": dict(Team.objects.filter(team_id__in=wanted["team"]).values_list("team_id", "name"))
        if wanted["team"]
        else {},
    }
    return {
        unit: RouteTarget(route["type"], route["id"], names[route["type"]].get(route["id"], ""))
        for unit, route in routes.items()
    }


def published_routes_to(
    component_type: str, component_id: str, environment: str | None = None
) -> tuple[int | None, list[str]]:
    """(the routing version ``environment`` serves — default the first —, the business units it sends to that
    agent or team)."""
    routing = published_routing(environment)
    units = [
        unit for unit, route in routing.routes.items() if (route["type"], route["id"]) == (component_type, component_id)
    ]
    return routing.version, sorted(units)


@dataclass
class TreeNode:
    name: str
    depth: int
    path: tuple[str, ...]
    count: int = 0  # paths at or under this node
    typification_id: Any = None  # the row whose path ends exactly here, if any
    business_unit: str = ""
    routing_keywords: list[str] = field(default_factory=list)
    children: dict[str, TreeNode] = field(default_factory=dict)

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
        if node is None:  # a row without levels: the database refuses it (level1 is required)
            continue
        node.typification_id = row["id"]
        node.business_unit = row["business_unit"]
        node.routing_keywords = list(row["routing_keywords"])
    return list(roots.values())


def typification_tree_document(environment: str | None = None) -> dict[str, Any]:
    """The published routing's tree (``environment``'s; default the first) as JSON-ready data (the API's
    ``tree`` endpoint and the runtime bundle): the working copy's unpublished changes are not in it."""
    routing = published_routing(environment)
    rows = routing.rows
    return {
        "count": len(rows),
        "tree": [node.as_dict() for node in typification_tree(rows=rows)],
        "routes": {unit: target.as_dict() for unit, target in sorted(routing_targets(routing.routes).items())},
        "routing_version": routing.version,
    }


@dataclass(frozen=True)
class RouteTarget:
    type: str  # "agent" or "team"
    id: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id, "name": self.name}


def business_units() -> list[str]:
    """Every business unit of the working copy's hierarchy, sorted."""
    return list(
        TypificationHierarchy.objects.order_by("business_unit").values_list("business_unit", flat=True).distinct()
    )
