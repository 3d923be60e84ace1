"""pgvector is required on PostgreSQL: the first migration installs it, or says what to do."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from .conftest import manage, manage_ok, schema_tables, server_params

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def app_role():
    """A login role without superuser rights, as production databases give the portal (dropped afterwards)."""
    params = server_params()
    name = f"hive_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
    yield name
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_migrate__role_cannot_create_pgvector__one_sentence_then_works_once_installed(
    app_role, scratch_database, subprocess_env
):
    db = scratch_database()
    with db.connect() as conn:
        conn.execute(f'ALTER DATABASE "{db.name}" OWNER TO "{app_role}"')
    env = subprocess_env(HIVE_DATABASE_URL=db.url().replace(f"{db.params['user']}@", f"{app_role}@", 1))

    result = manage("migrate", "--no-input", env=env)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip().splitlines()[-1].startswith("Database error: The pgvector extension could not be created")
    )
    assert "CREATE EXTENSION vector WITH SCHEMA public" in result.stderr
    with db.connect() as conn:
        # Nothing that needs the extension was attempted (other apps' tables may exist: migrate resumes).
        assert "knowledge_base" not in schema_tables(conn).get("hive", set())

    # What the message asks for: a superuser installs the extension, the portal's own role migrates.
    with db.connect() as conn:
        conn.execute("CREATE EXTENSION vector WITH SCHEMA public")
    manage_ok("migrate", "--no-input", env=env)
    with db.connect() as conn:
        tables = schema_tables(conn)
        assert "knowledge_base" in tables["hive"] and tables.get("public", set()) == set()
        owner = conn.execute("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'hive'").fetchone()
        assert owner == (app_role,)
