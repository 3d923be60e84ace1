#!/usr/bin/env python
"""Django's command-line utility for Hive Portal."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hive_portal.settings")
    if sys.argv[1:2] == ["embedded_db"]:
        os.environ["HIVE_EMBEDDED_DB_COMMAND"] = "1"  # the settings then leave the server as it is
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # load settings now: a bad variable is reported in one sentence
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
