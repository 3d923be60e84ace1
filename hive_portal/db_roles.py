"""Two PostgreSQL roles: the owner migrates, the application role serves.

The application role (``hive_app`` in the embedded setup) may read and write the portal's tables but
only INSERT and SELECT the audit trail, and — owning nothing and being no superuser — cannot disable a
trigger, truncate a table or switch ``session_replication_role``: nothing it does can alter or erase
history. ``grant_application_role`` (re)applies its privileges after every ``migrate`` (post_migrate),
so tables added later are covered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections

APP_ROLE = "hive_app"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_application_role(role: str, *, using: str = "default") -> None:
    """Give ``role`` what serving needs and nothing that could rewrite history (run as the owner)."""
    connection = connections[using]
    schema = _quote(settings.HIVE_SCHEMA)
    who = _quote(role)
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
        # History: append and read only.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.version_history FROM {who}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.django_migrations FROM {who}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {schema} FROM {who}",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{settings.HIVE_SCHEMA}.version_history"])
        if not cursor.fetchone()[0]:
            return  # migrated back to zero: nothing to grant on
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("SELECT to_regprocedure('hive_add_month_partition(text, timestamptz)') IS NOT NULL")
        if cursor.fetchone()[0]:  # the daily job makes the metric tables' months (monitoring.partitions)
            cursor.execute(f"GRANT EXECUTE ON FUNCTION hive_add_month_partition(text, timestamptz) TO {who}")
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [settings.AGNO_SCHEMA])
        if cursor.fetchone():  # the admin reads Agno's sessions, runs and memories
            agno = _quote(settings.AGNO_SCHEMA)
            cursor.execute(f"GRANT USAGE ON SCHEMA {agno} TO {who}")
            cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {agno} TO {who}")


def grant_after_migrate(using: str = "default", **kwargs) -> None:
    """post_migrate: the embedded setup's application role follows every migration."""
    if getattr(settings, "HIVE_EMBEDDED_DATABASE", False) and connections[using].vendor == "postgresql":
        grant_application_role(APP_ROLE, using=using)


def serving_role_problems(*, using: str = "default", role: str | None = None) -> list[str]:
    """Why the role the portal serves as (``role``, default: the connection's user) could rewrite history:
    it is a superuser, or it owns the audit table. Empty when it is fine, or on SQLite. Opens its own
    short connection (gunicorn's master calls it before forking workers: no pool, no thread)."""
    wrapper = connections[using]
    if wrapper.vendor != "postgresql":
        return []
    import psycopg

    params = wrapper.get_connection_params()
    params["connect_timeout"] = 5
    with psycopg.connect(**params) as conn:
        current = conn.execute("SELECT current_user").fetchone()
        who = role or (current[0] if current else "")
        row = conn.execute(
            "SELECT r.rolsuper, (SELECT pg_get_userbyid(c.relowner) FROM pg_class c"
            " WHERE c.oid = to_regclass(%s)) FROM pg_roles r WHERE r.rolname = %s",
            [f"{settings.HIVE_SCHEMA}.version_history", who],
        ).fetchone()
    if row is None:
        return []
    superuser, owner = row
    problems = []
    if superuser:
        problems.append(f"the portal serves as {who}, a superuser: it can disable the audit triggers.")
    if owner == who:
        problems.append(f"the portal serves as {who}, the owner of the audit table: it can disable its triggers.")
    return problems
