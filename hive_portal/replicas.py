"""Which read replicas may serve reads right now: each one's state and lag, checked at most once a second per process.

A check opens a direct connection (never the replica's pool, which would wait ``HIVE_DB_POOL_TIMEOUT`` seconds for a
stopped server; ``connect_timeout`` 1 s) and asks the replica whether it is in recovery, whether its WAL receiver
runs, and how far behind it is. A replica serves only when all three are right and its lag is at most
``HIVE_REPLICA_MAX_LAG``; otherwise it is skipped until a later check says it is fine again. The verdict is kept for
``CHECK_INTERVAL``; the check runs in the request that finds it out of date (there is no background thread), one
thread at a time per replica while the others use the previous verdict.

The lag is PostgreSQL's usual estimate: 0 when the replica has replayed all the WAL it received, else the time since
the last transaction it replayed was committed on the primary. Two cases it cannot see are checked apart: a replica
cut off from its primary (no WAL receiver: it has replayed all it received, and receives nothing), and a promoted
one (no longer in recovery: a separate database from then on).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

CHECK_INTERVAL = 1.0  # seconds a verdict is kept
CONNECT_TIMEOUT = 1  # seconds; a stopped server refuses in milliseconds, an unreachable host takes this long

# The states a check finds; only STREAMING serves reads.
STREAMING = "streaming"
LAGGING = "lagging"
NOT_STREAMING = "not streaming"
NOT_A_REPLICA = "not a replica"
DOWN = "down"

STATUS_SQL = (
    "SELECT pg_is_in_recovery(),"
    " CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END,"
    " EXISTS (SELECT 1 FROM pg_stat_wal_receiver)"
)

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplicaStatus:
    alias: str
    state: str
    lag: float | None  # seconds; None when unknown (down, not a replica, nothing replayed yet)
    checked_at: float  # time.monotonic()
    error: str = ""

    @property
    def serving(self) -> bool:
        return self.state == STREAMING


class ReplicaMonitor:
    def __init__(self, interval: float = CHECK_INTERVAL) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._checking: dict[str, threading.Lock] = {}
        self._statuses: dict[str, ReplicaStatus] = {}
        self._turn = itertools.count()
        self._pid = os.getpid()

    def reset(self) -> None:
        """Forget every verdict (tests; a forked worker starts afresh by itself)."""
        with self._lock:
            self._statuses.clear()
            self._checking.clear()
            self._pid = os.getpid()

    def status(self, alias: str, *, fresh: bool = False) -> ReplicaStatus | None:
        """The replica's verdict, checked again when older than ``interval`` (``fresh``: checked now). None only
        while the very first check of ``alias`` is running in another thread."""
        if self._pid != os.getpid():
            self.reset()
        held = self._statuses.get(alias)
        if not fresh and held is not None and time.monotonic() - held.checked_at < self.interval:
            return held
        with self._lock:
            checking = self._checking.setdefault(alias, threading.Lock())
        if not checking.acquire(blocking=fresh):
            return held  # another thread is checking it: what we knew stays the answer meanwhile
        try:
            status = self._check(alias)
            self._statuses[alias] = status
        finally:
            checking.release()
        self._changed(held, status)
        return status

    def serving(self, alias: str) -> bool:
        status = self.status(alias)
        return status is not None and status.serving

    def choose(self) -> str | None:
        """A replica that may serve reads now (in turn when several may), or None: read the primary."""
        healthy = [alias for alias in settings.HIVE_REPLICA_ALIASES if self.serving(alias)]
        if not healthy:
            return None
        return healthy[next(self._turn) % len(healthy)]

    def _check(self, alias: str) -> ReplicaStatus:
        import psycopg

        params = connections[alias].get_connection_params()
        params["connect_timeout"] = CONNECT_TIMEOUT
        try:
            with psycopg.connect(**params) as conn:
                row = conn.execute(STATUS_SQL).fetchone()
        except Exception as exc:  # noqa: BLE001 - any failure to connect or ask means: not usable now
            return ReplicaStatus(alias, DOWN, None, time.monotonic(), error=exc.__class__.__name__)
        assert row is not None
        in_recovery, lag, receiving = row
        lag = None if lag is None else max(float(lag), 0.0)
        if not in_recovery:
            state = NOT_A_REPLICA
        elif not receiving:
            state = NOT_STREAMING
        elif lag is None or lag > settings.HIVE_REPLICA_MAX_LAG:
            state = LAGGING
        else:
            state = STREAMING
        return ReplicaStatus(alias, state, lag, time.monotonic())

    def _changed(self, before: ReplicaStatus | None, after: ReplicaStatus) -> None:
        if after.serving and before is not None and not before.serving:
            # Its pool may hold connections that died with the server and back off before reconnecting: start a
            # new one (the old is closed once no request can still be waiting on it).
            from common.database_gate import retire_pool

            retire_pool(connections[after.alias])
            _logger.warning("Read replica %s serves reads again (lag %.2f s).", after.alias, after.lag or 0.0)
        elif not after.serving and (before is None or before.serving):
            _logger.warning(
                "Read replica %s skipped: %s%s; reads go to the primary until it recovers.",
                after.alias,
                after.state,
                f" ({after.error})" if after.error else (f" ({after.lag:.1f} s behind)" if after.lag else ""),
            )


replica_monitor = ReplicaMonitor()
