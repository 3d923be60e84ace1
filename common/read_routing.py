"""Where a read may go: the primary, or a read replica (``hive_portal.routers.ReplicaRouter`` decides).

Reads go to the primary unless the request being served was marked as allowed to read from a replica (the
composition root's ``ReplicaReadMiddleware`` does so for its list of heavy read pages) and nothing forbids it
since: a write in the same request, a block of code that must see the newest state (``primary_reads``). The state
lives in a context variable, so each request of a threaded server has its own; outside any request (commands, jobs,
the runtime's listeners) there is none and everything reads the primary.

Code below the composition root uses ``primary_reads()`` where a replica's lag would be wrong rather than slow: the
runtime's configuration (a replica must never serve a configuration older than one a runtime already received).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class ReadState:
    """One request's routing state."""

    replica_allowed: bool = False  # the page is on the replica list, and the user did not write just before
    wrote: bool = False  # a write was routed in this request: its later reads must see it (read your writes)
    pinned: int = 0  # depth of primary_reads() blocks
    replica: str | None = None  # the replica this request reads from once chosen (one per request: one age)
    # Transactions on the primary already open when the request began (only a test's): reads inside any further
    # one stay on the primary, in that transaction's snapshot.
    outer_transactions: int = 0

    @property
    def may_read_replica(self) -> bool:
        return self.replica_allowed and not self.wrote and not self.pinned


_state: ContextVar[ReadState | None] = ContextVar("hive_read_state", default=None)


def read_state() -> ReadState | None:
    """The current request's state, or None outside a request (then every read goes to the primary)."""
    return _state.get()


@contextmanager
def request_reads(*, outer_transactions: int = 0) -> Iterator[ReadState]:
    """A fresh state for one request (replicas not yet allowed), dropped at the end of the block."""
    state = ReadState(outer_transactions=outer_transactions)
    token = _state.set(state)
    try:
        yield state
    finally:
        _state.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Every read inside the block goes to the primary, whatever the request allows."""
    state = _state.get()
    if state is None:
        yield
        return
    state.pinned += 1
    try:
        yield
    finally:
        state.pinned -= 1


def record_write() -> None:
    """A write was routed: the rest of the request reads from the primary."""
    state = _state.get()
    if state is not None:
        state.wrote = True
