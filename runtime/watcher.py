"""Per-worker knowledge of the config generation without a query per request (PostgreSQL only).

Every change the runtime must see bumps ``runtime_state`` and sends ``NOTIFY hive_runtime`` in the
same transaction (``runtime.state``); PostgreSQL delivers the notification when that transaction
commits. Each worker keeps one extra connection that LISTENs on the channel. There is no background
thread: before answering from its cache, a request checks that connection's socket without blocking
and applies any pending notifications, so the generation a warm request compares against is the one
the database last announced.

When the listening connection is missing or broken, ``current()`` returns None and callers fall back
to reading the generation with a query (and from there to the stale copy when the database is down).
The listener reconnects at most every few seconds, from a request that found the database reachable.

A connection can also stay open and hear nothing: through a PgBouncer in transaction mode the LISTEN
belongs to whichever server connection ran it, and the notifications go elsewhere or nowhere. Nothing
on the socket tells, so every ``VERIFY_INTERVAL`` seconds one request reads the generation with a query
instead (``confirm``). A listener found behind the database (after a short grace for a notification
still on its way) is deaf: the worker says so in the log and reads the generation per request from
then on, as with ``HIVE_RUNTIME_LISTEN=false``. A deaf listener therefore costs at most
``VERIFY_INTERVAL`` seconds of staleness once, never a cache that nobody invalidates.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time

from django.conf import settings
from django.db import connection

from runtime.state import NOTIFY_CHANNEL, Generations

RECONNECT_INTERVAL = 3.0
VERIFY_INTERVAL = 10.0  # seconds between the checks that a listening worker's notifications still arrive
DELIVERY_GRACE = 0.25  # seconds a notification may still be on its way when the database is found ahead
_logger = logging.getLogger(__name__)


def _conninfo() -> dict:
    db = settings.DATABASES["default"]
    params = {"dbname": db["NAME"], "autocommit": True, "connect_timeout": 3}
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
        if db.get(key):
            params[name] = db[key]
    # Keepalives above all (settings): this connection is idle until something is published, and a firewall
    # that silently forgot it would leave the worker trusting a cache nobody invalidates.
    keepalives = ("keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout")
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "options", *keepalives):
        if key in db.get("OPTIONS", {}):
            params[key] = db["OPTIONS"][key]
    return params


class GenerationWatcher:
    def __init__(self):
        self._lock = threading.Lock()
        self._conn = None
        self._pid = None
        self._state: Generations | None = None
        self._next_attempt = 0.0
        self._verified_at = 0.0  # when the database last confirmed what this listener knows (monotonic)
        self._deaf_pid: int | None = None  # the process whose listener was found deaf: it stopped listening
        self._changed = threading.Condition()  # long-poll waiters (see wait())
        self._pump_pid = None

    def enabled(self) -> bool:
        return settings.HIVE_RUNTIME_LISTEN and connection.vendor == "postgresql" and self._deaf_pid != os.getpid()

    def current(self, *, verify: bool = True) -> Generations | None:
        """The generations as last announced, or None when this worker is not (or no longer) listening, and
        (``verify``) once every ``VERIFY_INTERVAL`` seconds, so the caller reads them and calls ``confirm``."""
        if not self.enabled():
            return None
        with self._lock:
            if self._pid != os.getpid():  # forked after a connection was made: start afresh
                self._conn, self._state, self._pid = None, None, os.getpid()
            if self._conn is None or not self._receive(0):
                return None
            if verify and time.monotonic() - self._verified_at >= VERIFY_INTERVAL:
                return None
            return self._state

    def _receive(self, timeout: float) -> bool:
        """Apply what arrived on the listening connection (waiting up to ``timeout`` seconds for something);
        False when the connection is gone (dropped). Call under the lock."""
        conn = self._conn
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], timeout)
            if readable:
                for notify in conn.notifies(timeout=0):
                    self._apply(notify.payload)
                if conn.closed or conn.broken:
                    raise OSError("listening connection closed")
        except Exception as exc:  # noqa: BLE001 - any failure means: stop trusting the cache's freshness
            _logger.warning("Runtime listener lost (%s); checking the database per request.", exc)
            self._drop()
            return False
        return True

    def confirm(self, read: Generations) -> None:
        """A request read ``read`` from the database because ``current()`` gave None: start listening if this
        worker is not, else check that the listener heard everything the database shows."""
        if not self.enabled():
            return
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                if self._behind(read) and self._receive(DELIVERY_GRACE) and self._behind(read):
                    _logger.error(
                        "Runtime listener missed a change (it knows config %s, keys %s; the database has %s, %s): "
                        "notifications do not reach this worker, as through a PgBouncer in transaction mode "
                        "(README, Several nodes). This worker now reads the generation on every request.",
                        self._state.config if self._state else None,
                        self._state.keys if self._state else None,
                        read.config,
                        read.keys,
                    )
                    self._deaf_pid = os.getpid()
                    self._drop()
                elif self._conn is not None:
                    self._verified_at = time.monotonic()
                return
        self.ensure_listening()

    def _behind(self, read: Generations) -> bool:
        state = self._state
        return state is None or state.config < read.config or state.keys < read.keys

    def wait(self, after: int, timeout: float) -> Generations | None:
        """Block until the config generation differs from ``after`` or ``timeout`` passes; the generations
        then (None when not listening). For the long-poll server only (``HIVE_LONG_POLL``): there, one pump
        thread per process reads the listening socket and wakes every waiting thread at once."""
        self._ensure_pump()
        deadline = time.monotonic() + timeout
        if self._deaf_pid == os.getpid():
            # No notification will come: hold the wait (a runtime asks again at once after an early answer) and
            # let its next request read the generation.
            time.sleep(timeout)
            return None
        with self._changed:
            while True:
                state = self.current(verify=False)
                remaining = deadline - time.monotonic()
                if state is None or state.config != after or remaining <= 0:
                    return state
                self._changed.wait(min(remaining, 5.0))

    def _ensure_pump(self) -> None:
        with self._lock:
            if self._pump_pid == os.getpid():
                return
            self._pump_pid = os.getpid()
        threading.Thread(target=self._pump, name="hive-runtime-pump", daemon=True).start()

    def _pump(self) -> None:
        while self._pump_pid == os.getpid():
            conn = self._conn
            try:
                readable = select.select([conn.fileno()], [], [], 1.0)[0] if conn is not None else []
            except (OSError, ValueError):  # closed: current() notices and drops it
                readable = [True]
            if conn is None:
                time.sleep(0.2)
                continue
            if readable:
                self.current(verify=False)  # applies what arrived (under the lock), before the waiters look
                with self._changed:
                    self._changed.notify_all()

    def announce(self, generations: Generations) -> None:
        """Apply a change committed by this process (its NOTIFY may still be on the way)."""
        with self._lock:
            if self._state is not None and self._pid == os.getpid():
                self._apply(f"{generations.config},{generations.keys}")

    def _apply(self, payload: str) -> None:
        try:
            config, keys = (int(part) for part in payload.split(",", 1))
        except ValueError:
            return
        state = self._state
        if state is None or config >= state.config and keys >= state.keys:
            self._state = Generations(config, keys)
        else:
            self._state = Generations(max(config, state.config), max(keys, state.keys))

    def _drop(self) -> None:
        conn, self._conn, self._state = self._conn, None, None
        self._next_attempt = time.monotonic() + RECONNECT_INTERVAL
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass

    def ensure_listening(self) -> None:
        """Open the listening connection if it is missing (rate-limited). Called after a successful query."""
        if not self.enabled() or (self._conn is not None and self._pid == os.getpid()):
            return
        now = time.monotonic()
        if now < self._next_attempt:
            return
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                return
            self._next_attempt = now + RECONNECT_INTERVAL
            import psycopg

            try:
                conn = psycopg.connect(**_conninfo())
                conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                # Read the counters only after LISTEN, so no announcement can fall in between.
                row = conn.execute(
                    "SELECT config_generation, keys_generation FROM runtime_state WHERE id = 1"
                ).fetchone()
            except Exception as exc:  # noqa: BLE001
                _logger.warning("Runtime listener could not connect (%s); checking the database per request.", exc)
                return
            self._conn, self._pid = conn, os.getpid()
            self._state = Generations(int(row[0]), int(row[1])) if row else Generations(0, 0)
            self._verified_at = time.monotonic()

    def reset(self) -> None:
        with self._lock:
            self._drop()
            self._next_attempt = 0.0
            self._verified_at = 0.0
            self._deaf_pid = None


watcher = GenerationWatcher()
