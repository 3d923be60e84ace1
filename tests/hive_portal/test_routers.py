"""Schema ``agno`` belongs to the Agno runtime: migrate, flush, makemigrations and the test database's
lifecycle never create, alter, truncate or drop anything there; every portal table lives in ``hive``."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from django.apps import apps

from hive_portal.routers import AgnoSchemaRouter, is_agno_model, is_agno_table

from .agno_fixture import agno_snapshot, create_agno_tables
from .conftest import BASE_DIR, ZERO_ALL_APPS, manage_ok, portal_tables, schema_tables

router = AgnoSchemaRouter()


# --- The router itself ---------------------------------------------------------------------------


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize("model_name", ["agnosession", "agnomemory", "agnorun"])
def test_allow_migrate__agno_model_by_name__refused(model_name):
    assert router.allow_migrate("default", "monitoring", model_name=model_name) is False


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize("label", ["monitoring.AgnoSession", "monitoring.AgnoMemory", "monitoring.AgnoRun"])
def test_allow_migrate__agno_model_as_hint__refused(label):
    model = apps.get_model(label)
    assert (
        router.allow_migrate("default", model._meta.app_label, model_name=model._meta.model_name, model=model) is False
    )


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    "label",
    [
        "agents.Agent",
        "teams.Team",
        "teams.TeamMember",
        "typification.TypificationHierarchy",
        "knowledge.KnowledgeEntry",
        "monitoring.AgentMetric",
        "monitoring.RoutingDecision",
        "auth.User",
        "contenttypes.ContentType",
        "axes.AccessAttempt",
    ],
)
def test_allow_migrate__portal_model__left_to_django(label):
    model = apps.get_model(label)
    assert router.allow_migrate("default", model._meta.app_label, model_name=model._meta.model_name) is None
    assert (
        router.allow_migrate("default", model._meta.app_label, model_name=model._meta.model_name, model=model) is None
    )


@pytest.mark.sqlite_smoke
def test_allow_migrate__operation_without_model__left_to_django():
    # RunSQL/RunPython without hints, and a model a later migration deleted.
    assert router.allow_migrate("default", "versioning") is None
    assert router.allow_migrate("default", "monitoring", model_name="no_such_model") is None


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    ("db_table", "expected"),
    [
        ('agno"."agno_sessions', True),
        ("agno.agno_memories", True),
        ("agno_components", True),  # Agno's own names, wherever they are placed
        ("agent_metrics", False),
        ("agents", False),
        ("agnostic_things", False),
        ('hive"."agents', False),
    ],
)
def test_is_agno_table(db_table, expected):
    assert is_agno_table(db_table) is expected


@pytest.mark.sqlite_smoke
def test_agno_models__all_unmanaged_and_no_portal_model_maps_agno():
    agno_models = [m for m in apps.get_models() if is_agno_model(m)]
    assert {m._meta.label for m in agno_models} >= {
        "monitoring.AgnoSession",
        "monitoring.AgnoMemory",
        "monitoring.AgnoRun",
    }
    assert all(not m._meta.managed for m in agno_models)
    assert all(m._meta.app_label != "agents" for m in agno_models)


@pytest.mark.sqlite_smoke
def test_allow_relation__portal_row_and_agno_row__refused():
    from django.contrib.auth.models import User

    from monitoring.models import AgentMetric, AgnoSession

    assert router.allow_relation(User(), AgnoSession()) is False
    assert router.allow_relation(AgnoSession(), AgentMetric()) is False
    assert router.allow_relation(User(), AgentMetric()) is None


# --- The real proof, on a throwaway PostgreSQL database ------------------------------------------


def _agno_database(scratch_database):
    db = scratch_database()
    with db.connect() as conn:
        create_agno_tables(conn)
        before = agno_snapshot(conn)
    assert before["rows"]["agno_runs"] and before["indexes"] and before["constraints"]

    def assert_untouched(step: str) -> None:
        with db.connect() as conn:
            assert agno_snapshot(conn) == before, f"schema agno changed by {step}"

    return db, assert_untouched


@pytest.mark.postgres_only
def test_agno_schema__untouched_by_migrate_flush_and_makemigrations(scratch_database, subprocess_env):
    db, assert_agno_untouched = _agno_database(scratch_database)
    env = subprocess_env(HIVE_DATABASE_URL=db.url(), HIVE_ADMIN_PASSWORD="demo-admin-password")

    manage_ok("migrate", "--no-input", env=env)
    assert_agno_untouched("migrate")
    with db.connect() as conn:
        tables = schema_tables(conn)
    assert tables.get("public", set()) == set(), "public must hold no table"
    assert tables["hive"] == portal_tables()
    assert set(tables) == {"hive", "agno"}

    manage_ok("load_demo", env=env)
    manage_ok("flush", "--no-input", env=env)
    assert_agno_untouched("flush")
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM hive.agents").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM hive.version_history").fetchone()[0] == 0

    manage_ok("makemigrations", "--check", "--dry-run", env=env)
    assert_agno_untouched("makemigrations --check")


@pytest.mark.postgres_only
def test_agno_schema__untouched_by_migrating_portal_apps_to_zero_and_back(scratch_database, subprocess_env):
    db, assert_agno_untouched = _agno_database(scratch_database)
    env = subprocess_env(HIVE_DATABASE_URL=db.url())
    manage_ok("migrate", "--no-input", env=env)

    assert "zeroed" in manage_ok("shell", "-c", ZERO_ALL_APPS, env=env).stdout
    assert_agno_untouched("migrate <app> zero")
    with db.connect() as conn:
        tables = schema_tables(conn)
    # The job queue's tables stay: procrastinate's migrations are forward-only.
    assert {t for t in tables.get("hive", set()) if not t.startswith("procrastinate_")} == {"django_migrations"}
    assert tables.get("public", set()) == set()

    manage_ok("migrate", "--no-input", env=env)
    assert_agno_untouched("migrate after zero")


NESTED_TESTS = textwrap.dedent(
    """
    import pytest
    from django.db import connection


    @pytest.mark.django_db
    def test_rolled_back():
        from agents.models import Agent
        assert connection.settings_dict["NAME"].startswith("test_")
        assert not Agent.objects.exists()


    @pytest.mark.django_db(transaction=True)
    def test_flushed_afterwards():
        from typification.models import TypificationHierarchy
        TypificationHierarchy.objects.create(level1="a", level2="b", business_unit="cards", routing_keywords=[])
    """
)


def _nested_pytest(tmp_path, env, *args):
    test_file = tmp_path / "test_nested_lifecycle.py"
    test_file.write_text(NESTED_TESTS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(BASE_DIR / "pytest.ini"), "--rootdir", str(BASE_DIR),
         "-p", "no:cacheprovider", "-q", *args, str(test_file)],
        cwd=BASE_DIR,
        env={**env, "PYTHONPATH": str(BASE_DIR)},
        capture_output=True,
        text=True,
        timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout, result.stdout
    return result


def _database_exists(scratch_database, name: str) -> bool:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **scratch_database.params) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


@pytest.mark.postgres_only
def test_agno_schema__untouched_by_test_database_lifecycle(scratch_database, subprocess_env, tmp_path):
    db = scratch_database()
    test_name = f"test_{db.name}"
    scratch_database.forget_later(test_name)
    with db.connect() as conn:
        create_agno_tables(conn)
        before = agno_snapshot(conn)
    env = subprocess_env(HIVE_DATABASE_URL=db.url())
    manage_ok("migrate", "--no-input", env=env)
    with db.connect() as conn:
        live_before = agno_snapshot(conn)
        hive_before = conn.execute("SELECT count(*) FROM hive.typification_hierarchy").fetchone()[0]

    # Create, use and destroy a test database next to a live one that holds Agno's tables.
    _nested_pytest(tmp_path, env, "--create-db")
    assert not _database_exists(scratch_database, test_name)
    with db.connect() as conn:
        assert agno_snapshot(conn) == live_before == before
        assert conn.execute("SELECT count(*) FROM hive.typification_hierarchy").fetchone()[0] == hive_before

    # --reuse-db keeps the test database: one where Agno already created its tables is migrated,
    # used and flushed twice, and Agno's tables in it stay exactly as they were.
    kept = scratch_database(test_name)
    with kept.connect() as conn:
        create_agno_tables(conn)
        kept_before = agno_snapshot(conn)
    for _ in range(2):
        _nested_pytest(tmp_path, env, "--reuse-db")
        assert _database_exists(scratch_database, test_name)
        with kept.connect() as conn:
            assert agno_snapshot(conn) == kept_before
            assert schema_tables(conn).get("public", set()) == set()
            assert conn.execute("SELECT count(*) FROM hive.typification_hierarchy").fetchone()[0] == 0


@pytest.mark.sqlite_smoke
def test_system_check__managed_model_on_an_agno_table__error(monkeypatch):
    from django.db import models
    from django.test.utils import isolate_apps

    from hive_portal import checks

    with isolate_apps("monitoring") as isolated:

        class Careless(models.Model):
            class Meta:
                app_label = "monitoring"
                db_table = 'agno"."agno_sessions'

        class Careful(models.Model):
            class Meta:
                app_label = "monitoring"
                db_table = 'agno"."agno_memories'
                managed = False

        monkeypatch.setattr(checks, "apps", isolated)
        errors = checks.agno_models_are_unmanaged()

    assert [(e.id, e.obj) for e in errors] == [("hive_portal.E001", Careless)]


@pytest.mark.sqlite_smoke
def test_system_check__project_models__no_agno_error():
    from hive_portal import checks

    assert checks.agno_models_are_unmanaged() == []
