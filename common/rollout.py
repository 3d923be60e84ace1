"""Sticky percentage splits: which variant a session gets in a rollout.

The portal and the runtime client (``client/hive_portal_client``, which carries the same few lines) compute
the same answer from the rollout's salt and the session key alone, so a runtime can pick locally from the
bundle and the server agrees when asked.
"""

from __future__ import annotations

import hashlib

BUCKETS = 10_000  # a split is exact to 0.01%


def bucket(salt: str, key: str) -> int:
    """A stable number in [0, 10000) for a session key within one rollout."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def picks_candidate(salt: str, key: str, percent: float) -> bool:
    """True when the session ``key`` gets the rollout's candidate (``percent`` of all keys do)."""
    return bucket(salt, key) < round(percent * BUCKETS / 100)
