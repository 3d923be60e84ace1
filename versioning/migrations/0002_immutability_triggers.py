"""Database-enforced immutability (PostgreSQL): the audit trail is append-only and a published
version's configuration can never change. On SQLite the services are the only guard.

`manage.py flush` (also used between transactional tests) may truncate the audit table only when it
sets ``hive.allow_audit_truncate`` for its own session; see ``hive_portal/management/commands/flush.py``.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION version_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('hive.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'version_history is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER version_history_no_update_delete
    BEFORE UPDATE OR DELETE ON version_history
    FOR EACH ROW EXECUTE FUNCTION version_history_append_only();
CREATE TRIGGER version_history_no_truncate
    BEFORE TRUNCATE ON version_history
    FOR EACH STATEMENT EXECUTE FUNCTION version_history_append_only();

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
        NEW.config IS DISTINCT FROM OLD.config
        OR NEW.content_hash IS DISTINCT FROM OLD.content_hash
        OR NEW.version IS DISTINCT FROM OLD.version
        OR NEW.component_type IS DISTINCT FROM OLD.component_type
        OR NEW.component_id IS DISTINCT FROM OLD.component_id
        OR NEW.change_note IS DISTINCT FROM OLD.change_note
        OR NEW.published_at IS DISTINCT FROM OLD.published_at
        OR NEW.status = 'draft'
        OR (OLD.status = 'archived' AND NEW.status <> 'archived')
    ) THEN
        RAISE EXCEPTION 'version % v% is % and immutable', OLD.component_id, OLD.version, OLD.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER component_versions_immutable
    BEFORE UPDATE OR DELETE ON component_versions
    FOR EACH ROW EXECUTE FUNCTION component_versions_immutable();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS component_versions_immutable ON component_versions;
DROP FUNCTION IF EXISTS component_versions_immutable();
DROP TRIGGER IF EXISTS version_history_no_truncate ON version_history;
DROP TRIGGER IF EXISTS version_history_no_update_delete ON version_history;
DROP FUNCTION IF EXISTS version_history_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("versioning", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
