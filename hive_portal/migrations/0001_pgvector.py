"""The portal's first migration: pgvector must be there before any table uses its types."""

from django.db import migrations

from common.db_schema import create_vector_extension


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        # Kept on rollback: Agno's vector tables in the same database may use the extension too.
        migrations.RunPython(create_vector_extension, migrations.RunPython.noop, elidable=False),
    ]
