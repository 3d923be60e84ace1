"""The runtime path's freshness check: one primary-key read per request, shared by auth and views."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, connection, transaction
from django.db.models import F
from django.utils import timezone

from common.database_gate import database_gate
from runtime.models import RuntimeState


class DatabaseUnavailable(Exception):
    """The database could not be asked; callers fall back to what they cached."""


@dataclass(frozen=True)
class Generations:
    config: int
    keys: int


_SQL = 'SELECT config_generation, keys_generation FROM "runtime_state" WHERE id = 1'


def reset_backoff() -> None:
    database_gate.reset()


def read_generations() -> Generations:
    """The current counters, in one indexed query. Raises ``DatabaseUnavailable`` when the database is down.

    While the database is known to be down (``common.database_gate``, the back-off every path shares)
    no query is tried: the runtime answers from its cache at once instead of waiting for the pool."""
    if database_gate.refuses():
        raise DatabaseUnavailable("the database is unavailable")
    try:
        with connection.cursor() as cursor:
            cursor.execute(_SQL)
            row = cursor.fetchone()
    except (DatabaseError, InterfaceError) as exc:
        database_gate.mark_down()
        # The pool hands out a fresh connection next time; this one is gone.
        connection.close_if_unusable_or_obsolete()
        raise DatabaseUnavailable(str(exc)) from exc
    if row is None:  # pragma: no cover - the row is created by migration 0002
        return Generations(0, 0)
    return Generations(int(row[0]), int(row[1]))


def request_generations(request) -> Generations:
    """The generations for this request: from the worker's listener when it is connected (no query),
    else ``read_generations()``; memoised, so authentication and the view share one answer."""
    cached = getattr(request, "_hive_generations", None)
    if cached is None:
        from runtime.watcher import watcher

        cached = watcher.current()  # announced by NOTIFY: no query
        if cached is None:  # not listening, or time to check that the notifications still arrive
            cached = read_generations()
            watcher.confirm(cached)
        request._hive_generations = cached
    return cached


# The channel every change the runtime must see is announced on (runtime.watcher LISTENs to it).
NOTIFY_CHANNEL = "hive_runtime"


def ensure_state_row(**kwargs) -> None:
    """The single row exists after migrate and after flush (post_migrate, see runtime.apps)."""
    if RuntimeState._meta.db_table not in connection.introspection.table_names():
        return  # runtime was migrated back to zero
    RuntimeState.objects.get_or_create(pk=1)


def _bump(field: str) -> None:
    if not RuntimeState.objects.filter(pk=1).update(**{field: F(field) + 1, "updated_at": timezone.now()}):
        RuntimeState.objects.create(pk=1, **{field: 2})
    if connection.vendor == "postgresql":
        # Delivered to every listening worker when this transaction commits (runtime.watcher); this
        # worker applies it itself at commit, so its own next request cannot precede the notification.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT config_generation, keys_generation, pg_notify(%s, config_generation || ',' || keys_generation) "
                "FROM runtime_state WHERE id = 1",
                [NOTIFY_CHANNEL],
            )
            config, keys, _ = cursor.fetchone()
        from runtime.watcher import watcher

        transaction.on_commit(lambda: watcher.announce(Generations(int(config), int(keys))))


def bump_config_generation() -> None:
    """Mark every cached runtime document stale. Call inside the transaction that changed the config."""
    _bump("config_generation")


def bump_keys_generation() -> None:
    """Make every worker re-read API keys. Call inside the transaction that changed a key."""
    _bump("keys_generation")
