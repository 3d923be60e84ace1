"""agent_metrics and routing_decisions become partitioned by month of created_at (issue 15: metrics at scale).

PostgreSQL only (SQLite has no partitioning; the tables stay as they are there). Rows, ids, checks and indexes are
kept; see ``monitoring.partitions``. Django's model state does not change: ``id`` stays the key Django uses.
"""

from django.db import migrations

from django.conf import settings

from monitoring.partitions import ADD_MONTH_FUNCTION, partition_table, unpartition_table

MODELS = ("AgentMetric", "RoutingDecision")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(ADD_MONTH_FUNCTION.format(schema=settings.HIVE_SCHEMA), params=None)
    for name in MODELS:
        partition_table(schema_editor, apps.get_model("monitoring", name))


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in MODELS:
        unpartition_table(schema_editor, apps.get_model("monitoring", name))
    schema_editor.execute("DROP FUNCTION IF EXISTS hive_add_month_partition(text, timestamptz)")


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_covering_indexes")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
