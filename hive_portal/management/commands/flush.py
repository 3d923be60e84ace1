"""``flush`` that may empty the append-only audit table (PostgreSQL trigger allows it for this session).

Django's own flush truncates every managed table; the audit trigger would refuse. Flushing is a
development and test operation (TransactionTestCase uses it between tests); it never touches Agno's
schema because Agno's models are unmanaged and routed away from migrations.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('hive.allow_audit_truncate', 'on', false)")
        try:
            return super().handle(**options)
        finally:
            if connection.vendor == "postgresql" and connection.connection is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('hive.allow_audit_truncate', 'off', false)")
