"""pytest plugin (loaded with ``-p hive_portal.pytest_plugin`` from pytest.ini, before Django starts).

Unless a database URL is given, the test session starts its own embedded PostgreSQL + pgvector in a
fresh temporary folder, and stops and deletes it at the end: tests always hit a real database, never
a developer's data.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ["HIVE_TESTING"] = "1"
os.environ.setdefault("AGNO_TELEMETRY", "false")
os.environ.setdefault("HIVE_HTTPS", "false")
os.environ.setdefault("HIVE_EMBEDDER", "hashing")
# Tests run inside transactions that never commit, so NOTIFY never arrives: read the generation per
# request instead; tests/runtime/test_listener.py turns the listener on in committed transactions.
os.environ.setdefault("HIVE_RUNTIME_LISTEN", "false")

_TEMP_DATA_DIR: Path | None = None


def _remove_temp_server() -> None:
    """Stop the session's server and delete its folder (idempotent).

    Registered with atexit, not only pytest_unconfigure: the server starts when this plugin is imported,
    and a usage error or an interrupted start exits before pytest_unconfigure would run.
    """
    global _TEMP_DATA_DIR
    if _TEMP_DATA_DIR is None:
        return
    path, _TEMP_DATA_DIR = _TEMP_DATA_DIR, None
    from hive_portal.embedded_db import REPLICA_FOLDER, stop_server

    try:
        stop_server(path / REPLICA_FOLDER)  # a replica a test left running (tests/hive_portal/test_replicas.py)
        stop_server(path / "pgdata")
    finally:
        shutil.rmtree(path, ignore_errors=True)


if not (os.environ.get("HIVE_DATABASE_URL") or os.environ.get("DATABASE_URL")):
    # A short path: the server's unix socket lives in it and socket paths are limited to ~100 bytes.
    _TEMP_DATA_DIR = Path(tempfile.mkdtemp(prefix="hivetest-", dir="/tmp"))
    os.environ["HIVE_DATA_DIR"] = str(_TEMP_DATA_DIR)
    atexit.register(_remove_temp_server)
    # The session is an entry point like manage.py: it starts the server before pytest-django loads the
    # settings, which only compute its address (hive_portal.startup).
    from hive_portal.embedded_db import ensure_server, installation_secret_key

    ensure_server(_TEMP_DATA_DIR / "pgdata")
    installation_secret_key(_TEMP_DATA_DIR)
else:
    os.environ.setdefault("HIVE_SECRET_KEY", "test-secret-key-" + "x9Q2" * 12)


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_smoke: also runs on the SQLite fallback (make test runs both).")
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL (schemas, pgvector, triggers).")
    config.addinivalue_line("markers", "browser: drives Debian's Chromium with Playwright.")


def pytest_collection_modifyitems(config, items):
    import pytest
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        skip = pytest.mark.skip(reason="needs PostgreSQL")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip)


def pytest_unconfigure(config):
    _remove_temp_server()
