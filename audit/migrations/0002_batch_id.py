"""A batch id shared by the audit rows of one multi-row operation.

The hash chain hashes each row as ``to_jsonb(row)``, so a new column would change the text of every older
row (a ``"batch_id": null`` key) and break their verification. ``version_history_row_text`` therefore
leaves the key out while it is null: rows written before this migration, and rows outside any batch,
hash exactly as before. (Migrating back drops the column; rows that had a batch id then no longer verify.)
"""

from django.db import migrations, models

ROW_TEXT_WITH_BATCH = r"""
CREATE OR REPLACE FUNCTION version_history_row_text(row_data jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (
        CASE WHEN jsonb_typeof(row_data -> 'batch_id') = 'null' THEN row_data - 'batch_id' ELSE row_data END
        - 'previous_hash' - 'row_hash'
    )::text
$$;
"""

ROW_TEXT_BEFORE = r"""
CREATE OR REPLACE FUNCTION version_history_row_text(row_data jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (row_data - 'previous_hash' - 'row_hash')::text
$$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ROW_TEXT_WITH_BATCH, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ROW_TEXT_BEFORE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.AddField(
            model_name="auditrecord",
            name="batch_id",
            field=models.UUIDField(
                blank=True,
                editable=False,
                help_text="Shared by every row of one multi-row operation (an import, a bulk delete).",
                null=True,
                verbose_name="batch",
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(condition=models.Q(("batch_id__isnull", False)), fields=["batch_id"], name="version_history_batch"),
        ),
    ]
