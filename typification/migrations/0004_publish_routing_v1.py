"""Routing becomes a versioned component: publish v1 from the typification paths and business-unit routes
as they stand, so an existing installation keeps routing exactly as before. An empty installation gets no
version (nothing is routed until the first publish). Backwards: the routing's versions are removed (as the
tables' owner, past the immutability trigger), so ``versioning`` can migrate back below 0006.
"""

import hashlib
import json

from django.db import migrations
from django.utils import timezone

ROUTING_ID = "routing"
ACTOR = "migration"
NOTE = "Routing as it was when publishing became required: the typification paths and routes as they were."


def publish_v1(apps, schema_editor):
    from typification.selectors import EXPORT_FIELDS, build_routing_config

    db = schema_editor.connection.alias
    RoutingTable = apps.get_model("typification", "RoutingTable")
    TypificationHierarchy = apps.get_model("typification", "TypificationHierarchy")
    BusinessUnitRoute = apps.get_model("typification", "BusinessUnitRoute")
    ComponentVersion = apps.get_model("versioning", "ComponentVersion")
    VersionHistory = apps.get_model("versioning", "VersionHistory")

    table, _ = RoutingTable.objects.using(db).get_or_create(routing_id=ROUTING_ID)
    paths = TypificationHierarchy.objects.using(db).values(*EXPORT_FIELDS)
    routes = [
        {
            "business_unit": route.business_unit,
            "agent_id": route.agent.agent_id if route.agent_id else None,
            "team_id": route.team.team_id if route.team_id else None,
            "note": route.note,
        }
        for route in BusinessUnitRoute.objects.using(db).select_related("agent", "team")
    ]
    config = build_routing_config(paths, routes)
    if not config["paths"] and not config["routes"]:
        return
    if ComponentVersion.objects.using(db).filter(component_type="routing", component_id=ROUTING_ID).exists():
        return
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    now = timezone.now()
    ComponentVersion.objects.using(db).create(
        component_type="routing",
        component_id=ROUTING_ID,
        version=1,
        config=config,
        content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        status="published",
        change_note=NOTE,
        created_by_name=ACTOR,
        edited_by_name=ACTOR,
        published_by_name=ACTOR,
        published_at=now,
    )
    table.version = "v1"
    table.save(update_fields=["version"])
    VersionHistory.objects.using(db).create(
        action="published",
        component_type="routing",
        component_id=ROUTING_ID,
        to_version=1,
        actor_name=ACTOR,
        reason=NOTE,
        diff={"added": {"paths": len(config["paths"]), "routes": len(config["routes"])}},
    )


def remove_routing_versions(apps, schema_editor):
    ComponentVersion = apps.get_model("versioning", "ComponentVersion")
    db = schema_editor.connection.alias
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE component_versions DISABLE TRIGGER component_versions_immutable")
        ComponentVersion.objects.using(db).filter(component_type="routing").delete()
        schema_editor.execute("ALTER TABLE component_versions ENABLE TRIGGER component_versions_immutable")
    else:
        ComponentVersion.objects.using(db).filter(component_type="routing").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("typification", "0003_routingtable"),
        ("versioning", "0006_routing_component_type"),
        ("agents", "0001_initial"),
        ("teams", "0001_initial"),
    ]

    operations = [migrations.RunPython(publish_v1, remove_routing_versions)]
