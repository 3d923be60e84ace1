"""Nothing forward. Backward (before versioning's 0011 takes the "fragment" component type away again): the prompt
fragments' versions go, as typification's 0004 does for the routing's, or the type's check constraint could not come
back over them."""

from django.db import migrations


def remove_fragment_versions(apps, schema_editor):
    ComponentVersion = apps.get_model("versioning", "ComponentVersion")
    db = schema_editor.connection.alias
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE component_versions DISABLE TRIGGER component_versions_immutable")
        ComponentVersion.objects.using(db).filter(component_type="fragment").delete()
        # The deferred foreign-key checks of the rows that referred to them, now: a table with pending trigger
        # events cannot be altered.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("ALTER TABLE component_versions ENABLE TRIGGER component_versions_immutable")
    else:
        ComponentVersion.objects.using(db).filter(component_type="fragment").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("prompts", "0002_field_labels_translatable"),
        ("versioning", "0011_fragment_component_type"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, remove_fragment_versions)]
