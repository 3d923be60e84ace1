"""Audit rows get their id after the chain lock, so ids follow the chain (found with two portal nodes).

The id came from the column's default, taken when the INSERT formed its row — before the trigger waited for the
chain's advisory lock. A transaction writing two rows while another waited between them gave the waiting row a
smaller id than the rows chained before it, and ``verify_audit`` (which walks the chain in id order) reported
tampering where there was none. Now the trigger takes the lock, then the id, then the previous hash: ids are in
chain order. Rows written before keep their ids and hashes (the row text hashed is the same).
"""

from django.db import migrations

CHAIN_LOCK = 4802183  # the key of versioning.0005

IDS_IN_LOCK_ORDER = f"""
CREATE OR REPLACE FUNCTION version_history_chain() RETURNS trigger
LANGUAGE plpgsql SET timezone = 'UTC' AS $$
DECLARE
    previous text;
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    NEW.id := nextval(pg_get_serial_sequence('version_history', 'id'));
    SELECT row_hash INTO previous FROM version_history ORDER BY id DESC LIMIT 1;
    NEW.previous_hash := coalesce(previous, repeat('0', 64));
    NEW.row_hash := encode(
        sha256(convert_to(NEW.previous_hash || version_history_row_text(to_jsonb(NEW)), 'UTF8')), 'hex'
    );
    RETURN NEW;
END;
$$;
"""

IDS_FROM_DEFAULT = f"""
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(IDS_IN_LOCK_ORDER, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(IDS_FROM_DEFAULT, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_gate_overridden")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
