from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_partitions(using="default", **kwargs) -> None:
    """After every migrate, the months ahead exist even where the daily job has not run yet."""
    from django.db import connections

    from monitoring.partitions import ensure_partitions

    if connections[using].vendor == "postgresql":
        ensure_partitions()


def _rebuild_rollups(using="default", **kwargs) -> None:
    """After the migrate that adds the rollups to a database that already holds metrics: fill them once (not
    after a migrate that left the tables out, backwards)."""
    from django.db import connections

    from monitoring import rollups

    tables = set(connections[using].introspection.table_names())
    needed = {"agent_metrics", "routing_decisions", *(r.model._meta.db_table for r in rollups.ALL)}
    if needed <= tables and rollups.needs_rebuild():
        rollups.rebuild()


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self):
        from monitoring.aggregates import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="monitoring.sqlite_percentile")
        post_migrate.connect(_ensure_partitions, sender=self, dispatch_uid="monitoring.ensure_partitions")
        post_migrate.connect(_rebuild_rollups, sender=self, dispatch_uid="monitoring.rebuild_rollups")
