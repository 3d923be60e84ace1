"""The environment a release step changed (issue 13: environments and promotion).

As for ``batch_id`` (0002), the hash chain must not change for older rows: ``version_history_row_text``
leaves the ``environment`` key out while it is null, so rows written before this migration (and rows that
are not about an environment) hash exactly as before.
"""

from django.db import migrations, models
from django.db.models import Q

ROW_TEXT_WITH_ENVIRONMENT = r"""
CREATE OR REPLACE FUNCTION version_history_row_text(row_data jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (
        CASE WHEN jsonb_typeof(row_data -> 'batch_id') = 'null' THEN row_data - 'batch_id' ELSE row_data END
        - CASE WHEN jsonb_typeof(row_data -> 'environment') = 'null' THEN 'environment' ELSE '' END
        - 'previous_hash' - 'row_hash'
    )::text
$$;
"""

ROW_TEXT_WITH_BATCH = r"""
CREATE OR REPLACE FUNCTION version_history_row_text(row_data jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (
        CASE WHEN jsonb_typeof(row_data -> 'batch_id') = 'null' THEN row_data - 'batch_id' ELSE row_data END
        - 'previous_hash' - 'row_hash'
    )::text
$$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ROW_TEXT_WITH_ENVIRONMENT, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ROW_TEXT_WITH_BATCH, params=None)


def widen_action_check(apps, schema_editor):
    model = apps.get_model("audit", "AuditRecord")
    name = "versioning_versionhistory_action_known"
    old = next(c for c in model._meta.constraints if c.name == name)
    schema_editor.remove_constraint(model, old)
    schema_editor.add_constraint(model, models.CheckConstraint(condition=Q(action__in=ACTIONS), name=name))


ACTIONS = [
    "created", "draft_saved", "submitted", "approved", "rejected", "published", "rolled_back", "promoted",
    "cancelled", "rollout_started", "rollout_aborted", "rollout_completed", "scheduled", "archived", "activated",
    "deactivated", "imported", "deleted", "updated",
]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_alter_auditrecord_subject_type")]

    operations = [
        migrations.AddField(
            model_name="auditrecord",
            name="environment",
            field=models.CharField(
                blank=True,
                help_text="The environment a release step changed (empty: not environment-specific, or the first environment for rows written before environments existed).",
                max_length=30,
                null=True,
            ),
        ),
        migrations.RunPython(forward, backward, elidable=False),
        migrations.AlterField(
            model_name="auditrecord",
            name="action",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("draft_saved", "Draft saved"),
                    ("submitted", "Submitted for review"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("published", "Published"),
                    ("rolled_back", "Rolled back"),
                    ("promoted", "Promoted"),
                    ("cancelled", "Cancelled"),
                    ("rollout_started", "Rollout started"),
                    ("rollout_aborted", "Rollout aborted"),
                    ("rollout_completed", "Rollout completed"),
                    ("scheduled", "Scheduled"),
                    ("archived", "Archived"),
                    ("activated", "Activated"),
                    ("deactivated", "Deactivated"),
                    ("imported", "Imported"),
                    ("deleted", "Deleted"),
                    ("updated", "Updated"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(
                condition=models.Q(("action__in", ["published", "rolled_back", "promoted"])),
                fields=["environment", "subject_type", "subject_id", "-created_at", "-id"],
                name="version_history_releases",
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(
                condition=models.Q(("action__in", ["deleted", "activated", "deactivated"])),
                fields=["subject_type", "subject_id", "-created_at", "-id"],
                include=["action"],
                name="version_history_presence",
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(
                condition=models.Q(("action__in", ["rollout_started", "rollout_aborted", "rollout_completed"])),
                fields=["environment", "subject_type", "subject_id", "-created_at", "-id"],
                include=["action"],
                name="version_history_rollouts",
            ),
        ),
        # The action check widens. Migrating back must not narrow it again: the audit trail is append-only
        # and may hold the new actions by then, so the database keeps the wider check (only Django's state
        # goes back); migrating forward again replaces it by the same definition.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="auditrecord",
                    name="versioning_versionhistory_action_known",
                ),
                migrations.AddConstraint(
                    model_name="auditrecord",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            (
                                "action__in",
                                [
                                    "created",
                                    "draft_saved",
                                    "submitted",
                                    "approved",
                                    "rejected",
                                    "published",
                                    "rolled_back",
                                    "promoted",
                                    "cancelled",
                                    "rollout_started",
                                    "rollout_aborted",
                                    "rollout_completed",
                                    "scheduled",
                                    "archived",
                                    "activated",
                                    "deactivated",
                                    "imported",
                                    "deleted",
                                    "updated",
                                ],
                            )
                        ),
                        name="versioning_versionhistory_action_known",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(widen_action_check, migrations.RunPython.noop)],
        ),
    ]
