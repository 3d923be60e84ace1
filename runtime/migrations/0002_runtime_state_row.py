from django.db import migrations


def create_row(apps, schema_editor):
    RuntimeState = apps.get_model("runtime", "RuntimeState")
    RuntimeState.objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("runtime", "0001_initial")]
    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
