from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class HivePortalConfig(AppConfig):
    name = "hive_portal"
    verbose_name = "Hive Portal"

    def ready(self):
        from common.db_schema import ensure_hive_schema
        from hive_portal import checks  # noqa: F401  (registers system checks)

        # Before `migrate` records anything, the `hive` schema must exist: the search path puts it
        # first, so django_migrations and every portal table land there and never in `public`.
        pre_migrate.connect(ensure_hive_schema, dispatch_uid="hive_portal.ensure_hive_schema")
        from hive_portal.db_roles import grant_after_migrate

        # The embedded setup serves as a role that cannot rewrite history (hive_portal.db_roles).
        post_migrate.connect(grant_after_migrate, dispatch_uid="hive_portal.grant_application_role")
