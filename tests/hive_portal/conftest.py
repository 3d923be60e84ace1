"""Helpers for the foundation tests: ``manage.py`` in a subprocess, and throwaway PostgreSQL databases
on the test session's server (so migrate/flush/zero can run against a database no other test uses)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)

# Variables a developer's shell (or the test session) may carry that would change what a subprocess sees.
_INHERITED = (
    "DATABASE_URL",
    "HIVE_DATABASE_URL",
    "HIVE_SECRET_KEY",
    "HIVE_DEBUG",
    "HIVE_ALLOWED_HOSTS",
    "HIVE_BIND",
    "HIVE_ADMIN_PASSWORD",
    "HIVE_HTTPS",
    "HIVE_SSL_REDIRECT",
    "HIVE_TEST_DATABASE_NAME",
    "HIVE_EMBEDDING_DIMENSIONS",
    "DJANGO_SETTINGS_MODULE",
)


def random_secret() -> str:
    return secrets.token_urlsafe(60)


@pytest.fixture
def subprocess_env(tmp_path_factory):
    """Build the environment for a ``manage.py`` subprocess: a SQLite baseline unless told otherwise.

    Variables are set to ``""`` rather than removed, so an ``.env`` beside manage.py cannot fill them in.
    A value of ``None`` removes the variable entirely.
    """
    data_dir = tmp_path_factory.mktemp("hive-data")

    def build(**overrides: str | None) -> dict[str, str]:
        env = dict(os.environ)
        for name in _INHERITED:
            env[name] = ""
        env.update(
            HIVE_TESTING="1",
            HIVE_BIND="127.0.0.1:8000",
            HIVE_ALLOWED_HOSTS="localhost,127.0.0.1",
            HIVE_DATA_DIR=str(data_dir),
            HIVE_DATABASE_URL=f"sqlite:///{data_dir / 'hive.sqlite3'}",
            HIVE_SECRET_KEY=random_secret(),
            HIVE_HTTPS="false",
            PYTHONWARNINGS="ignore::DeprecationWarning",
            # The portal's commands speak the shell's language (common/commands.py); the tests read English whatever
            # the developer's locale (GNU's LANGUAGE list comes first; LANG stays, it is the embedded server's locale).
            LANGUAGE="en",
        )
        env.pop("DJANGO_SETTINGS_MODULE", None)
        for name, value in overrides.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    return build


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def manage_ok(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    result = manage(*args, env=env, timeout=timeout)
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


# --- Throwaway PostgreSQL databases --------------------------------------------------------------


@dataclass
class ScratchDatabase:
    """A database created for one test on the session's PostgreSQL server, dropped afterwards."""

    name: str
    params: dict

    def url(self, name: str | None = None) -> str:
        return postgres_url(self.params, name or self.name)

    def connect(self, name: str | None = None):
        import psycopg

        return psycopg.connect(dbname=name or self.name, autocommit=True, **self.params)


def postgres_url(params: dict, database: str) -> str:
    """A HIVE_DATABASE_URL for ``database`` on the server described by psycopg ``params``."""
    auth = quote(params["user"], safe="")
    if params.get("password"):
        auth += ":" + quote(params["password"], safe="")
    host = quote(params["host"], safe="")
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{auth}@{host}{port}/{database}"


def server_params() -> dict:
    s = connection.settings_dict
    params = {"host": s["HOST"] or "localhost", "user": s["USER"] or "postgres"}
    if s.get("PORT"):
        params["port"] = int(s["PORT"])
    if s.get("PASSWORD"):
        params["password"] = s["PASSWORD"]
    return params


def _admin_execute(params: dict, sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(sql)


@pytest.fixture
def scratch_database():
    """Create empty databases on the test server; every one made through the factory is dropped at the end.

    ``factory(name=None)`` returns a ScratchDatabase; pass ``name`` to pre-create a database a
    subprocess will look for (the nested test run's test database, for example).
    """
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    params = server_params()
    created: list[str] = []

    def factory(name: str | None = None) -> ScratchDatabase:
        name = name or f"hive_scratch_{uuid.uuid4().hex[:10]}"
        _admin_execute(params, f'CREATE DATABASE "{name}"')
        created.append(name)
        return ScratchDatabase(name=name, params=params)

    factory.params = params
    factory.forget_later = created.append  # databases a subprocess creates that must go too
    yield factory
    for name in reversed(created):
        _admin_execute(params, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Migrations -----------------------------------------------------------------------------------


def schema_tables(conn) -> dict[str, set[str]]:
    """Tables and views by schema; a partition counts as its table (the metric tables' months)."""
    found: dict[str, set[str]] = {}
    for schema, table in conn.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition"
        " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
    ):
        found.setdefault(schema, set()).add(table)
    return found


def portal_tables() -> set[str]:
    """Every table the portal's models and Django's contrib apps own, plus the migration ledger and the job
    queue's tables (procrastinate's models are unmanaged: its SQL migrations create them)."""
    queue = {"procrastinate_jobs", "procrastinate_periodic_defers", "procrastinate_events", "procrastinate_workers"}
    return set(connection.introspection.django_table_names(include_views=False)) | {"django_migrations"} | queue


ZERO_ALL_APPS = textwrap.dedent(
    """
    from django.core.management import call_command
    from django.db.migrations.loader import MigrationLoader
    from django.db import connection
    # procrastinate's migrations (the job queue) are forward-only upstream: its tables stay.
    for app in sorted(MigrationLoader(connection).migrated_apps - {"procrastinate"}):
        call_command("migrate", app, "zero", verbosity=0, interactive=False)
    print("zeroed")
    """
)
