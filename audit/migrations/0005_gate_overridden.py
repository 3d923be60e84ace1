"""A release that test cases refused but an admin let through is audited (``gate_overridden``), and test
cases and suites are audit subjects (issue 14: evaluation-gated publishing).

As in 0004, the action check widens in the database and is not narrowed when migrating back: the audit trail
is append-only and may hold the new action by then.
"""

from django.db import migrations, models
from django.db.models import Q

ACTIONS = [
    "created", "draft_saved", "submitted", "approved", "rejected", "published", "rolled_back", "promoted",
    "cancelled", "rollout_started", "rollout_aborted", "rollout_completed", "scheduled", "archived", "activated",
    "deactivated", "imported", "deleted", "updated", "gate_overridden",
]  # fmt: skip


def widen_action_check(apps, schema_editor):
    model = apps.get_model("audit", "AuditRecord")
    name = "versioning_versionhistory_action_known"
    old = next(c for c in model._meta.constraints if c.name == name)
    schema_editor.remove_constraint(model, old)
    schema_editor.add_constraint(model, models.CheckConstraint(condition=Q(action__in=ACTIONS), name=name))


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_environment")]

    operations = [
        migrations.AlterField(
            model_name='auditrecord',
            name='action',
            field=models.CharField(choices=[('created', 'Created'), ('draft_saved', 'Draft saved'), ('submitted', 'Submitted for review'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('published', 'Published'), ('rolled_back', 'Rolled back'), ('promoted', 'Promoted'), ('cancelled', 'Cancelled'), ('rollout_started', 'Rollout started'), ('rollout_aborted', 'Rollout aborted'), ('rollout_completed', 'Rollout completed'), ('scheduled', 'Scheduled'), ('archived', 'Archived'), ('activated', 'Activated'), ('deactivated', 'Deactivated'), ('imported', 'Imported'), ('deleted', 'Deleted'), ('updated', 'Updated'), ('gate_overridden', 'Released despite failing test cases')], max_length=20),
        ),
        migrations.AlterField(
            model_name='auditrecord',
            name='subject_type',
            field=models.CharField(choices=[('agent', 'Agent'), ('team', 'Team'), ('routing', 'Routing'), ('typification', 'Typification'), ('knowledge', 'Knowledge entry'), ('business_unit_route', 'Business unit route'), ('api_key', 'API key'), ('webhook_endpoint', 'Webhook endpoint'), ('test_case', 'Test case'), ('test_suite', 'Test suite')], db_column='component_type', max_length=30, verbose_name='type'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="auditrecord",
                    name="versioning_versionhistory_action_known",
                ),
                migrations.AddConstraint(
                    model_name='auditrecord',
                    constraint=models.CheckConstraint(condition=models.Q(('action__in', ['created', 'draft_saved', 'submitted', 'approved', 'rejected', 'published', 'rolled_back', 'promoted', 'cancelled', 'rollout_started', 'rollout_aborted', 'rollout_completed', 'scheduled', 'archived', 'activated', 'deactivated', 'imported', 'deleted', 'updated', 'gate_overridden'])), name='versioning_versionhistory_action_known'),
                ),
            ],
            database_operations=[migrations.RunPython(widen_action_check, migrations.RunPython.noop)],
        ),
    ]
