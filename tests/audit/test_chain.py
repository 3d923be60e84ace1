"""The audit trail is hash-chained by the database and ``manage.py verify_audit`` proves it; a row
rewritten, deleted or slipped in by the table's owner (who can bypass the triggers) is found."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.chain import GENESIS, verify_audit_chain
from audit.models import AuditRecord
from audit.services import audit_record

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]


def _rows(n=3):
    for i in range(n):
        audit_record(action="updated", subject_type="knowledge", subject_id=f"k{i}", actor="alice", reason=f"r{i}",
                     before={"answer": "a"}, after={"answer": f"b{i}", "ação": "ç"})  # fmt: skip
    return list(AuditRecord.objects.order_by("id"))


def _as_owner(sql, params=None):
    """What only the table's owner (or a superuser) can do: switch the append-only trigger off."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE version_history DISABLE TRIGGER version_history_no_update_delete")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE version_history ENABLE TRIGGER version_history_no_update_delete")


def test_rows_are_chained_by_the_database():
    _rows()
    stored = list(AuditRecord.objects.order_by("id").values_list("previous_hash", "row_hash"))
    assert stored[0][0] == GENESIS
    assert all(len(h) == 64 for _, h in stored)
    assert [p for p, _ in stored[1:]] == [h for _, h in stored[:-1]]
    assert verify_audit_chain().intact


def test_verify_audit__intact(capsys):
    _rows()
    call_command("verify_audit")
    assert "Audit trail intact: 3 rows" in capsys.readouterr().out


def test_verify_audit__row_rewritten_by_the_owner__reported(capsys):
    rows = _rows()
    _as_owner("UPDATE version_history SET reason = 'nothing to see' WHERE id = %s", [rows[1].pk])
    with pytest.raises(CommandError, match=rf"broken at row id {rows[1].pk} \(row 2 in order\): its content"):
        call_command("verify_audit")


def test_verify_audit__row_deleted_by_the_owner__reported_at_the_next_row():
    rows = _rows()
    _as_owner("DELETE FROM version_history WHERE id = %s", [rows[1].pk])
    report = verify_audit_chain()
    assert not report.intact and report.first_break.row_id == rows[2].pk
    assert "previous_hash" in report.first_break.reason


def test_verify_audit__hashes_recomputed_for_a_rewrite_are_still_caught_downstream():
    rows = _rows()
    # The forger rewrites row 2 and recomputes its own hash, but not the rows after it.
    _as_owner(
        "UPDATE version_history v SET reason = 'forged', row_hash = encode(sha256(convert_to("
        "v.previous_hash || version_history_row_text(to_jsonb(v) || '{\"reason\": \"forged\"}'), 'UTF8')), 'hex') "
        "WHERE id = %s",
        [rows[1].pk],
    )
    assert verify_audit_chain().first_break.row_id == rows[2].pk


def test_truncate_escape_setting__gone():
    _rows(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL hive.allow_audit_truncate = 'on'")
        cursor.execute("TRUNCATE version_history")
    assert AuditRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_flush__as_the_owner__empties_the_trail_and_keeps_the_trigger():
    _rows(2)
    call_command("flush", "--no-input", verbosity=0)
    assert AuditRecord.objects.count() == 0
    _rows(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE version_history")
    assert verify_audit_chain().intact


def test_migration__chains_the_rows_written_before_it():
    import importlib

    migration = importlib.import_module("versioning.migrations.0005_audit_hash_chain_and_full_immutability")
    _rows(4)
    _as_owner("UPDATE version_history SET previous_hash = '', row_hash = ''")  # as before the migration
    assert not verify_audit_chain().intact
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(migration.CHAIN_EXISTING)
    report = verify_audit_chain()
    assert report.intact and report.rows == 4


def test_verify_audit__rows_with_and_without_a_batch_id__intact():
    from common.batches import batch

    _rows(2)  # no batch: hashed exactly as before the batch_id column existed
    with batch():
        _rows(2)
    _rows(1)
    assert AuditRecord.objects.filter(batch_id__isnull=False).count() == 2
    report = verify_audit_chain()
    assert report.intact and report.rows == 5


def test_row_text__null_batch_id_left_out__a_batch_id_kept():
    from common.batches import batch

    plain = _rows(1)[0]
    with batch() as batch_id:
        batched = _rows(1)[-1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, version_history_row_text(to_jsonb(v)) FROM version_history v WHERE id IN (%s, %s)",
            [plain.pk, batched.pk],
        )
        texts = dict(cursor.fetchall())
    assert '"batch_id"' not in texts[plain.pk]
    assert f'"batch_id": "{batch_id}"' in texts[batched.pk]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers__ids_follow_the_chain__verify_audit_intact():
    """One transaction writes a row, another starts writing (and waits for the chain), the first writes a second
    row and commits: the waiting row comes after both, in the chain and by id (it used to get the smaller id)."""
    import threading

    from django.db import connections

    first_row_written, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first():
        try:
            with transaction.atomic():
                audit_record(action="updated", subject_type="knowledge", subject_id="a1", actor="node-a")
                first_row_written.set()
                second_started.wait(5)
                import time

                time.sleep(0.3)  # the second writer now waits for the chain lock, its row already formed
                audit_record(action="updated", subject_type="knowledge", subject_id="a2", actor="node-a")
        except BaseException as exc:  # noqa: BLE001 - reported by the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    def second():
        try:
            first_row_written.wait(5)
            second_started.set()
            audit_record(action="updated", subject_type="knowledge", subject_id="b1", actor="node-b")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert list(AuditRecord.objects.order_by("id").values_list("subject_id", flat=True)) == ["a1", "a2", "b1"]
    assert verify_audit_chain().intact
