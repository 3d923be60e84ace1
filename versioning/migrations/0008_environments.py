"""Environments (issue 13): what each environment after the first serves, and promotion requests.

Every later environment starts by serving what is published now, so no runtime sees a change on upgrade:
API keys stay in the first environment (runtime 0003) and the others receive the published versions.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_published(apps, schema_editor):
    ComponentVersion = apps.get_model("versioning", "ComponentVersion")
    EnvironmentRelease = apps.get_model("versioning", "EnvironmentRelease")
    db = schema_editor.connection.alias
    published = list(ComponentVersion.objects.using(db).filter(status="published"))
    EnvironmentRelease.objects.using(db).bulk_create(
        EnvironmentRelease(
            environment=environment,
            component_type=row.component_type,
            component_id=row.component_id,
            version=row,
            released_at=row.published_at,
            released_by_id=row.published_by_id,
            released_by_name=row.published_by_name or "migration",
            note="Live when environments were introduced.",
        )
        for environment in settings.HIVE_ENVIRONMENTS[1:]
        for row in published
    )


class Migration(migrations.Migration):
    dependencies = [
        ("versioning", "0007_audit_moves_to_audit_app"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="EnvironmentRelease",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("environment", models.CharField(max_length=30)),
                (
                    "component_type",
                    models.CharField(
                        choices=[("agent", "Agent"), ("team", "Team"), ("routing", "Routing")],
                        max_length=10,
                        verbose_name="type",
                    ),
                ),
                ("component_id", models.CharField(max_length=255, verbose_name="component ID")),
                ("released_at", models.DateTimeField()),
                ("released_by_name", models.CharField(max_length=150)),
                ("note", models.TextField(help_text="Why this version went live in this environment.")),
                (
                    "released_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="releases",
                        to="versioning.componentversion",
                    ),
                ),
            ],
            options={
                "verbose_name": "environment release",
                "db_table": "environment_releases",
                "ordering": ["environment", "component_type", "component_id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("environment", "component_type", "component_id"),
                        name="versioning_environmentrelease_one_per_environment",
                        violation_error_message="An environment serves one version of a component.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("environment__regex", "^[a-z][a-z0-9-]{0,29}$")),
                        name="versioning_environmentrelease_environment_name",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("note", ""), _negated=True),
                        name="versioning_environmentrelease_note_set",
                        violation_error_message="Say why: a note is required.",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="PromotionRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("environment", models.CharField(max_length=30)),
                (
                    "component_type",
                    models.CharField(
                        choices=[("agent", "Agent"), ("team", "Team"), ("routing", "Routing")],
                        max_length=10,
                        verbose_name="type",
                    ),
                ),
                ("component_id", models.CharField(max_length=255, verbose_name="component ID")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("requested", "Waiting for review"),
                            ("approved", "Approved"),
                            ("rejected", "Changes requested"),
                            ("cancelled", "Cancelled"),
                            ("done", "Promoted"),
                        ],
                        default="requested",
                        max_length=10,
                    ),
                ),
                ("note", models.TextField(help_text="Why this version should go to the environment.")),
                ("requested_by_name", models.CharField(max_length=150)),
                ("requested_at", models.DateTimeField(auto_now_add=True)),
                ("reviewed_by_name", models.CharField(blank=True, default="", max_length=150)),
                ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                ("review_comment", models.TextField(blank=True, default="")),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="promotion_requests",
                        to="versioning.componentversion",
                    ),
                ),
            ],
            options={
                "verbose_name": "promotion request",
                "db_table": "promotion_requests",
                "ordering": ["-requested_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("state__in", ["requested", "approved"])),
                        fields=("environment", "component_type", "component_id"),
                        name="versioning_promotionrequest_one_open",
                        violation_error_message="This component already has an open promotion request for the environment.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("state__in", ["requested", "approved", "rejected", "cancelled", "done"])),
                        name="versioning_promotionrequest_state_known",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("note", ""), _negated=True),
                        name="versioning_promotionrequest_note_set",
                        violation_error_message="Say why: a note is required.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("state__in", ["requested", "cancelled"]), ("reviewed_at__isnull", False), _connector="OR"
                        ),
                        name="versioning_promotionrequest_reviewed_has_time",
                    ),
                ],
            },
        ),
        migrations.RunPython(copy_published, migrations.RunPython.noop, elidable=True),
    ]
