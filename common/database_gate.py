"""One answer per process to "is the database down?", shared by every path that needs it.

Without it each request waits for a pool connection (HIVE_DB_POOL_TIMEOUT seconds) before failing, and a
few such requests per second hold every sync worker — stale configuration serving included. With it:

* the first failure marks the database down (``mark_down``, or ``confirm_down`` after an error);
* while it is down, ``refuses()`` answers at once, with no connection attempt; every ``PROBE_INTERVAL``
  seconds one caller (never two at once) probes with a direct connection (``connect_timeout`` 1 s: a
  stopped server refuses in milliseconds) instead of the pool's wait;
* when a probe connects, the pool is replaced (its connections died with the server, and its own
  reconnection backs off for seconds) and requests go through again: recovery within about
  ``PROBE_INTERVAL`` of the database accepting connections.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import InterfaceError, OperationalError, connections

PROBE_INTERVAL = 0.5  # seconds between probes while the database is down
RETRY_AFTER_SECONDS = 5  # what clients are told (Retry-After)
PROBE_CONNECT_TIMEOUT = 1

_logger = logging.getLogger(__name__)


def probe(alias: str = "default") -> bool:
    """Can a new connection to the database be opened right now? Never uses (or waits for) the pool."""
    wrapper = connections[alias]
    if wrapper.vendor != "postgresql":
        return True  # SQLite: a file, never "down"
    import psycopg

    params = wrapper.get_connection_params()
    params["connect_timeout"] = PROBE_CONNECT_TIMEOUT
    try:
        with psycopg.connect(**params) as conn:
            conn.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure to connect means "still down"
        return False
    return True


def is_outage(exc: BaseException) -> bool:
    """Could the database not serve the request (connection refused or lost, server shutting down, pool
    timeout or replaced, deadlock)? Django raises all of these as OperationalError/InterfaceError."""
    return isinstance(exc, (OperationalError, InterfaceError))


class DatabaseGate:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._probing = threading.Lock()
        self._down = False
        self._retry_at = 0.0

    @property
    def down(self) -> bool:
        return self._down

    def mark_down(self) -> None:
        with self._lock:
            if not self._down:
                _logger.warning(
                    "The database is unavailable: refusing requests that need it, probing every %ss.", PROBE_INTERVAL
                )
            self._down = True
            self._retry_at = time.monotonic() + PROBE_INTERVAL

    def reset(self) -> None:
        """Forget any outage (tests, after they restart the database themselves)."""
        with self._lock:
            self._down = False
            self._retry_at = 0.0

    def confirm_down(self) -> bool:
        """After a database error: is the database really unreachable (then it is marked down)? A query
        error on a healthy database (a timeout, a bad statement) is not an outage."""
        if self._down or not probe():
            self.mark_down()
            return True
        return False

    def refuses(self) -> bool:
        """True: answer "unavailable" now, without touching the database. False: go ahead."""
        if not self._down:
            return False
        if time.monotonic() < self._retry_at or not self._probing.acquire(blocking=False):
            return True
        try:
            if not probe():
                self.mark_down()
                return True
            self._recovered()
            return False
        finally:
            self._probing.release()

    def _recovered(self) -> None:
        # The pool's connections died with the server and its reconnection loop backs off for seconds:
        # take a fresh pool. The old one is closed only later, once no request can still be waiting on
        # it (a checkout waits at most HIVE_DB_POOL_TIMEOUT): closing it now fails those with PoolClosed.
        for alias in connections:
            wrapper = connections[alias]
            try:
                wrapper.close()
            except Exception:  # noqa: BLE001 - a dead connection may fail to close; it is dropped anyway
                pass
            if wrapper.vendor == "postgresql":
                retire_pool(wrapper)
        with self._lock:
            self._down = False
            self._retry_at = 0.0
        _logger.warning("The database is available again.")


def retire_pool(wrapper) -> None:
    """Make ``wrapper`` build a new pool on its next connection and close the old one after a delay."""
    old = type(wrapper)._connection_pools.pop(wrapper.alias, None)
    if old is None:
        return
    wait = float((wrapper.settings_dict.get("OPTIONS", {}).get("pool") or {}).get("timeout", 30)) + 5

    def close_old() -> None:
        try:
            old.close(timeout=5)
        except Exception:  # noqa: BLE001 - closing a pool of dead connections is best effort
            pass

    timer = threading.Timer(wait, close_old)
    timer.daemon = True
    timer.start()


database_gate = DatabaseGate()


def answers_without_database(view: Any) -> Any:
    """Mark a view that answers while the database is down (it reports the outage, or serves from a cache):
    the middleware lets it through instead of answering 503 for it (``hive_portal.middleware``)."""
    view.serves_without_database = True
    return view
