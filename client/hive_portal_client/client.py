"""``HivePortal``: fetch the bundle (ETag revalidation), keep a last-known-good copy on disk, and build
Agno ``Agent``/``Team`` objects with Agno's own ``from_dict`` and a ``Registry``.

Freshness (``watch()``): a long-poll of ``GET /api/v1/bundle/wait`` on a portal server started for it
(``HIVE_LONG_POLL=true``, threaded gunicorn: a waiting runtime holds a sleeping thread there, never one of
the sync workers of the fast path), then ``GET /api/v1/bundle`` with ``If-None-Match``; or, without such a
server, revalidation with ``If-None-Match`` every ``interval`` seconds, which the fast path answers with a
``304`` from its per-worker cache without a query. See the README for the measured figures.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx

from hive_portal_client.builder import AgnoBuilder, HivePortalError
from hive_portal_client.reporting import Reporter

_logger = logging.getLogger("hive_portal_client")


def merge_delta(bundle: dict, delta: dict) -> dict:
    """The whole bundle a delta (``GET /api/v1/bundle?since=N``) leads to from bundle N: changed and new agents
    and teams replaced, removed ones dropped, each team's inline member documents and member versions taken
    from the agents (a team whose only change is a member's new version is not resent), the typification when
    it changed, the rollouts."""
    merged = copy.deepcopy(bundle)
    merged["bundle_version"] = delta["bundle_version"]
    for section in ("agents", "teams"):
        for component_id in delta["removed"][section]:
            merged[section].pop(component_id, None)
        merged[section].update(delta[section])
        merged[section] = dict(sorted(merged[section].items()))
    for team in merged["teams"].values():
        hive = team["metadata"]["hive"]
        inline = hive.get("components", {}).get("agents", {})
        for member in list(inline):
            if member in merged["agents"]:
                inline[member] = merged["agents"][member]
                hive["members"][member] = merged["agents"][member]["metadata"]["hive"]["version"]
    if "typification" in delta:
        merged["typification"] = delta["typification"]
    merged["rollouts"] = delta["rollouts"]
    return merged


class PortalUnavailable(HivePortalError):
    """The portal cannot be reached and there is no last-known-good bundle yet."""


class HivePortal:
    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        tools: Iterable[Any] = (),
        models: Iterable[Any] = (),
        knowledge: Iterable[Any] = (),
        cache_dir: str | os.PathLike | None = None,
        timeout: float = 5.0,
        report: bool = True,
        http: httpx.Client | None = None,
        runtime_name: str | None = None,
        runtime_version: str = "",
        report_tools: bool = True,
        report_interval: float = 600.0,
    ):
        """``tools``: the application's functions and toolkits, bound by name; ``models``: live model
        instances to use instead of building them (matched by id/provider/name); ``knowledge``: objects
        to use for a document's ``knowledge`` name instead of a ``HivePortalKnowledge``.

        ``report_tools``: tell the portal which tool names this runtime provides (``POST runtime/report``, as
        ``runtime_name`` — default ``HIVE_RUNTIME_NAME`` or the host name — and ``runtime_version``) after the
        first fetch and then at most every ``report_interval`` seconds while it fetches, so the portal's admin
        knows which runtimes can run which tools."""
        self.http = http or httpx.Client(base_url=url.rstrip("/"), timeout=timeout)
        self.http.headers["X-API-Key"] = api_key
        self.cache_path = Path(cache_dir) / "hive-portal-bundle.json" if cache_dir else None
        self.reporter = Reporter(self.http) if report else None
        self.builder = AgnoBuilder(
            tools=tools, models=models, knowledge=knowledge, http=self.http, reporter=self.reporter
        )
        self._lock = threading.Lock()
        self._bundle: dict | None = None
        self._etag: str | None = None
        self.stale = False  # True while serving the disk/memory copy because the portal failed
        self._listeners: list[Callable[[dict], None]] = []
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self._built: dict[tuple, Any] = {}
        self.runtime_name = runtime_name or os.environ.get("HIVE_RUNTIME_NAME") or socket.gethostname() or "runtime"
        self.runtime_version = runtime_version
        self.report_tools = report_tools
        self.report_interval = report_interval
        self._reported_at: float | None = None

    # --- The bundle ------------------------------------------------------------------------------------

    def bundle(self) -> dict:
        """The current bundle: fetched on first use, then as revalidated by ``refresh``/``watch``."""
        if self._bundle is None:
            self.refresh()
        return self._bundle  # type: ignore[return-value]

    @property
    def version(self) -> int | None:
        return None if self._bundle is None else self._bundle.get("bundle_version")

    def refresh(self) -> bool:
        """Revalidate the bundle: holding one, ask only for what changed since it (``?since=``; 304 when nothing
        did), else fetch it whole (with its ETag). True when it changed. When the portal is down, keep (or load
        from disk) the last-known-good bundle; raise ``PortalUnavailable`` only if there is none."""
        held = self._bundle
        return self._fetch(held.get("bundle_version") if held is not None else None)

    def _fetch(self, since: int | None) -> bool:
        headers = {"If-None-Match": self._etag} if self._etag and since is None else {}
        params = {"since": since} if since is not None else {}
        try:
            response = self.http.get("/api/v1/bundle", headers=headers, params=params)
            if response.status_code == 304:
                self.stale = False
                self._report_tools()
                return False
            response.raise_for_status()
        except httpx.HTTPError as exc:
            if self._bundle is None and not self._load_disk():
                raise PortalUnavailable(f"Hive Portal unreachable and no cached bundle: {exc}") from exc
            self.stale = True
            return False
        bundle = response.json()
        etag = response.headers.get("ETag")
        if bundle.get("delta"):
            held = self._bundle
            if held is None or held.get("bundle_version") != bundle.get("since"):
                return self._fetch(None)  # the bundle changed meanwhile (another refresh): fetch it whole
            bundle, etag = merge_delta(held, bundle), None
        self.stale = response.headers.get("X-Hive-Stale") == "true"
        self._set(bundle, etag)
        self._save_disk(bundle, etag)
        self._report_tools()
        return True

    def _report_tools(self, *, force: bool = False) -> bool:
        """Post the tool names this runtime provides (once the portal answered, then every ``report_interval``
        seconds). A failure is logged and retried with the next fetch: it never stands in the way of one."""
        if not self.report_tools:
            return False
        now = time.monotonic()
        if not force and self._reported_at is not None and now - self._reported_at < self.report_interval:
            return False
        body = {
            "runtime": self.runtime_name[:100],
            "version": self.runtime_version[:100],
            "tools": self.builder.provided_tool_names(),
        }
        try:
            response = self.http.post("/api/v1/runtime/report", json=body)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            _logger.warning("Hive Portal: reporting this runtime's tools failed (%s); will retry", exc)
            return False
        self._reported_at = now
        unknown = response.json().get("not_in_catalogue") or []
        if unknown:
            _logger.info("Hive Portal's tool catalogue does not list: %s", ", ".join(unknown))
        return True

    def _set(self, bundle: dict, etag: str | None) -> None:
        with self._lock:
            changed = self._bundle is not None and bundle.get("bundle_version") != self._bundle.get("bundle_version")
            self._bundle, self._etag = bundle, etag
            self._built.clear()
        if changed:
            for listener in list(self._listeners):
                listener(bundle)

    def _save_disk(self, bundle: dict, etag: str | None) -> None:
        if self.cache_path is None:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache_path.parent, prefix=".bundle-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"etag": etag, "bundle": bundle}, out, ensure_ascii=False)
        os.replace(tmp, self.cache_path)  # atomic: a crash never leaves half a bundle

    def _load_disk(self) -> bool:
        if self.cache_path is None or not self.cache_path.exists():
            return False
        try:
            saved = json.loads(self.cache_path.read_text(encoding="utf-8"))
            bundle, etag = saved["bundle"], saved.get("etag")
        except (OSError, ValueError, KeyError):
            return False
        with self._lock:
            self._bundle, self._etag = bundle, etag
            self._built.clear()
        return True

    # --- Freshness ---------------------------------------------------------------------------------------

    def on_change(self, listener: Callable[[dict], None]) -> None:
        """Call ``listener(bundle)`` after a newer bundle arrives."""
        self._listeners.append(listener)

    def watch(
        self,
        interval: float = 0.5,
        *,
        events_url: str | None = None,
        wait: int = 25,
        events_http: httpx.Client | None = None,
    ) -> None:
        """Keep the bundle current in a daemon thread.

        Without ``events_url``: revalidate every ``interval`` seconds (a ``304`` from the portal's cache).
        With ``events_url`` (a portal server started with ``HIVE_LONG_POLL=true``): long-poll
        ``GET /api/v1/bundle/wait`` there and fetch the bundle as soon as it changed; on errors, or from a
        server that does not hold long-polls, fall back to revalidating every ``interval`` seconds.
        """
        if self._watcher is not None and self._watcher.is_alive():
            return
        self._stop.clear()
        events = events_http
        if events is None and events_url:
            events = httpx.Client(base_url=events_url.rstrip("/"), timeout=wait + 10)
        if events is not None:
            events.headers["X-API-Key"] = self.http.headers["X-API-Key"]

        def poll_loop():
            while not self._stop.wait(interval):
                self._refresh_quietly()

        def long_poll_loop():
            while not self._stop.is_set():
                try:
                    if self._bundle is None:
                        self.refresh()
                    started = time.monotonic()
                    response = events.get("/api/v1/bundle/wait", params={"after": self.version or 0, "timeout": wait})
                    response.raise_for_status()
                    answer = response.json()
                    if answer["changed"]:
                        self.refresh()
                        continue
                    # A wait that ended at once (a server reconnecting its listener says "waited" without
                    # holding the request) is no wait: asking again at once would spin, so poll meanwhile.
                    if answer["waited"] and time.monotonic() - started >= min(1.0, wait / 2):
                        continue
                except Exception as exc:  # noqa: BLE001 - the keeper of freshness must not die
                    _logger.warning("Hive Portal long-poll failed (%s); revalidating every %ss.", exc, interval)
                if self._stop.wait(interval):  # no long-poll there: behave like polling
                    return
                self._refresh_quietly()

        target = long_poll_loop if events is not None else poll_loop
        self._watcher = threading.Thread(target=target, name="hive-portal-watch", daemon=True)
        self._watcher.start()

    def _refresh_quietly(self) -> None:
        try:
            self.refresh()
        except Exception as exc:  # noqa: BLE001 - the keeper of freshness must not die; the next try may work
            _logger.warning("Hive Portal refresh failed: %s", exc)

    def close(self) -> None:
        self._stop.set()
        if self.reporter is not None:
            self.reporter.close()

    # --- Agno objects --------------------------------------------------------------------------------------

    def agent(self, agent_id: str, *, session_id: str | None = None, user_id: str | None = None):
        """The published agent as an ``agno.agent.Agent`` (a fresh object per bundle version). While a
        rollout of it runs, pass the session (or user) id: the session gets the candidate or the current
        version, always the same one — the same pick the portal makes (``variant``)."""
        bundle = self.bundle()
        document = bundle["agents"].get(agent_id)
        if document is None:
            raise HivePortalError(f"Agent “{agent_id}” is not published (or not active) in the portal.")
        if self.variant("agents", agent_id, session_id or user_id) == "candidate":
            candidate = bundle["rollouts"]["agents"][agent_id]["candidate"]
            return self._cached(("agent", agent_id, "candidate"), lambda: self._build_agent(candidate, standalone=True))
        return self._cached(("agent", agent_id), lambda: self._build_agent(document, standalone=True))

    def team(self, team_id: str, *, session_id: str | None = None, user_id: str | None = None):
        """The published team as an ``agno.team.Team`` with its members, models and knowledge (the
        session's variant while a rollout of the team runs, as for ``agent``)."""
        bundle = self.bundle()
        document = bundle["teams"].get(team_id)
        if document is None:
            raise HivePortalError(f"Team “{team_id}” is not published (or not active) in the portal.")
        if self.variant("teams", team_id, session_id or user_id) == "candidate":
            candidate = bundle["rollouts"]["teams"][team_id]["candidate"]
            return self._cached(("team", team_id, "candidate"), lambda: self._build_team(candidate))
        return self._cached(("team", team_id), lambda: self._build_team(document))

    def variant(self, section: str, component_id: str, session_key: str | None) -> str | None:
        """ "candidate" when a rollout of the component runs and this session falls in its share, else None.
        The same arithmetic as the portal (``common.rollout``): sha256 of ``salt:session key``, first 8 bytes
        big-endian, modulo 10,000, below ``percent × 100``."""
        rollout = (self.bundle().get("rollouts") or {}).get(section, {}).get(component_id)
        if rollout is None or not session_key:
            return None
        digest = hashlib.sha256(f"{rollout['salt']}:{session_key}".encode()).digest()
        in_share = int.from_bytes(digest[:8], "big") % 10_000 < round(rollout["percent"] * 10_000 / 100)
        return "candidate" if in_share else None

    def _cached(self, key: tuple, build: Callable[[], Any]):
        version = self.version
        found = self._built.get(key)
        if found is not None and found[0] == version:
            return found[1]
        built = build()
        self._built[key] = (version, built)
        return built

    def build_model(self, spec: Any):
        """A model with every setting the document holds (Agno's own from_dict keeps only id/provider)."""
        return self.builder.build_model(spec)

    def _build_agent(self, document: dict, *, standalone: bool = False):
        return self.builder.build_agent(document, standalone=standalone)

    def _build_team(self, document: dict):
        return self.builder.build_team(document)
