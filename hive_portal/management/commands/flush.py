"""``flush`` that may empty the append-only audit table, as the table's owner.

Django's own flush truncates every managed table; the audit trigger refuses TRUNCATE for everyone. Only
the owner of ``version_history`` (the role that migrates) may disable that trigger, and does so here
inside the flush's own transaction, so the protection is back when it commits or rolls back. A role that
does not own the table cannot flush it. Flushing is a development and test operation
(TransactionTestCase uses it between tests); it never touches Agno's schema because Agno's models are
unmanaged and routed away from migrations.

The job queue's tables (procrastinate's, created by its SQL migrations) are unmanaged models too, so
Django's flush would leave queued jobs behind: they are emptied here in the same transaction, first. Before
anything else matters: Django's flush ends with ``post_migrate``, whose grants rewrite every table's catalog
row; a queue table locked only after that waits for an autovacuum that itself waits for the catalog row this
transaction rewrote — a deadlock. Taken first, the wait is for the autovacuum alone (which PostgreSQL cancels).
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections, transaction

TRIGGER = "version_history_no_truncate"
JOB_QUEUE_TABLES = (
    "procrastinate_jobs",
    "procrastinate_periodic_defers",
    "procrastinate_events",
    "procrastinate_workers",
)


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql" or "version_history" not in connection.introspection.table_names():
            return super().handle(**options)
        if options["interactive"]:
            # Asked here rather than by Django's flush, so the queue is emptied only when the rest is.
            answer = input(
                f"You have requested a flush of the database {connection.settings_dict['NAME']!r}: every row,"
                " the audit trail and queued jobs included, is IRREVERSIBLY deleted. Type 'yes' to continue: "
            )
            if answer != "yes":
                self.stdout.write("Flush cancelled.")
                return None
            options = {**options, "interactive": False}
        with transaction.atomic(using=options["database"]):
            with connection.cursor() as cursor:
                queue_tables = [t for t in JOB_QUEUE_TABLES if t in connection.introspection.table_names(cursor)]
                if queue_tables:
                    cursor.execute(f"TRUNCATE {', '.join(queue_tables)} RESTART IDENTITY CASCADE")
                cursor.execute(f"ALTER TABLE version_history DISABLE TRIGGER {TRIGGER}")
            result = super().handle(**options)
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE version_history ENABLE TRIGGER {TRIGGER}")
        return result
