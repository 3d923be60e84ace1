from django.db import migrations


def create_roles(apps, schema_editor):
    # The groups are created here; their permissions are assigned after every migrate
    # (versioning.apps: post_migrate -> sync_roles), once all models' permissions exist.
    from versioning.roles import ROLES

    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=role)


def remove_roles(apps, schema_editor):
    from versioning.roles import ROLES

    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("versioning", "0002_immutability_triggers"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
