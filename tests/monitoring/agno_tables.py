"""Agno's tables in its ``agno`` schema, created with raw SQL in Agno's shape (agno 3.1
``agno/db/postgres/schemas.py``) inside a test's transaction, for the read-only views and "Add as test case"."""

from django.db import DatabaseError, connection, transaction

AGNO_DDL = """
CREATE SCHEMA agno;
CREATE TABLE agno.agno_sessions (
    session_id varchar PRIMARY KEY, session_type varchar NOT NULL, agent_id varchar, team_id varchar,
    workflow_id varchar, user_id varchar, session_data jsonb, agent_data jsonb, team_data jsonb,
    workflow_data jsonb, metadata jsonb, summary jsonb, created_at bigint NOT NULL, updated_at bigint
);
CREATE INDEX agno_sessions_created_at ON agno.agno_sessions (created_at);
CREATE TABLE agno.agno_runs (
    run_id varchar PRIMARY KEY,
    session_id varchar NOT NULL REFERENCES agno.agno_sessions (session_id) ON DELETE CASCADE,
    run_type varchar NOT NULL, agent_id varchar, team_id varchar, workflow_id varchar, user_id varchar,
    parent_run_id varchar, status varchar, run_index bigint, run_data jsonb NOT NULL,
    created_at bigint NOT NULL, updated_at bigint
);
CREATE INDEX agno_runs_session_id_run_index ON agno.agno_runs (session_id, run_index);
CREATE TABLE agno.agno_memories (
    memory_id varchar PRIMARY KEY, memory jsonb NOT NULL, feedback text, input text, agent_id varchar,
    team_id varchar, user_id varchar, topics jsonb, created_at bigint NOT NULL, updated_at bigint
);
"""


def create_agno() -> None:
    with connection.cursor() as cursor:
        cursor.execute(AGNO_DDL)


def drop_agno() -> None:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA IF EXISTS agno CASCADE")
    except DatabaseError:
        pass  # the test's transaction is rolled back anyway
