"""The batch a write belongs to: one id shared by every audit row of a multi-row operation (an import, a
bulk delete, a path edit and the routing draft it saves), as NetBox's change log shares a request id.

It lives here, below every app, because the operations that open a batch (the admin's bulk delete in
``common.admin``, imports in the domain apps) sit on different layers; ``audit.services`` reads it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[uuid.UUID | None] = ContextVar("hive_audit_batch", default=None)


@contextmanager
def batch() -> Iterator[uuid.UUID]:
    """Run the block as one batch and yield its id. Nested blocks join the outer batch."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    token = _current.set(uuid.uuid4())
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


def current_batch() -> uuid.UUID | None:
    """The id of the batch being run, or None outside any batch."""
    return _current.get()
