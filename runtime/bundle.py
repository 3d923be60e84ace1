"""The bundle, assembled from per-component parts each worker keeps, and the delta since an earlier bundle.

A publish changes one component; rebuilding and re-serialising thousands of documents for it made the cost of a
change proportional to the size of the configuration. Here every agent's and team's document is serialised once
per immutable version (a team's also per the versions of its members) and kept; a new generation reads which
versions are live (ids and primary keys only), builds the parts it has not seen, and joins the bytes. The ETag is
a hash of the parts' hashes, not of the megabytes.

A runtime that holds bundle N asks ``GET /api/v1/bundle?since=N`` and gets only what changed: the changed and
new agents, the teams whose own version or served members changed, the ids removed, the typification when it
changed, and the running rollouts. A team whose only change is a member's new version is not resent: the
client puts the member's new document (which it received) into the team, as the full bundle would have it
(``hive_portal_client.client.merge_delta``). A worker that did not build bundle N itself
answers with the whole bundle (``"delta": false``), so the answer is always right.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import orjson
from django.utils.http import quote_etag

from agents.models import Agent
from common import agno_documents
from teams.models import Team
from versioning.models import ComponentVersion

HISTORY = 16  # bundles per environment a worker can answer a delta from


@dataclass(frozen=True)
class Part:
    signature: tuple  # what decides the bytes (immutable version rows)
    body: bytes
    digest: bytes


@dataclass(frozen=True)
class Summary:
    """What a delta compares: each agent's digest, each team's own signature (its version and served members),
    the typification's digest."""

    agents: dict[str, bytes]
    teams: dict[str, tuple]
    typification: bytes


@dataclass(frozen=True)
class Built:
    generation: int
    environment: str
    body: bytes
    etag: str
    summary: Summary
    agents: dict[str, Part]
    teams: dict[str, Part]
    typification: bytes
    rollouts: bytes


def _part(signature: tuple, document: dict) -> Part:
    body = orjson.dumps(document)
    return Part(signature, body, hashlib.sha256(body).digest())


def _join(sections: list[tuple[bytes, bytes]]) -> bytes:
    """``{"key":value,...}`` from already serialised keys and values."""
    return b"{" + b",".join(key + b":" + value for key, value in sections) + b"}"


def _members(config: dict) -> list[str]:
    return [m["agent_id"] for m in sorted(config.get("members", []), key=lambda m: m["position"])]


class BundleBuilder:
    """Per worker: parts by (environment, section, id), and the last ``HISTORY`` bundles' summaries."""

    def __init__(self, history: int = HISTORY):
        self._lock = threading.Lock()
        self._parts: dict[tuple, Part] = {}
        self._team_members: dict[int, list[str]] = {}  # team version pk -> member ids in position order
        self._history: OrderedDict[tuple[str, int], Summary] = OrderedDict()
        self._max_history = history

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()
            self._team_members.clear()
            self._history.clear()

    def build(self, generation: int, environment: str) -> Built:
        """The bundle of ``generation`` (call inside ``runtime.selectors.consistent_snapshot()``)."""
        from runtime.selectors import _active_ids, _bundle_rollouts, _hive_metadata, _team_document_from
        from typification.selectors import typification_tree_document
        from versioning.selectors import live_versions

        active_agents = _active_ids(Agent, "agent_id")
        agent_pks = {
            cid: pk
            for cid, pk in live_versions("agent", environment).values_list("component_id", "pk")
            if cid in active_agents
        }
        active_teams = _active_ids(Team, "team_id")
        team_pks = {
            cid: pk
            for cid, pk in live_versions("team", environment).values_list("component_id", "pk")
            if cid in active_teams
        }
        with self._lock:
            parts = dict(self._parts)
            team_members = dict(self._team_members)

        missing_agents = [
            pk for cid, pk in agent_pks.items() if parts.get((environment, "a", cid), _NO).signature != (pk,)
        ]
        missing_teams = [pk for pk in team_pks.values() if pk not in team_members]
        rows = (
            ComponentVersion.objects.in_bulk(missing_agents + missing_teams)
            if (missing_agents or missing_teams)
            else {}
        )
        new_parts: dict[tuple, Part] = {}
        for cid, pk in agent_pks.items():
            if pk in rows:
                row = rows[pk]
                new_parts[(environment, "a", cid)] = _part(
                    (pk,), agno_documents.agent_document(row.config, _hive_metadata(row))
                )
        for pk in missing_teams:
            team_members[pk] = _members(rows[pk].config)

        agents = {
            cid: new_parts.get((environment, "a", cid)) or parts[(environment, "a", cid)] for cid in sorted(agent_pks)
        }
        teams: dict[str, Part] = {}
        team_signatures: dict[str, tuple] = {}
        stale_teams = []
        for cid in sorted(team_pks):
            pk = team_pks[cid]
            members = team_members[pk]
            served = tuple(m for m in members if m in agent_pks)
            team_signatures[cid] = (pk, served)
            signature = (pk, tuple(agent_pks.get(m) for m in members))
            part = parts.get((environment, "t", cid))
            if part is not None and part.signature == signature:
                teams[cid] = part
            else:
                stale_teams.append((cid, pk, signature))
        if stale_teams:
            member_pks = {agent_pks[m] for _, pk, _ in stale_teams for m in team_members[pk] if m in agent_pks}
            team_rows = ComponentVersion.objects.in_bulk([pk for _, pk, _ in stale_teams] + list(member_pks))
            by_agent = {team_rows[pk].component_id: team_rows[pk] for pk in member_pks}
            for cid, pk, signature in stale_teams:
                part = _part(signature, _team_document_from(team_rows[pk], by_agent, active_agents))
                new_parts[(environment, "t", cid)] = part
                teams[cid] = part

        typification = orjson.dumps(typification_tree_document(environment))
        rollouts = orjson.dumps(_bundle_rollouts(environment, _LiveAgentRows(agent_pks), active_agents, teams))
        summary = Summary(
            agents={cid: p.digest for cid, p in agents.items()},
            teams=team_signatures,
            typification=hashlib.sha256(typification).digest(),
        )
        head = [(b'"bundle_version"', str(generation).encode()), (b'"environment"', orjson.dumps(environment))]
        body = _join(
            [
                *head,
                (b'"agents"', _join([(orjson.dumps(cid), p.body) for cid, p in agents.items()])),
                (b'"teams"', _join([(orjson.dumps(cid), p.body) for cid, p in teams.items()])),
                (b'"typification"', typification),
                (b'"rollouts"', rollouts),
            ]
        )
        digest = hashlib.sha256(str(generation).encode() + environment.encode() + typification + rollouts)
        for section in (agents, teams):
            for cid, p in section.items():
                digest.update(cid.encode() + b"\0" + p.digest)
        with self._lock:
            self._parts.update(new_parts)
            for key in [
                k for k in self._parts if k[0] == environment and k[2] not in (agents if k[1] == "a" else teams)
            ]:
                del self._parts[key]  # removed components: do not keep their documents forever
            self._team_members.update(team_members)
            self._history[(environment, generation)] = summary
            self._history.move_to_end((environment, generation))
            while len(self._history) > self._max_history:
                self._history.popitem(last=False)
        return Built(generation, environment, body, quote_etag(digest.hexdigest()[:40]), summary, agents, teams,
                     typification, rollouts)  # fmt: skip

    def summary(self, environment: str, generation: int) -> Summary | None:
        with self._lock:
            return self._history.get((environment, generation))

    def delta(self, built: Built, since: int) -> bytes | None:
        """What changed from bundle ``since`` to ``built`` (None: this worker does not know bundle ``since``)."""
        before = self.summary(built.environment, since)
        if before is None or since >= built.generation:
            return None
        now = built.summary
        agents = [(cid, p) for cid, p in built.agents.items() if before.agents.get(cid) != p.digest]
        teams = [(cid, p) for cid, p in built.teams.items() if before.teams.get(cid) != now.teams[cid]]
        removed = {
            "agents": sorted(set(before.agents) - set(now.agents)),
            "teams": sorted(set(before.teams) - set(now.teams)),
        }
        sections = [
            (b'"bundle_version"', str(built.generation).encode()),
            (b'"environment"', orjson.dumps(built.environment)),
            (b'"delta"', b"true"),
            (b'"since"', str(since).encode()),
            (b'"agents"', _join([(orjson.dumps(cid), p.body) for cid, p in agents])),
            (b'"teams"', _join([(orjson.dumps(cid), p.body) for cid, p in teams])),
            (b'"removed"', orjson.dumps(removed)),
            (b'"rollouts"', built.rollouts),
        ]
        if before.typification != now.typification:
            sections.append((b'"typification"', built.typification))
        return _join(sections)


class _NoPart:
    signature: tuple = ()


_NO = _NoPart()


class _LiveAgentRows(Mapping[str, ComponentVersion]):
    """The live agent rows by id as ``_bundle_rollouts`` reads them: whether one is served (``in``) from the ids
    alone, a row only for a team rollout's candidate, fetched then."""

    def __init__(self, agent_pks: dict[str, int]):
        self._pks = agent_pks
        self._rows: dict[str, ComponentVersion] = {}

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._pks

    def __getitem__(self, agent_id: str) -> ComponentVersion:
        if agent_id not in self._rows:
            self._rows[agent_id] = ComponentVersion.objects.get(pk=self._pks[agent_id])
        return self._rows[agent_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._pks)

    def __len__(self) -> int:
        return len(self._pks)


bundle_builder = BundleBuilder()
