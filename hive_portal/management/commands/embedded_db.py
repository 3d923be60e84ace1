import sys

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.commands import PortalCommand
from hive_portal.embedded_db import (
    REPLICA_FOLDER,
    REPLICA_PORT,
    ReplicaError,
    ensure_replica,
    ensure_server,
    running_server,
    serving_url,
    stop_server,
)

NOT_RUNNING_EXIT_CODE = 3  # as `systemctl status` and LSB init scripts say "not running"


class Command(PortalCommand):
    help = gettext_lazy(
        "Start, stop or show the embedded PostgreSQL of this data folder (HIVE_DATA_DIR), or a local streaming "
        "replica of it (`replica start|stop|status`, for trying read replicas). `status` exits with 3 when it is "
        "not running; `stop` stops the replica too."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "stop", "status", "replica"])
        parser.add_argument(
            "replica_action",
            nargs="?",
            choices=["start", "stop", "status"],
            help=_("With `replica`: start (making it the first time: a pg_basebackup of the primary), stop or status."),
        )
        parser.add_argument(
            "--port",
            type=int,
            default=REPLICA_PORT,
            help=_("The replica's port (default %(port)s).") % {"port": REPLICA_PORT},
        )

    def handle(self, *args, action, replica_action=None, port=REPLICA_PORT, **options):
        if not settings.HIVE_EMBEDDED_DATABASE:
            raise CommandError(_("This portal uses HIVE_DATABASE_URL, not the embedded PostgreSQL."))
        if (action == "replica") != (replica_action is not None):
            raise CommandError(
                _("Say `replica start`, `replica stop` or `replica status`; the others take no second word.")
            )
        pgdata = settings.DATA_DIR / "pgdata"
        if action == "replica":
            self._replica(pgdata, settings.DATA_DIR / REPLICA_FOLDER, replica_action, port)
            return
        info = running_server(pgdata)
        if action == "status":
            if info is None:
                self.stdout.write(
                    _("Embedded PostgreSQL in %(folder)s is not running (start it: manage.py embedded_db start).")
                    % {"folder": pgdata}
                )
                sys.exit(NOT_RUNNING_EXIT_CODE)
            self.stdout.write(
                _("Embedded PostgreSQL running in %(folder)s (pid %(pid)s, socket %(socket)s, database hive).")
                % {"folder": pgdata, "pid": info.pid, "socket": info.socket_dir}
            )
        elif action == "start":
            if info is not None:
                self.stdout.write(
                    _("Already running in %(folder)s (pid %(pid)s).") % {"folder": pgdata, "pid": info.pid}
                )
                return
            ensure_server(pgdata)
            self.stdout.write(
                _("Started the embedded PostgreSQL in %(folder)s (pid %(pid)s).")
                % {"folder": pgdata, "pid": running_server(pgdata).pid}
            )
        else:
            from django.db import connections

            connections.close_all()
            if stop_server(settings.DATA_DIR / REPLICA_FOLDER):
                self.stdout.write(_("Stopped the replica."))
            self.stdout.write(_("Stopped.") if stop_server(pgdata) else _("It was not running."))

    def _replica(self, pgdata, replica_pgdata, action, port):
        info = running_server(replica_pgdata)
        if action == "status":
            if info is None:
                self.stdout.write(
                    _("No replica is running in %(folder)s (start one: manage.py embedded_db replica start).")
                    % {"folder": replica_pgdata}
                )
                sys.exit(NOT_RUNNING_EXIT_CODE)
            self.stdout.write(
                _("Replica running in %(folder)s (pid %(pid)s, port %(port)s).")
                % {"folder": replica_pgdata, "pid": info.pid, "port": info.port}
            )
        elif action == "stop":
            self.stdout.write(
                _("Stopped the replica.") if stop_server(replica_pgdata) else _("No replica was running.")
            )
        else:
            if running_server(pgdata) is None:
                ensure_server(pgdata)
            try:
                url = ensure_replica(pgdata, replica_pgdata, port)
            except ReplicaError as exc:
                raise CommandError(_("The replica could not start: %(error)s") % {"error": exc}) from None
            self.stdout.write(
                _("Replica running in %(folder)s (port %(port)s).")
                % {"folder": replica_pgdata, "port": running_server(replica_pgdata).port}
            )
            self.stdout.write(
                _(
                    "Use it: set HIVE_DATABASE_REPLICA_URLS to this URL (in .env or the environment) and restart the "
                    "portal; it reads as hive_app, the role gunicorn serves as."
                )
            )
            self.stdout.write(serving_url(url))
