"""PostgreSQL schema helpers: the portal's ``hive`` schema and the pgvector extension."""

from __future__ import annotations

from django.conf import settings
from django.db import connections
from django.db.utils import DatabaseError


class PgvectorMissing(RuntimeError):
    pass


def ensure_hive_schema(sender=None, using="default", **kwargs) -> None:
    """Create the ``hive`` schema if it is missing (PostgreSQL only; idempotent)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    schema = settings.HIVE_SCHEMA
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def create_vector_extension(apps, schema_editor) -> None:
    """Migration step: install pgvector, or fail with a sentence saying what to do."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        if cursor.fetchone() is not None:
            return
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if cursor.fetchone() is None:
            raise PgvectorMissing(
                "The pgvector extension is not installable on this PostgreSQL server: install pgvector "
                "(0.8 or newer, e.g. the postgresql-NN-pgvector package) on the database host, or unset "
                "HIVE_DATABASE_URL to use the embedded PostgreSQL."
            )
        try:
            # In `public`, where Agno's PgVector expects it too; the search path resolves its types.
            cursor.execute("CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public")
        except DatabaseError as exc:
            # One line: the server's own sentence ("permission denied to create extension ..."), no HINT.
            diag = getattr(exc.__cause__, "diag", None)
            detail = getattr(diag, "message_primary", None) or " ".join(str(exc).split())
            raise PgvectorMissing(
                f"The pgvector extension could not be created ({detail}). Ask a database superuser to run "
                "CREATE EXTENSION vector WITH SCHEMA public; in this database, then migrate again."
            ) from exc


def pgvector_version(using: str = "default") -> str | None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return row[0] if row else None


def schema_exists(name: str, using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def table_exists(qualified: str, using: str = "default") -> bool:
    """True when ``schema.table`` exists (``to_regclass``); always False on SQLite for schema names."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [qualified])
        return bool(cursor.fetchone()[0])
