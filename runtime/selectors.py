"""What the runtime reads: published configurations only, assembled into documents.

Every builder runs inside ``consistent_snapshot()`` so that a document (a team with its members, the
bundle) is taken from one published state, never half of a concurrent publish, and is tagged with the
config generation of that same state.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager

from django.db import connection, transaction

from agents.models import Agent
from common import agno_documents
from common.read_routing import primary_reads
from runtime.state import read_generations
from teams.models import Team
from versioning.models import ComponentVersion, VersionStatus, first_environment
from versioning.selectors import live_versions, running_rollout, running_rollouts


class NotServed(LookupError):
    """The component does not exist, is inactive, or has no published (or no such) version."""


@contextmanager
def consistent_snapshot():
    """A read-only transaction on the primary that sees one committed state (REPEATABLE READ on PostgreSQL).

    Inside an outer transaction (a caller's, or a test's) the isolation level is already fixed and that
    transaction is a single state anyway, so it is used as it is. Never on a read replica, whatever page asks: a
    replica's lag could hand a runtime a configuration older than one it already received.
    """
    outer = connection.in_atomic_block
    with primary_reads(), transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _hive_metadata(version: ComponentVersion, **extra) -> dict:
    return {
        "version": version.version,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "content_hash": version.content_hash,
        **extra,
    }


def _published(component_type: str, environment: str, component_ids=None):
    """The versions ``environment`` serves (see ``versioning.selectors.live_versions``)."""
    return live_versions(component_type, environment, component_ids)


def _active_ids(model, id_field: str, ids=None) -> set[str]:
    qs = model.objects.filter(is_active=True)
    if ids is not None:
        qs = qs.filter(**{f"{id_field}__in": list(ids)})
    return set(qs.values_list(id_field, flat=True))


def _rollout_candidate(component_type: str, component_id: str, environment: str):
    """(candidate row, rollout metadata) of the rollout running for the component, or (None, None)."""
    rollout = running_rollout(component_type, component_id, environment)
    if rollout is None:
        return None, None
    meta = {"id": rollout.pk, "percent": rollout.percent, "variant": "candidate",
            "baseline_version": rollout.baseline.version}  # fmt: skip
    return rollout.candidate, meta


def agent_document(
    agent_id: str, *, version: int | None = None, environment: str | None = None, candidate: bool = False
) -> dict:
    """An agent's configuration as ``environment`` serves it (or an older immutable version that was live;
    or, ``candidate``, the running rollout's candidate — the baseline when none runs any more)."""
    environment = environment or first_environment()
    if not Agent.objects.filter(agent_id=agent_id, is_active=True).exists():
        raise NotServed(f"No active agent “{agent_id}”.")
    live = _published("agent", environment, [agent_id]).first()
    if candidate and version is None:
        row, rollout = _rollout_candidate("agent", agent_id, environment)
        if row is not None:
            return agno_documents.agent_document(row.config, _hive_metadata(row, live=True, rollout=rollout))
    if version is None:
        row = live
        if row is None:
            raise NotServed(f"Agent “{agent_id}” is not live in {environment}.")
    else:
        row = (
            ComponentVersion.objects.filter(component_type="agent", component_id=agent_id, version=version)
            .exclude(status=VersionStatus.DRAFT)
            .exclude(published_at__isnull=True)
            .first()
        )
        if row is None:
            raise NotServed(f"Agent “{agent_id}” has no published version {version}.")
    is_live = live is not None and live.pk == row.pk
    return agno_documents.agent_document(row.config, _hive_metadata(row, live=is_live))


def _team_document_from(team_row: ComponentVersion, members: Mapping[str, ComponentVersion], active: set[str]) -> dict:
    """The team's document with the currently published document of each active member."""
    member_ids, documents, combined, missing = [], {}, {}, []
    for member in sorted(team_row.config.get("members", []), key=lambda m: m["position"]):
        agent_id = member["agent_id"]
        row = members.get(agent_id)
        if row is None or agent_id not in active:
            missing.append(agent_id)
            continue
        member_ids.append(agent_id)
        documents[agent_id] = agno_documents.agent_document(row.config, _hive_metadata(row))
        combined[agent_id] = row.version
    hive = _hive_metadata(team_row, members=combined)
    if missing:
        hive["missing_members"] = missing
    return agno_documents.team_document(team_row.config, hive, member_ids, documents)


def team_document(team_id: str, *, environment: str | None = None, candidate: bool = False) -> dict:
    """A team's configuration as ``environment`` serves it (``candidate``: its running rollout's candidate),
    with each member's live configuration inline."""
    environment = environment or first_environment()
    if not Team.objects.filter(team_id=team_id, is_active=True).exists():
        raise NotServed(f"No active team “{team_id}”.")
    row, rollout = _rollout_candidate("team", team_id, environment) if candidate else (None, None)
    if row is None:
        row = _published("team", environment, [team_id]).first()
    if row is None:
        raise NotServed(f"Team “{team_id}” is not live in {environment}.")
    member_ids = [m["agent_id"] for m in row.config.get("members", [])]
    members = {r.component_id: r for r in _published("agent", environment, member_ids)}
    document = _team_document_from(row, members, _active_ids(Agent, "agent_id", member_ids))
    if rollout is not None:
        document["metadata"]["hive"]["rollout"] = rollout
    return document


def agent_index(
    environment: str | None = None, *, capability: str | None = None, knowledge_domain: str | None = None
) -> list[dict]:
    """The agents ``environment`` serves; with ``capability`` / ``knowledge_domain``, only those whose served
    configuration has that capability / lists that knowledge domain (what the runtime gets, not the drafts)."""
    environment = environment or first_environment()
    active = _active_ids(Agent, "agent_id")
    versions = _published("agent", environment)
    if capability:
        versions = versions.filter(config__capabilities__contains=[{"name": capability}])
    if knowledge_domain:
        versions = versions.filter(config__knowledge_domains__contains=[{"domain": knowledge_domain}])
    return [
        {
            "id": r["component_id"],
            "version": r["version"],
            "published_at": r["published_at"].isoformat(),
            "content_hash": r["content_hash"],
        }
        for r in versions.order_by("component_id").values("component_id", "version", "published_at", "content_hash")
        if r["component_id"] in active
    ]


def team_index(environment: str | None = None) -> list[dict]:
    environment = environment or first_environment()
    active = _active_ids(Team, "team_id")
    return [
        {
            "id": r["component_id"],
            "version": r["version"],
            "published_at": r["published_at"].isoformat(),
            "content_hash": r["content_hash"],
        }
        for r in _published("team", environment)
        .order_by("component_id")
        .values("component_id", "version", "published_at", "content_hash")
        if r["component_id"] in active
    ]


def _bundle_rollouts(
    environment: str, agent_rows: Mapping[str, ComponentVersion], active_agents: set[str], teams: Mapping
) -> dict:
    """The rollouts running in ``environment``, each with its candidate's document, so a runtime picks a
    session's variant locally (``common.rollout.picks_candidate(salt, session key, percent)``)."""
    result: dict[str, dict] = {"agents": {}, "teams": {}}
    for rollout in running_rollouts(environment):
        if rollout.component_type == "agent" and rollout.component_id in agent_rows:
            document = agno_documents.agent_document(rollout.candidate.config, _hive_metadata(rollout.candidate))
            section = "agents"
        elif rollout.component_type == "team" and rollout.component_id in teams:
            document = _team_document_from(rollout.candidate, agent_rows, active_agents)
            section = "teams"
        else:
            continue  # inactive: nothing is served
        result[section][rollout.component_id] = {
            "id": rollout.pk,
            "percent": rollout.percent,
            "salt": rollout.salt,
            "baseline_version": rollout.baseline.version,
            "candidate_version": rollout.candidate.version,
            "candidate": document,
        }
    return result


def snapshot_generation() -> int:
    """The config generation as seen inside the current snapshot."""
    return read_generations().config


def runtime_reports():
    """The runtimes that reported what they provide, with keys that still work, most recently seen first."""
    from runtime.models import RuntimeReport

    return RuntimeReport.objects.filter(api_key__revoked_at__isnull=True).order_by("-last_seen")


def tool_providers_lookup(names: list[str]) -> dict:
    """Each tool name → the runtimes that reported it (``agents.providers.Provider``s). Registered with the
    agents app in ``RuntimeConfig.ready()``; a handful of rows, read whole."""
    from agents.providers import Provider

    wanted = set(names)
    found: dict[str, list[Provider]] = {name: [] for name in names}
    for report in runtime_reports():
        provider = Provider(
            runtime=report.runtime,
            version=report.runtime_version,
            environment=report.environment,
            last_seen=report.last_seen,
        )
        for name in wanted.intersection(report.tools):
            found[name].append(provider)
    return found


def environments_reporting() -> set[str]:
    """The environments at least one runtime has reported from."""
    return set(runtime_reports().values_list("environment", flat=True))
