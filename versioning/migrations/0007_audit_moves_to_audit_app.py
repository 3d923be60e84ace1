"""The audit trail's model now belongs to the ``audit`` app (``audit.0001``): removed from versioning's
migration state only; the table ``version_history`` stays, with its rows, triggers and hash chain."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("versioning", "0006_routing_component_type"),
        ("audit", "0001_initial"),
        # The last data migration that writes through versioning's historical VersionHistory.
        ("typification", "0004_publish_routing_v1"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="VersionHistory")],
            database_operations=[],
        ),
    ]
