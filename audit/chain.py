"""Proof that the audit trail was not rewritten: each row's ``row_hash`` is SHA-256 of the previous row's
hash and the row itself (as PostgreSQL's JSON of the row, without the two hash columns), chained in id
order from 64 zeros. The chain is written by a trigger (migrations ``versioning.0005`` and ``audit.0002``); this module
recomputes it, so a row edited, deleted or inserted out of band by someone who could bypass the
triggers (a table owner, a superuser) is found."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection, transaction

GENESIS = "0" * 64
_ROWS = """
SELECT id, previous_hash, row_hash, version_history_row_text(to_jsonb(v))
  FROM version_history v
 ORDER BY id
"""


@dataclass(frozen=True)
class ChainBreak:
    row_id: int
    position: int  # 1 = the oldest row
    reason: str


@dataclass(frozen=True)
class ChainReport:
    rows: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def verify_audit_chain(*, chunk_size: int = 5000) -> ChainReport:
    """Walk the whole audit trail in id order and return the first row whose hashes do not follow."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("The audit hash chain exists on PostgreSQL only.")
    previous = GENESIS
    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL timezone = 'UTC'")  # as the trigger hashed the timestamps
        cursor.execute(_ROWS)
        while True:
            rows = cursor.fetchmany(chunk_size)
            if not rows:
                break
            for row_id, previous_hash, row_hash, text in rows:
                count += 1
                if previous_hash != previous:
                    reason = (
                        "its previous_hash does not match the row before it "
                        "(a row was deleted or inserted out of band, or the hashes were rewritten)"
                    )
                    return ChainReport(count, ChainBreak(row_id, count, reason))
                expected = hashlib.sha256((previous_hash + text).encode("utf-8")).hexdigest()
                if row_hash != expected:
                    reason = "its content does not match its row_hash (the row was changed after it was written)"
                    return ChainReport(count, ChainBreak(row_id, count, reason))
                previous = row_hash
    return ChainReport(count, None)
