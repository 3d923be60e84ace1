import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hive_portal.embedded_db import ensure_server, running_server, stop_server

NOT_RUNNING_EXIT_CODE = 3  # as `systemctl status` and LSB init scripts say "not running"


class Command(BaseCommand):
    help = (
        "Start, stop or show the embedded PostgreSQL of this data folder (HIVE_DATA_DIR). "
        "`status` exits with 3 when it is not running."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "stop", "status"])

    def handle(self, *args, action, **options):
        if not settings.HIVE_EMBEDDED_DATABASE:
            raise CommandError("This portal uses HIVE_DATABASE_URL, not the embedded PostgreSQL.")
        pgdata = settings.DATA_DIR / "pgdata"
        info = running_server(pgdata)
        if action == "status":
            if info is None:
                self.stdout.write(
                    f"Embedded PostgreSQL in {pgdata} is not running (start it: manage.py embedded_db start)."
                )
                sys.exit(NOT_RUNNING_EXIT_CODE)
            self.stdout.write(
                f"Embedded PostgreSQL running in {pgdata} (pid {info.pid}, socket {info.socket_dir}, database hive)."
            )
        elif action == "start":
            if info is not None:
                self.stdout.write(f"Already running in {pgdata} (pid {info.pid}).")
                return
            ensure_server(pgdata)
            self.stdout.write(f"Started the embedded PostgreSQL in {pgdata} (pid {running_server(pgdata).pid}).")
        else:
            from django.db import connections

            connections.close_all()
            self.stdout.write("Stopped." if stop_server(pgdata) else "It was not running.")
