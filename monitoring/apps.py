from django.apps import AppConfig
from django.db.backends.signals import connection_created


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self):
        from monitoring.aggregates import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="monitoring.sqlite_percentile")
