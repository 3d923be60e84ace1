"""Monthly partitions of the metric tables (PostgreSQL declarative partitioning by ``created_at``).

``agent_metrics`` and ``routing_decisions`` grow with every message. Partitioned by month, a dashboard of a
period reads only that period's partitions, and retention drops whole partitions instead of deleting rows
one by one (``metrics_prune``). Each table has a ``_default`` partition, so a record outside every month that
exists (a runtime's clock years off) is still stored, never refused; ``ensure_partitions`` (a daily job, and
``migrate``) creates the months ahead and moves any such rows into the month they belong to.

Partitions are named ``<table>_pYYYYMM``. The primary key is ``(id, created_at)``: PostgreSQL requires the
partition key in every unique constraint; ids still come from one sequence, so Django keeps treating ``id`` as
the key. SQLite has no partitioning: everything here does nothing there.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.db import connection, transaction

logger = logging.getLogger(__name__)

TABLES = ("agent_metrics", "routing_decisions")
MONTHS_AHEAD = 3
_NAME = re.compile(r"^(?P<table>[a-z_]+)_p(?P<year>\d{4})(?P<month>\d{2})$")


def month_start(value: dt.datetime | dt.date) -> dt.datetime:
    return dt.datetime(value.year, value.month, 1, tzinfo=dt.UTC)


def next_month(start: dt.datetime) -> dt.datetime:
    return dt.datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=dt.UTC)


def partition_name(table: str, start: dt.datetime) -> str:
    return f"{table}_p{start:%Y%m}"


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND c.relnamespace = to_regnamespace(current_schema())",
            [table],
        )
        return cursor.fetchone() is not None


def month_partitions(table: str) -> dict[dt.datetime, str]:
    """The table's month partitions by first day of the month (the default partition excluded)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s AND p.relnamespace = "
            "to_regnamespace(current_schema())",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = {}
    for name in names:
        match = _NAME.match(name)
        if match and match["table"] == table:
            found[dt.datetime(int(match["year"]), int(match["month"]), 1, tzinfo=dt.UTC)] = name
    return found


def add_month(table: str, start: dt.datetime) -> bool:
    """Create ``table``'s partition of the month starting ``start``, moving into it the rows the default
    partition holds for that month (``hive_add_month_partition``, see ``ADD_MONTH_FUNCTION``). False when it
    exists."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT hive_add_month_partition(%s, %s)", [table, start])
        return bool(cursor.fetchone()[0])


def ensure_partitions(*, now: dt.datetime | None = None, months_ahead: int = MONTHS_AHEAD) -> list[str]:
    """Every partitioned metric table has this month's and the next ``months_ahead`` months' partitions, and
    one for each month the default partition holds rows of; returns the partitions created."""
    if connection.vendor != "postgresql":
        return []
    now = now or dt.datetime.now(dt.UTC)
    created = []
    for table in TABLES:
        if not is_partitioned(table):
            continue
        months = set()
        start = month_start(now)
        for _ in range(months_ahead + 1):
            months.add(start)
            start = next_month(start)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC') FROM \"{table}_default\""
            )
            months.update(month_start(row[0]) for row in cursor.fetchall())
        for month in sorted(months):
            if add_month(table, month):
                created.append(partition_name(table, month))
    if created:
        logger.info("Created metric partitions: %s", ", ".join(created))
    return created


def drop_months_before(table: str, before: dt.datetime) -> int:
    """Drop ``table``'s month partitions that end on or before ``before``; returns the rows they held."""
    dropped = 0
    for start, name in sorted(month_partitions(table).items()):
        if next_month(start) > before:
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM "{name}"')
            dropped += cursor.fetchone()[0]
            cursor.execute(f'DROP TABLE "{name}"')
    return dropped


# --- The migration's two directions ---------------------------------------------------------------------------

# Making a month is DDL on a table the application role does not own (it owns nothing: see hive_portal.db_roles),
# yet the daily job runs as that role. The function runs as its owner (SECURITY DEFINER) and does exactly one
# thing: a month partition of one of the two metric tables. A new partition is checked against the default one,
# and rows of that month there would refuse it: it is built on its own, those rows moved in, then attached.
ADD_MONTH_FUNCTION = """
CREATE OR REPLACE FUNCTION hive_add_month_partition(tbl text, month_start timestamptz) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    part text;
    month_end timestamptz;
BEGIN
    IF tbl NOT IN ('agent_metrics', 'routing_decisions') THEN
        RAISE EXCEPTION 'not a partitioned metric table: %', tbl;
    END IF;
    IF month_start <> date_trunc('month', month_start, 'UTC') THEN
        RAISE EXCEPTION 'not the first instant of a month in UTC: %', month_start;
    END IF;
    part := tbl || '_p' || to_char(month_start AT TIME ZONE 'UTC', 'YYYYMM');
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false;
    END IF;
    month_end := ((month_start AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
    EXECUTE format('LOCK TABLE %I IN SHARE ROW EXCLUSIVE MODE', tbl);
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, tbl);
    EXECUTE format(
        'WITH moved AS (DELETE FROM %I WHERE created_at >= $1 AND created_at < $2 RETURNING *) '
        'INSERT INTO %I SELECT * FROM moved', tbl || '_default', part
    ) USING month_start, month_end;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', tbl, part, month_start, month_end);
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION hive_add_month_partition(text, timestamptz) FROM PUBLIC;
"""


def partition_table(schema_editor, model) -> None:
    """Turn ``model``'s plain table into one partitioned by month of ``created_at``, keeping rows, ids, checks and
    indexes (the indexes are built by Django from the model's state, on the partitioned table)."""
    table = model._meta.db_table
    old = f"{table}_unpartitioned"
    run = schema_editor.execute
    run(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    for index in model._meta.indexes:
        run(f'DROP INDEX IF EXISTS "{index.name}"')
    run(f'ALTER TABLE "{old}" DROP CONSTRAINT "{table}_pkey"')
    run(
        f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY) '
        "PARTITION BY RANGE (created_at)"
    )
    run(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (id, created_at)')
    run(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC') FROM \"{old}\"")
        months = {month_start(row[0]) for row in cursor.fetchall()}
    start = month_start(dt.datetime.now(dt.UTC))
    for _ in range(MONTHS_AHEAD + 1):
        months.add(start)
        start = next_month(start)
    for month in sorted(months):
        run(
            f'CREATE TABLE "{partition_name(table, month)}" PARTITION OF "{table}" FOR VALUES FROM (%s) TO (%s)',
            [month, next_month(month)],
        )
    run(f'INSERT INTO "{table}" OVERRIDING SYSTEM VALUE SELECT * FROM "{old}"')
    run(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), GREATEST((SELECT max(id) FROM \"{table}\"), 1))")
    run(f'DROP TABLE "{old}"')
    for index in model._meta.indexes:
        schema_editor.add_index(model, index)


def unpartition_table(schema_editor, model) -> None:
    """The way back: a plain table with the same rows, ids, checks and indexes, ``id`` its primary key."""
    table = model._meta.db_table
    old = f"{table}_partitioned"
    run = schema_editor.execute
    run(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    for index in model._meta.indexes:
        run(f'DROP INDEX IF EXISTS "{index.name}"')
    run(f'ALTER TABLE "{old}" DROP CONSTRAINT "{table}_pkey"')
    run(f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY)')
    run(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (id)')
    run(f'INSERT INTO "{table}" OVERRIDING SYSTEM VALUE SELECT * FROM "{old}"')
    run(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), GREATEST((SELECT max(id) FROM \"{table}\"), 1))")
    run(f'DROP TABLE "{old}" CASCADE')
    for index in model._meta.indexes:
        schema_editor.add_index(model, index)
