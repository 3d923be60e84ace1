"""Run metrics and routing decisions sent back to the portal in background batches.

An agent run only puts a small dict on a bounded queue (``put_nowait``): when the portal is slow or
down the queue fills and further records are dropped and counted, never waiting. A daemon thread
posts batches to ``/api/v1/metrics`` and ``/api/v1/routing-decisions``, each with an ``Idempotency-Key``
kept across its retries, so a retry after a lost answer is stored once.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

ENDPOINTS = {"metric": "/api/v1/metrics", "routing": "/api/v1/routing-decisions"}


class Reporter:
    def __init__(
        self,
        http: httpx.Client,
        *,
        max_queue: int = 10_000,
        batch_size: int = 200,
        flush_interval: float = 1.0,
        retries: int = 3,
    ):
        self.http = http
        self.queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.retries = retries
        self.dropped = 0  # records refused because the queue was full
        self.failed = 0  # records given up after the retries
        self.sent = 0
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._in_flight = 0
        self._thread: threading.Thread | None = None

    # --- Producing (on the agent's thread: never blocks) ----------------------------------------------

    def record(self, kind: str, record: dict) -> bool:
        try:
            self.queue.put_nowait((kind, record))
        except queue.Full:
            self.dropped += 1
            return False
        self._ensure_thread()
        return True

    def agent_hook(self):
        """An Agno post-hook that records each agent run's metrics."""

        def hive_portal_metrics(run_output=None, agent=None, **kwargs: Any) -> None:
            if run_output is None or agent is None:
                return
            self.record("metric", metric_record(run_output, agent))

        return hive_portal_metrics

    def team_hook(self):
        """An Agno post-hook for a team: its run's metrics, and in route mode the routing decision."""

        def hive_portal_team_metrics(run_output=None, team=None, **kwargs: Any) -> None:
            if run_output is None or team is None:
                return
            routed = routed_member(run_output)
            if routed is not None:
                self.record("routing", routing_record(run_output, team, routed))
            self.record_failed_members(run_output, team)

        return hive_portal_team_metrics

    def record_failed_members(self, run_output, team) -> None:
        """Agno runs no post-hook after a failed run: a member that failed is reported from the team's output."""
        members = {getattr(m, "id", None): m for m in getattr(team, "members", None) or []}
        for response in getattr(run_output, "member_responses", None) or []:
            member = members.get(getattr(response, "agent_id", None))
            if member is not None and _failed(response):
                self.record("metric", metric_record(response, member))

    def report_errors(self, component) -> None:
        """Report failed runs too: Agno calls no post-hook when a run fails, so ``run``/``arun`` of this object
        are wrapped to record a failed run's metrics — from its output, or from the error event of a stream."""
        is_team = hasattr(component, "members") and hasattr(component, "mode")
        run, arun = component.run, component.arun
        members = {getattr(m, "id", None): m for m in getattr(component, "members", None) or []}

        def after(output):
            if _failed(output):
                if is_team:
                    self.record_failed_members(output, component)
                else:
                    self.record("metric", metric_record(output, component))
            return output

        def on_event(event, started: float) -> None:
            if getattr(event, "event", None) not in _ERROR_EVENTS:
                return
            # A team reports its members (the portal's metrics are per agent); an agent reports itself.
            agent = members.get(getattr(event, "agent_id", None)) if is_team else component
            if agent is not None:
                self.record("metric", error_event_record(event, agent, time.perf_counter() - started))

        def stream(events):
            started = time.perf_counter()
            for event in events:
                on_event(event, started)
                yield event

        async def astream(events):
            started = time.perf_counter()
            async for event in events:
                on_event(event, started)
                yield event

        def reported_run(*args, **kwargs):
            result = run(*args, **kwargs)
            return stream(result) if kwargs.get("stream") else after(result)

        def reported_arun(*args, **kwargs):
            # Like Agno's own arun: an async iterator when streaming, otherwise something to await.
            result = arun(*args, **kwargs)
            if kwargs.get("stream"):
                return astream(result)

            async def finished():
                return after(await result)

            return finished()

        component.run = reported_run
        component.arun = reported_arun

    # --- Sending (background thread) -------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._idle:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="hive-portal-reporter", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._take_batch()
            if batch:
                self._send(batch)

    def _take_batch(self) -> list:
        try:
            first = self.queue.get(timeout=self.flush_interval)
        except queue.Empty:
            return []
        with self._idle:
            self._in_flight += 1
        batch = [first]
        while len(batch) < self.batch_size:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        with self._idle:
            self._in_flight += len(batch) - 1
        return batch

    def _send(self, batch: list) -> None:
        by_kind: dict[str, list] = {}
        for kind, record in batch:
            by_kind.setdefault(kind, []).append(record)
        for kind, records in by_kind.items():
            key = str(uuid.uuid4())
            for attempt in range(self.retries):
                try:
                    response = self.http.post(
                        ENDPOINTS[kind], json={"records": records}, headers={"Idempotency-Key": key}
                    )
                    if response.status_code < 500:
                        if response.status_code < 300:
                            self.sent += len(records)
                        else:
                            self.failed += len(records)  # refused as invalid: retrying would not help
                        break
                except httpx.HTTPError:
                    pass
                if self._stop.wait(min(0.2 * 2**attempt, 2.0)):
                    break
            else:
                self.failed += len(records)
        with self._idle:
            self._in_flight -= len(batch)
            self._idle.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far has been sent (or given up). True if it was."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self.queue.qsize() or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(min(remaining, 0.05))
        return True

    def close(self) -> None:
        self.flush(timeout=2.0)
        self._stop.set()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _hive(component) -> dict:
    metadata = getattr(component, "metadata", None) or {}
    return metadata.get("hive", {}) if isinstance(metadata, dict) else {}


def _failed(run_output) -> bool:
    status = getattr(run_output, "status", None)
    return str(getattr(status, "value", status) or "").lower() == "error"


# Agno's events for a run that failed while streaming (agno.run.agent.RunErrorEvent, agno.run.team.RunErrorEvent).
_ERROR_EVENTS = {"RunError", "TeamRunError"}


def error_event_record(event, agent, seconds: float) -> dict:
    """The metric of a streamed run that failed: what its error event says, timed by the client."""
    return {
        "agent_id": agent.id,
        "session_id": getattr(event, "session_id", None) or "",
        "response_time_ms": int(round(seconds * 1000)),
        "tokens_used": 0,
        "success": False,
        "error_message": str(getattr(event, "content", "") or "")[:10_000],
        "config_version": _hive(agent).get("version"),
        "created_at": _now(),
    }


def metric_record(run_output, agent) -> dict:
    metrics = getattr(run_output, "metrics", None)
    duration = getattr(metrics, "duration", None) or 0.0
    error = _failed(run_output)
    return {
        "agent_id": agent.id,
        "session_id": getattr(run_output, "session_id", None) or "",
        "response_time_ms": int(round(duration * 1000)),
        "tokens_used": int(getattr(metrics, "total_tokens", 0) or 0),
        "success": not error,
        "error_message": (str(getattr(run_output, "content", "") or "")[:10_000] if error else ""),
        "config_version": _hive(agent).get("version"),
        "created_at": _now(),
    }


def routed_member(run_output) -> str | None:
    """The member a route-mode team handed the message to (its first member response)."""
    for response in getattr(run_output, "member_responses", None) or []:
        member_id = getattr(response, "agent_id", None) or getattr(response, "team_id", None)
        if member_id:
            return member_id
    return None


def routing_record(run_output, team, routed: str) -> dict:
    query = getattr(getattr(run_output, "input", None), "input_content", None)
    if not isinstance(query, str) or not query.strip():
        query = str(query or "(no text)")
    return {
        "session_id": getattr(run_output, "session_id", None) or "unknown",
        "query": query[:20_000],
        "routed_to": routed,
        "config_version": _hive(team).get("version"),
        "created_at": _now(),
    }
