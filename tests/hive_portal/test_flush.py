"""``manage.py flush`` (hive_portal/management/commands/flush.py) against a concurrent session on the job queue.

An autovacuum analysing a queue table holds a lock on it and, to write its statistics, waits for any open
transaction that rewrote the table's catalog row. The flush's ``post_migrate`` grants rewrite every table's
catalog row; the flush must therefore lock the queue tables before it grants anything, or the two wait for each
other. A second session plays the autovacuum: it holds a lock on ``procrastinate_events`` and then rewrites that
table's catalog row (a GRANT, as the autovacuum's statistics update would).
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from agents.models import Agent
from hive_portal.db_roles import APP_ROLE

from .conftest import server_params

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _waiting_for(conn: psycopg.Connection, table: str, pid: int) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = %s AND relation = to_regclass(%s)",
        [pid, table],
    ).fetchone()
    return bool(row and row[0])


def test_flush__queue_table_held_by_a_session_that_then_rewrites_its_catalog_row__no_deadlock(make_agent):
    make_agent()
    flusher_pid: list[int] = []
    failure: list[BaseException] = []

    def flush() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                flusher_pid.append(cursor.fetchone()[0])
            call_command("flush", interactive=False, verbosity=0)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failure.append(exc)
        finally:
            connections.close_all()

    schema = settings.HIVE_SCHEMA
    with psycopg.connect(
        **server_params(), dbname=connection.settings_dict["NAME"], options=f"-c search_path={schema}"
    ) as other:
        # The other session never gives up first: if there is a cycle, the flush is the one to report it.
        other.execute("SET deadlock_timeout = '60s'")
        other.execute("LOCK TABLE procrastinate_events IN SHARE UPDATE EXCLUSIVE MODE")  # as an autovacuum does
        thread = threading.Thread(target=flush)
        thread.start()
        deadline = time.monotonic() + 30
        while not (flusher_pid and _waiting_for(other, "procrastinate_events", flusher_pid[0])):
            assert time.monotonic() < deadline, "the flush never reached the queue table"
            assert thread.is_alive(), f"the flush ended without waiting: {failure}"
            time.sleep(0.02)
        # Within the flush's deadlock_timeout (1 s), when PostgreSQL looks for a cycle once.
        other.execute(f"GRANT SELECT ON procrastinate_events TO {APP_ROLE}")  # rewrites its catalog row
        other.commit()
        thread.join(timeout=60)

    assert not thread.is_alive()
    assert failure == []
    assert not Agent.objects.exists()
