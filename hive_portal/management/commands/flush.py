"""``flush`` that may empty the append-only audit table, as the table's owner.

Django's own flush truncates every managed table; the audit trigger refuses TRUNCATE for everyone. Only
the owner of ``version_history`` (the role that migrates) may disable that trigger, and does so here
inside the flush's own transaction, so the protection is back when it commits or rolls back. A role that
does not own the table cannot flush it. Flushing is a development and test operation
(TransactionTestCase uses it between tests); it never touches Agno's schema because Agno's models are
unmanaged and routed away from migrations.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections, transaction

TRIGGER = "version_history_no_truncate"


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql" or "version_history" not in connection.introspection.table_names():
            return super().handle(**options)
        with transaction.atomic(using=options["database"]):
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE version_history DISABLE TRIGGER {TRIGGER}")
            result = super().handle(**options)
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE version_history ENABLE TRIGGER {TRIGGER}")
        return result
