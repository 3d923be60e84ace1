from django.apps import AppConfig
from django.db.models.signals import pre_migrate


class HivePortalConfig(AppConfig):
    name = "hive_portal"
    verbose_name = "Hive Portal"

    def ready(self):
        from hive_portal import checks  # noqa: F401  (registers system checks)
        from hive_portal.schema import ensure_hive_schema

        # Before `migrate` records anything, the `hive` schema must exist: the search path puts it
        # first, so django_migrations and every portal table land there and never in `public`.
        pre_migrate.connect(ensure_hive_schema, dispatch_uid="hive_portal.ensure_hive_schema")
