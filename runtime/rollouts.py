"""Which variant a runtime request gets while a rollout runs, without a query on warm requests.

The running rollouts are read once per config generation (starting, completing or aborting a rollout moves
it) and kept per process; a request that names a session (``session_id``, else ``user_id``) for a component
with a running rollout gets the candidate when ``common.rollout.picks_candidate`` says so — the same answer
the runtime client computes from the bundle.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from common.rollout import picks_candidate

CANDIDATE = "candidate"


@dataclass(frozen=True)
class RunningRollout:
    id: int
    percent: int
    salt: str
    baseline_version: int
    candidate_version: int


class _RolloutCache:
    def __init__(self):
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._rollouts: dict[tuple[str, str, str], RunningRollout] = {}

    def peek(self, generation: int) -> dict[tuple[str, str, str], RunningRollout] | None:
        """The rollouts known for ``generation``, or None when this process has not read them (no query)."""
        with self._lock:
            return self._rollouts if self._generation == generation else None

    def load(self, generation: int) -> dict[tuple[str, str, str], RunningRollout]:
        found = self.peek(generation)
        if found is not None:
            return found
        from versioning.selectors import running_rollouts

        rollouts = {
            (r.environment, r.component_type, r.component_id): RunningRollout(
                id=r.pk,
                percent=r.percent,
                salt=r.salt,
                baseline_version=r.baseline.version,
                candidate_version=r.candidate.version,
            )
            for r in running_rollouts()
        }
        with self._lock:
            self._generation, self._rollouts = generation, rollouts
        return rollouts

    def last(self) -> dict[tuple[str, str, str], RunningRollout]:
        """The rollouts read last, whatever the generation (answering stale while the database is down)."""
        with self._lock:
            return self._rollouts

    def clear(self) -> None:
        with self._lock:
            self._generation, self._rollouts = None, {}


rollout_cache = _RolloutCache()


def session_key(query) -> str:
    return (query.get("session_id") or query.get("user_id") or "").strip()


def variant(rollouts, environment: str, component_type: str, component_id: str, query) -> str | None:
    """``CANDIDATE`` when this request's session gets the running rollout's candidate, else None (the
    environment's own version)."""
    key = session_key(query)
    if not key:
        return None
    rollout = rollouts.get((environment, component_type, component_id))
    if rollout is None or not picks_candidate(rollout.salt, key, rollout.percent):
        return None
    return CANDIDATE
