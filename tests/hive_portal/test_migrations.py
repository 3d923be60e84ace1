"""Migrations match the models, and a populated database migrates back to zero and forward again."""

from __future__ import annotations

import json
import textwrap

import pytest
from django.core.management import call_command

from .conftest import ZERO_ALL_APPS, manage_ok, schema_tables

# Row counts of the demo data, read in the subprocess (works on both backends).
COUNTS = textwrap.dedent(
    """
    import json
    from django.contrib.auth.models import Group, User
    from agents.models import Agent
    from teams.models import Team, TeamMember
    from typification.models import TypificationHierarchy
    from knowledge.models import KnowledgeEntry
    from monitoring.models import AgentMetric
    from versioning.models import ComponentVersion
    print(json.dumps({m.__name__: m.objects.count() for m in (
        User, Group, Agent, Team, TeamMember, TypificationHierarchy, KnowledgeEntry, AgentMetric, ComponentVersion
    )}))
    """
)


def _counts(env) -> dict[str, int]:
    return json.loads(manage_ok("shell", "-c", COUNTS, env=env).stdout.strip().splitlines()[-1])


@pytest.mark.sqlite_smoke
@pytest.mark.django_db
def test_makemigrations__check__models_and_migrations_agree():
    # Raises SystemExit(1) when a model change has no migration.
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


def _populated_zero_and_forward(env, *, assert_emptied) -> None:
    manage_ok("migrate", "--no-input", env=env)
    manage_ok("load_demo", env=env)
    loaded = _counts(env)
    assert loaded["Agent"] == 3 and loaded["Team"] == 1 and loaded["AgentMetric"] > 0 and loaded["User"] == 1

    assert "zeroed" in manage_ok("shell", "-c", ZERO_ALL_APPS, env=env).stdout
    assert_emptied()

    manage_ok("migrate", "--no-input", env=env)
    manage_ok("load_demo", env=env)
    assert _counts(env) == loaded


@pytest.mark.postgres_only
def test_migrate__populated_postgresql__to_zero_and_forward(scratch_database, subprocess_env):
    db = scratch_database()
    env = subprocess_env(HIVE_DATABASE_URL=db.url(), HIVE_ADMIN_PASSWORD="demo-admin-password")

    def assert_emptied():
        with db.connect() as conn:
            # The job queue's tables and functions stay (procrastinate's migrations cannot be reversed).
            tables = schema_tables(conn)
            assert {t for t in tables["hive"] if not t.startswith("procrastinate_")} == {"django_migrations"}
            assert set(tables) == {"hive"}
            # The triggers' functions go with their tables; pgvector stays (Agno may use it too).
            assert (
                conn.execute(
                    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                    " WHERE n.nspname = 'hive' AND p.proname NOT LIKE 'procrastinate%'"
                ).fetchall()
                == []
            )
            assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'vector'").fetchone()

    _populated_zero_and_forward(env, assert_emptied=assert_emptied)


@pytest.mark.sqlite_smoke
def test_migrate__populated_sqlite__to_zero_and_forward(subprocess_env, tmp_path):
    path = tmp_path / "zero.sqlite3"
    env = subprocess_env(HIVE_DATABASE_URL=f"sqlite:///{path}", HIVE_ADMIN_PASSWORD="demo-admin-password")

    def assert_emptied():
        import sqlite3

        with sqlite3.connect(path) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables - {"sqlite_sequence"} == {"django_migrations"}

    _populated_zero_and_forward(env, assert_emptied=assert_emptied)


# Rows written while the trail was still versioning's model (raw SQL: today's model has columns the old
# schema lacks); the trigger chains them.
OLD_ROWS = textwrap.dedent(
    """
    from django.db import connection
    with connection.cursor() as cursor:
        for i in range(3):
            cursor.execute(
                "INSERT INTO version_history (action, component_type, component_id, actor_name, created_at, reason,"
                " diff) VALUES ('updated', 'knowledge', %s, 'alice', now(), 'before the move', '{}')",
                [str(i)],
            )
    print("written")
    """
)
NEW_ROWS = textwrap.dedent(
    """
    from audit.services import audit_record
    from common.batches import batch
    with batch():
        for i in range(2):
            audit_record(action="deleted", subject_type="knowledge", subject_id=str(10 + i), actor="bob")
    audit_record(action="updated", subject_type="api_key", subject_id="1", actor="bob")
    from django.contrib.auth.models import Permission
    print(Permission.objects.filter(content_type__app_label="audit", codename="view_auditrecord").count(),
          Permission.objects.filter(content_type__app_label="versioning", codename__endswith="versionhistory").count())
    """
)


@pytest.mark.postgres_only
def test_migrate__audit_moves_to_its_app__rows_and_hash_chain_survive(scratch_database, subprocess_env):
    db = scratch_database()
    env = subprocess_env(HIVE_DATABASE_URL=db.url(), HIVE_ADMIN_PASSWORD="demo-admin-password")
    manage_ok("migrate", "--no-input", env=env)
    # Back to the schema before the audit app (versioning's VersionHistory, no batch_id), with its permissions.
    manage_ok("migrate", "audit", "zero", "--no-input", env=env)
    with db.connect() as conn:
        assert conn.execute("SELECT model FROM hive.django_content_type WHERE app_label = 'versioning'").fetchall()
        columns = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'version_history'"
            )
        }
        assert "batch_id" not in columns and {"component_type", "component_id", "row_hash"} <= columns
    assert "written" in manage_ok("shell", "-c", OLD_ROWS, env=env).stdout
    assert "intact: 3 rows" in manage_ok("verify_audit", env=env).stdout

    manage_ok("migrate", "--no-input", env=env)
    assert "intact: 3 rows" in manage_ok("verify_audit", env=env).stdout  # same table, same chain
    # The content type and its permissions moved with the model (the roles keep theirs).
    assert manage_ok("shell", "-c", NEW_ROWS, env=env).stdout.strip().splitlines()[-1].split() == ["1", "0"]
    assert "intact: 6 rows" in manage_ok("verify_audit", env=env).stdout
    with db.connect() as conn:
        assert conn.execute("SELECT count(DISTINCT batch_id) FROM hive.version_history").fetchone() == (1,)
