"""The audit trail moves from ``versioning`` (model ``VersionHistory``) to this app (``AuditRecord``) in the
migration state only: the table ``version_history``, its rows, constraints, indexes, triggers and hash
chain stay exactly as they are (``versioning.0007`` removes the old model from versioning's state).

The content type and permissions follow the model (``versioning.versionhistory`` becomes
``audit.auditrecord``), so the roles keep their permission rows instead of getting new ones.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OLD = ("versioning", "versionhistory", "VersionHistory")
NEW = ("audit", "auditrecord", "AuditRecord")


def _move_content_type(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    old = ContentType.objects.using(db).filter(app_label=source[0], model=source[1]).first()
    if old is None or ContentType.objects.using(db).filter(app_label=target[0], model=target[1]).exists():
        return  # nothing to carry over (a fresh database), or post_migrate already created the new one
    old.app_label, old.model = target[0], target[1]
    old.save(update_fields=["app_label", "model"])
    for permission in Permission.objects.using(db).filter(content_type=old):
        action = permission.codename.split("_", 1)[0]
        permission.codename = f"{action}_{target[1]}"
        permission.save(update_fields=["codename"])


def forward(apps, schema_editor):
    _move_content_type(apps, schema_editor, OLD, NEW)


def backward(apps, schema_editor):
    _move_content_type(apps, schema_editor, NEW, OLD)


# The action check lists every action the audit trail knows today, not only those of this migration's time:
# the trail is append-only, so a database migrated back (SQLite rebuilds the table from these states)
# must still accept the rows later code wrote. audit 0004 widens the check of databases created before.
class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("versioning", "0006_routing_component_type"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("action", models.CharField(choices=[("created", "Created"), ("draft_saved", "Draft saved"), ("submitted", "Submitted for review"), ("approved", "Approved"), ("rejected", "Rejected"), ("published", "Published"), ("rolled_back", "Rolled back"), ("archived", "Archived"), ("activated", "Activated"), ("deactivated", "Deactivated"), ("imported", "Imported"), ("deleted", "Deleted"), ("updated", "Updated")], max_length=20)),
                        ("subject_type", models.CharField(choices=[("agent", "Agent"), ("team", "Team"), ("routing", "Routing"), ("typification", "Typification"), ("knowledge", "Knowledge entry"), ("business_unit_route", "Business unit route"), ("api_key", "API key")], db_column="component_type", max_length=30, verbose_name="type")),
                        ("subject_id", models.CharField(db_column="component_id", help_text="The subject's identifier: a component's id, or the row's primary key.", max_length=255, verbose_name="subject")),
                        ("from_version", models.PositiveIntegerField(blank=True, null=True)),
                        ("to_version", models.PositiveIntegerField(blank=True, null=True)),
                        ("actor_name", models.CharField(help_text="User name or API key name.", max_length=150, verbose_name="by")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="when")),
                        ("reason", models.TextField(blank=True, default="")),
                        ("diff", models.JSONField(blank=True, default=dict, help_text="What changed, key by key.")),
                        ("before", models.JSONField(blank=True, null=True)),
                        ("after", models.JSONField(blank=True, null=True)),
                        ("previous_hash", models.CharField(blank=True, default="", editable=False, max_length=64)),
                        ("row_hash", models.CharField(blank=True, default="", editable=False, help_text="SHA-256 of the previous row's hash and this row's content.", max_length=64)),
                        ("actor", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "audit record",
                        "verbose_name_plural": "audit log",
                        "db_table": "version_history",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [models.Index(fields=["subject_type", "subject_id", "-created_at"], name="version_history_component"), models.Index(fields=["actor_name", "-created_at"], name="version_history_actor")],
                        "constraints": [models.CheckConstraint(condition=models.Q(("action__in", ["created", "draft_saved", "submitted", "approved", "rejected", "published", "rolled_back", "promoted", "cancelled", "rollout_started", "rollout_aborted", "rollout_completed", "scheduled", "archived", "activated", "deactivated", "imported", "deleted", "updated", "gate_overridden"])), name="versioning_versionhistory_action_known"), models.CheckConstraint(condition=models.Q(("actor_name", ""), _negated=True), name="versioning_versionhistory_actor_set", violation_error_message="Every change names who made it.")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forward, backward),
    ]
