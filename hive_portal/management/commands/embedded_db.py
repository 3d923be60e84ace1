from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hive_portal.embedded_db import stop_server


class Command(BaseCommand):
    help = "Show or stop the embedded PostgreSQL of this data folder (HIVE_DATA_DIR)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "stop"])

    def handle(self, *args, action, **options):
        if not settings.HIVE_EMBEDDED_DATABASE:
            raise CommandError("This portal uses HIVE_DATABASE_URL, not the embedded PostgreSQL.")
        pgdata = settings.DATA_DIR / "pgdata"
        if action == "status":
            db = settings.DATABASES["default"]
            self.stdout.write(f"Embedded PostgreSQL running in {pgdata} (socket {db['HOST']}, database {db['NAME']}).")
            return
        from django.db import connections

        connections.close_all()
        stopped = stop_server(pgdata)
        self.stdout.write("Stopped." if stopped else "It was not running.")
