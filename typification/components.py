"""How the routing is versioned: the ``routing`` component kind. Its working copy is the typification paths and
business-unit routes (a one-row ``RoutingTable`` is the versioned object); this module says how those tables become
a version's configuration, how a configuration is restored into them (rollback, discard), what must hold before
one goes live, and what the published routing protects (deleting or deactivating an agent or team it routes to).
Registered with versioning in ``TypificationConfig.ready()``."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_noop

from agents.models import Agent
from teams.models import Team
from typification.diffs import routing_diff
from typification.models import LEVELS, ROUTING_ID, BusinessUnitRoute, RoutingTable, TypificationHierarchy
from typification.selectors import published_routes_to, routing_config
from versioning.components import ComponentKind
from versioning.models import ComponentVersion, VersionStatus


def routing_restore(table: RoutingTable, config: dict) -> None:
    """Make the working tables hold ``config`` exactly (rollback, discard): paths keep their ids."""
    paths = list((config or {}).get("paths", {}).values())
    routes = (config or {}).get("routes", {})
    wanted = {kind: {r["id"] for r in routes.values() if r["type"] == kind} for kind in ("agent", "team")}
    agents = {a.agent_id: a for a in Agent.objects.filter(agent_id__in=wanted["agent"])}
    teams = {t.team_id: t for t in Team.objects.filter(team_id__in=wanted["team"])}
    words = {"agent": gettext("agent"), "team": gettext("team")}
    missing = sorted(
        f"{words[kind]} {slug}"
        for kind, found in (("agent", agents), ("team", teams))
        for slug in wanted[kind] - set(found)
    )
    if missing:
        raise ValidationError(
            gettext("The routes point at what no longer exists: %(missing)s.") % {"missing": ", ".join(missing)}
        )
    BusinessUnitRoute.objects.all().delete()
    TypificationHierarchy.objects.all().delete()
    TypificationHierarchy.objects.bulk_create(
        [
            TypificationHierarchy(
                id=path["id"],
                **dict(zip(LEVELS, list(path["levels"]) + [""] * (len(LEVELS) - len(path["levels"])))),
                business_unit=path["business_unit"],
                routing_keywords=list(path["routing_keywords"]),
            )
            for path in paths
        ],
        batch_size=500,
    )
    BusinessUnitRoute.objects.bulk_create(
        [
            BusinessUnitRoute(
                business_unit=unit,
                agent=agents.get(route["id"]) if route["type"] == "agent" else None,
                team=teams.get(route["id"]) if route["type"] == "team" else None,
                note=route.get("note", ""),
            )
            for unit, route in routes.items()
        ]
    )


def routing_validate_live(table: RoutingTable, config: dict) -> None:
    """Every route must point at an agent or team that exists, is active and has a published version:
    otherwise production would send customers to something it cannot serve."""
    routes = (config or {}).get("routes", {})
    problems = []
    for kind, model, id_field in (("agent", Agent, "agent_id"), ("team", Team, "team_id")):
        ids = {route["id"] for route in routes.values() if route["type"] == kind}
        if not ids:
            continue
        active = set(
            model.objects.filter(**{f"{id_field}__in": ids, "is_active": True}).values_list(id_field, flat=True)
        )
        published = set(
            ComponentVersion.objects.filter(
                component_type=kind, component_id__in=ids, status=VersionStatus.PUBLISHED
            ).values_list("component_id", flat=True)
        )
        for unit, route in routes.items():
            if route["type"] != kind:
                continue
            target = {"unit": unit, "kind": gettext("agent") if kind == "agent" else gettext("team"), "id": route["id"]}
            if route["id"] not in active:
                problems.append(gettext("%(unit)s → %(kind)s %(id)s is missing or inactive") % target)
            elif route["id"] not in published:
                problems.append(gettext("%(unit)s → %(kind)s %(id)s has no published version yet") % target)
    if problems:
        raise ValidationError(
            {
                "routes": gettext("Routes not ready to go live: %(problems)s.")
                % {"problems": "; ".join(sorted(problems))}
            }
        )


# Whole sentences, one per case, so that each language can word them its own way.
REFUSALS = {
    ("deleted", True): gettext_noop(
        "%(component)s handles %(units)s in the published routing (v%(version)s), so it cannot be deleted: route "
        "those business units elsewhere and publish the routing first."
    ),
    ("deactivated", True): gettext_noop(
        "%(component)s handles %(units)s in the published routing (v%(version)s), so it cannot be deactivated: "
        "route those business units elsewhere and publish the routing first."
    ),
    ("deleted", False): gettext_noop(
        "%(component)s handles %(units)s in the routing %(environment)s serves (v%(version)s), so it cannot be "
        "deleted: route those business units elsewhere and publish the routing and promote it to %(environment)s "
        "first."
    ),
    ("deactivated", False): gettext_noop(
        "%(component)s handles %(units)s in the routing %(environment)s serves (v%(version)s), so it cannot be "
        "deactivated: route those business units elsewhere and publish the routing and promote it to "
        "%(environment)s first."
    ),
}


def _refuse_if_routed(kind: ComponentKind, obj, what: str) -> None:
    if kind.type not in ("agent", "team"):
        return
    component_id = kind.component_id(obj)
    for index, environment in enumerate(settings.HIVE_ENVIRONMENTS):
        version, units = published_routes_to(kind.type, component_id, environment)
        if not units:
            continue
        raise ValidationError(
            gettext(REFUSALS[what, index == 0])
            % {"component": component_id, "units": ", ".join(units), "version": version, "environment": environment}
        )


def routing_check_delete(kind: ComponentKind, obj) -> None:
    """An agent or team the published routing sends business units to may not be deleted (registered
    with versioning in ``TypificationConfig.ready``): route them elsewhere and publish first."""
    _refuse_if_routed(kind, obj, "deleted")


def routing_check_deactivate(kind: ComponentKind, obj) -> None:
    """Nor deactivated: the runtime would stop serving what production routes to."""
    _refuse_if_routed(kind, obj, "deactivated")


def _routing_check_never(table: RoutingTable) -> None:
    raise ValidationError(gettext("The routing cannot be deactivated or deleted; publish an empty routing instead."))


class RoutingKind(ComponentKind):
    def get_locked(self, component_id: str):
        RoutingTable.objects.get_or_create(routing_id=ROUTING_ID)
        return super().get_locked(component_id)


ROUTING_KIND = RoutingKind(
    type="routing",
    model=RoutingTable,
    id_field="routing_id",
    snapshot=lambda table: routing_config(),
    restore=routing_restore,
    validate_live=routing_validate_live,
    check_deactivate=_routing_check_never,
    check_delete=_routing_check_never,
    diff=routing_diff,
    references=lambda config: [
        (route["type"], route["id"], f"{unit} → {route['type']} {route['id']}")
        for unit, route in sorted((config or {}).get("routes", {}).items())
    ],
)
