"""Agno-shaped tables in schema ``agno`` (columns per Agno 3.1, see /work/shared/AGNO.md) and a snapshot of
everything about them that Django could conceivably change: tables, columns, constraints, indexes, rows."""

from __future__ import annotations

AGNO_DDL = """
CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;
CREATE SCHEMA agno;
CREATE TABLE agno.agno_sessions (
    session_id varchar PRIMARY KEY,
    session_type varchar NOT NULL,
    agent_id varchar, team_id varchar, workflow_id varchar, user_id varchar,
    session_data jsonb, agent_data jsonb, team_data jsonb, workflow_data jsonb, metadata jsonb, summary jsonb,
    created_at bigint NOT NULL,
    updated_at bigint
);
CREATE INDEX idx_agno_sessions_agent_id ON agno.agno_sessions (agent_id);
CREATE INDEX idx_agno_sessions_created_at ON agno.agno_sessions (created_at);
CREATE TABLE agno.agno_runs (
    run_id varchar PRIMARY KEY,
    session_id varchar NOT NULL REFERENCES agno.agno_sessions (session_id) ON DELETE CASCADE,
    run_type varchar NOT NULL,
    agent_id varchar, team_id varchar, workflow_id varchar, user_id varchar, parent_run_id varchar,
    status varchar, run_index bigint, run_data jsonb,
    created_at bigint NOT NULL,
    updated_at bigint
);
CREATE INDEX idx_agno_runs_session_id ON agno.agno_runs (session_id);
CREATE TABLE agno.agno_memories (
    memory_id varchar PRIMARY KEY,
    memory jsonb NOT NULL,
    feedback text, input text,
    agent_id varchar, team_id varchar, user_id varchar,
    topics jsonb,
    created_at bigint, updated_at bigint
);
CREATE INDEX idx_agno_memories_user_id ON agno.agno_memories (user_id);
-- Agno's own vector store (PgVector): its type comes from the extension in public.
CREATE TABLE agno.agno_knowledge_vectors (
    id varchar PRIMARY KEY,
    name varchar, content text, meta_data jsonb DEFAULT '{}'::jsonb,
    embedding public.vector(3),
    content_hash varchar,
    created_at timestamptz DEFAULT now()
);
CREATE TABLE agno.agno_schema_versions (table_name varchar PRIMARY KEY, version varchar NOT NULL);

INSERT INTO agno.agno_sessions VALUES
    ('s-1', 'agent', 'cards-specialist', NULL, NULL, 'u-1', '{"session_name": "Fatura"}', '{"name": "Cards"}',
     NULL, NULL, '{}', NULL, 1760000000, 1760000100),
    ('s-2', 'team', NULL, 'customer-service-router', NULL, 'u-2', NULL, NULL, '{"mode": "route"}', NULL, NULL,
     '{"summary": "Pix não caiu"}', 1760000200, NULL);
INSERT INTO agno.agno_runs VALUES
    ('r-1', 's-1', 'agent', 'cards-specialist', NULL, NULL, 'u-1', NULL, 'COMPLETED', 0,
     '{"content": "Olá"}', 1760000001, 1760000002),
    ('r-2', 's-2', 'team', NULL, 'customer-service-router', NULL, 'u-2', NULL, 'COMPLETED', 0, NULL, 1760000201, NULL),
    ('r-3', 's-2', 'agent', 'pix-specialist', NULL, NULL, 'u-2', 'r-2', 'COMPLETED', 1, NULL, 1760000202, NULL);
INSERT INTO agno.agno_memories VALUES
    ('m-1', '{"memory": "Prefere respostas curtas"}', NULL, 'seja breve', 'cards-specialist', NULL, 'u-1',
     '["preferences"]', 1760000003, 1760000003);
INSERT INTO agno.agno_knowledge_vectors (id, name, content, embedding, content_hash, created_at) VALUES
    ('k-1', 'faq', 'Como bloquear o cartão', '[0.1,0.2,0.3]', 'abc', '2025-10-09 09:00:00+00');
INSERT INTO agno.agno_schema_versions VALUES ('agno_sessions', '2.3.0'), ('agno_memories', '2.3.0');
"""


def create_agno_tables(conn) -> None:
    conn.execute(AGNO_DDL)


def agno_snapshot(conn) -> dict:
    """Everything about schema ``agno`` Django could touch, in a comparable form."""

    def rows(sql: str, params=("agno",)) -> list[tuple]:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]

    tables = [r[0] for r in rows("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1")]
    snapshot = {
        "schema": rows("SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = %s"),
        "tables": tables,
        "columns": rows(
            "SELECT table_name, ordinal_position, column_name, data_type, udt_schema, udt_name,"
            " character_maximum_length, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2"
        ),
        "constraints": rows(
            "SELECT cl.relname, co.conname, pg_get_constraintdef(co.oid)"
            " FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid"
            " JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = %s ORDER BY 1, 2"
        ),
        "indexes": rows("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1, 2"),
        "triggers": rows(
            "SELECT event_object_table, trigger_name, action_statement FROM information_schema.triggers"
            " WHERE trigger_schema = %s ORDER BY 1, 2"
        ),
        "sequences": rows("SELECT sequencename FROM pg_sequences WHERE schemaname = %s ORDER BY 1"),
        "rows": {},
    }
    for table in tables:
        snapshot["rows"][table] = [
            r[0] for r in conn.execute(f'SELECT to_jsonb(t)::text FROM agno."{table}" t ORDER BY 1').fetchall()
        ]
    return snapshot
