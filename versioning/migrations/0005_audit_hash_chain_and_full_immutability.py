"""Tamper-proofing, PostgreSQL only (SQLite keeps the services as its only guard):

* the audit trail's TRUNCATE exception (``hive.allow_audit_truncate``, a setting any role could set) is
  gone: UPDATE, DELETE and TRUNCATE are refused for everyone; ``manage.py flush`` empties the table as
  its owner by disabling the trigger inside its own transaction (which a non-owner role cannot do);
* every audit row carries ``previous_hash`` and ``row_hash`` = SHA-256(previous_hash || the row as JSON),
  set by a BEFORE INSERT trigger under a transaction-level advisory lock (one chain, no forks), so
  ``manage.py verify_audit`` can prove nothing was rewritten; existing rows are chained in id order;
* every column of a published or archived version is immutable: only ``status`` may move
  (published → archived) and ``updated_at`` with it; an archived version never changes.
"""

from django.db import migrations, models

CHAIN_LOCK = 4802183  # pg_advisory_xact_lock key serialising audit inserts

FORWARD = rf"""
CREATE OR REPLACE FUNCTION version_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'version_history is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE OR REPLACE FUNCTION version_history_row_text(row_data jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (row_data - 'previous_hash' - 'row_hash')::text
$$;

CREATE OR REPLACE FUNCTION version_history_chain() RETURNS trigger
LANGUAGE plpgsql SET timezone = 'UTC' AS $$
DECLARE
    previous text;
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    SELECT row_hash INTO previous FROM version_history ORDER BY id DESC LIMIT 1;
    NEW.previous_hash := coalesce(previous, repeat('0', 64));
    NEW.row_hash := encode(
        sha256(convert_to(NEW.previous_hash || version_history_row_text(to_jsonb(NEW)), 'UTF8')), 'hex'
    );
    RETURN NEW;
END;
$$;

CREATE TRIGGER version_history_chain
    BEFORE INSERT ON version_history
    FOR EACH ROW EXECUTE FUNCTION version_history_chain();

CREATE OR REPLACE FUNCTION component_versions_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'published and archived versions cannot be deleted (% v%)', OLD.component_id, OLD.version
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
        (to_jsonb(NEW) - 'status' - 'updated_at') IS DISTINCT FROM (to_jsonb(OLD) - 'status' - 'updated_at')
        OR NEW.status = 'draft'
        OR (OLD.status = 'archived' AND NEW IS DISTINCT FROM OLD)
    ) THEN
        RAISE EXCEPTION 'version % v% is % and immutable', OLD.component_id, OLD.version, OLD.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
"""

# Chain the rows written before this migration, in id order, as their owner (the trigger is off only
# inside this migration's transaction).
CHAIN_EXISTING = r"""
ALTER TABLE version_history DISABLE TRIGGER version_history_no_update_delete;
DO $$
DECLARE
    previous text := repeat('0', 64);
    item record;
BEGIN
    SET LOCAL timezone = 'UTC';
    FOR item IN SELECT id FROM version_history ORDER BY id LOOP
        UPDATE version_history v
           SET previous_hash = previous,
               row_hash = encode(sha256(convert_to(previous || version_history_row_text(to_jsonb(v)), 'UTF8')), 'hex')
         WHERE v.id = item.id
        RETURNING v.row_hash INTO previous;
    END LOOP;
END;
$$;
ALTER TABLE version_history ENABLE TRIGGER version_history_no_update_delete;
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS version_history_chain ON version_history;
DROP FUNCTION IF EXISTS version_history_chain();
DROP FUNCTION IF EXISTS version_history_row_text(jsonb);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)
        schema_editor.execute(CHAIN_EXISTING, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("versioning", "0004_short_permission_names")]
    operations = [
        migrations.AddField(
            model_name="versionhistory",
            name="previous_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="versionhistory",
            name="row_hash",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                help_text="SHA-256 of the previous row's hash and this row's content.",
                max_length=64,
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
