"""What the runtime reads: published configurations only, assembled into documents.

Every builder runs inside ``consistent_snapshot()`` so that a document (a team with its members, the
bundle) is taken from one published state, never half of a concurrent publish, and is tagged with the
config generation of that same state.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

from agents.models import Agent
from common import agno_documents
from runtime.state import read_generations
from teams.models import Team
from versioning.models import ComponentVersion, VersionStatus


class NotServed(LookupError):
    """The component does not exist, is inactive, or has no published (or no such) version."""


@contextmanager
def consistent_snapshot():
    """A read-only transaction that sees one committed state (REPEATABLE READ on PostgreSQL).

    Inside an outer transaction (a caller's, or a test's) the isolation level is already fixed and that
    transaction is a single state anyway, so it is used as it is.
    """
    outer = connection.in_atomic_block
    with transaction.atomic():
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


def _published(component_type: str, component_ids=None):
    qs = ComponentVersion.objects.filter(component_type=component_type, status=VersionStatus.PUBLISHED)
    if component_ids is not None:
        qs = qs.filter(component_id__in=list(component_ids))
    return qs


def _active_ids(model, id_field: str, ids=None) -> set[str]:
    qs = model.objects.filter(is_active=True)
    if ids is not None:
        qs = qs.filter(**{f"{id_field}__in": list(ids)})
    return set(qs.values_list(id_field, flat=True))


def agent_document(agent_id: str, *, version: int | None = None) -> dict:
    """An agent's published configuration (or an older immutable version that was live)."""
    if not Agent.objects.filter(agent_id=agent_id, is_active=True).exists():
        raise NotServed(f"No active agent “{agent_id}”.")
    if version is None:
        row = _published("agent", [agent_id]).first()
        if row is None:
            raise NotServed(f"Agent “{agent_id}” has not been published yet.")
    else:
        row = (
            ComponentVersion.objects.filter(component_type="agent", component_id=agent_id, version=version)
            .exclude(status=VersionStatus.DRAFT)
            .exclude(published_at__isnull=True)
            .first()
        )
        if row is None:
            raise NotServed(f"Agent “{agent_id}” has no published version {version}.")
    return agno_documents.agent_document(row.config, _hive_metadata(row, live=row.status == VersionStatus.PUBLISHED))


def _team_document_from(team_row: ComponentVersion, members: dict[str, ComponentVersion], active: set[str]) -> dict:
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


def team_document(team_id: str) -> dict:
    """A team's published configuration with each member's currently published configuration inline."""
    if not Team.objects.filter(team_id=team_id, is_active=True).exists():
        raise NotServed(f"No active team “{team_id}”.")
    row = _published("team", [team_id]).first()
    if row is None:
        raise NotServed(f"Team “{team_id}” has not been published yet.")
    member_ids = [m["agent_id"] for m in row.config.get("members", [])]
    members = {r.component_id: r for r in _published("agent", member_ids)}
    return _team_document_from(row, members, _active_ids(Agent, "agent_id", member_ids))


def agent_index() -> list[dict]:
    active = _active_ids(Agent, "agent_id")
    return [
        {
            "id": r["component_id"],
            "version": r["version"],
            "published_at": r["published_at"].isoformat(),
            "content_hash": r["content_hash"],
        }
        for r in _published("agent")
        .order_by("component_id")
        .values("component_id", "version", "published_at", "content_hash")
        if r["component_id"] in active
    ]


def team_index() -> list[dict]:
    active = _active_ids(Team, "team_id")
    return [
        {
            "id": r["component_id"],
            "version": r["version"],
            "published_at": r["published_at"].isoformat(),
            "content_hash": r["content_hash"],
        }
        for r in _published("team")
        .order_by("component_id")
        .values("component_id", "version", "published_at", "content_hash")
        if r["component_id"] in active
    ]


def bundle_document(generation: int) -> dict[str, Any]:
    """Every published, active agent and team and the typification tree: one request, one state."""
    from typification.selectors import typification_tree_document

    active_agents = _active_ids(Agent, "agent_id")
    agent_rows = {r.component_id: r for r in _published("agent") if r.component_id in active_agents}
    agents = {aid: agno_documents.agent_document(r.config, _hive_metadata(r)) for aid, r in sorted(agent_rows.items())}
    active_teams = _active_ids(Team, "team_id")
    teams = {
        r.component_id: _team_document_from(r, agent_rows, active_agents)
        for r in sorted(_published("team"), key=lambda r: r.component_id)
        if r.component_id in active_teams
    }
    return {
        "bundle_version": generation,
        "agents": agents,
        "teams": teams,
        "typification": typification_tree_document(),
    }


def snapshot_generation() -> int:
    """The config generation as seen inside the current snapshot."""
    return read_generations().config
