#!/usr/bin/env python
"""Django's command-line utility for Hive Portal."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hive_portal.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from hive_portal.startup import prepare

        # Settings, data folder, secret and (zero configuration) the embedded PostgreSQL — which
        # `embedded_db start|stop|status` manages itself, so it is left as it is for that command.
        # `job_worker stop|status` (make stop) needs no database either.
        prepare(start_database=sys.argv[1:2] not in (["embedded_db"], ["job_worker"]))
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)

    from django.core.management import execute_from_command_line

    from common.db_schema import PgvectorMissing

    try:
        execute_from_command_line(sys.argv)
    except PgvectorMissing as exc:
        # What the operator has to do, not a migration traceback.
        sys.stderr.write(f"Database error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
