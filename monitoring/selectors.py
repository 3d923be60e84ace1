"""Reads for the monitoring dashboards, and what a logged Agno run says for a test case.

Every dashboard number is aggregated by the database in one query per table or chart (``percentile_cont`` for
percentiles); Python only reshapes the grouped rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.db.models import Avg, Count, F, FloatField, Max, Min, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Trunc

from monitoring.aggregates import PercentileCont, Percentiles
from monitoring.models import AgentMetric, AgnoRun, RoutingDecision

GRANULARITIES = ("hour", "day")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    granularity: str  # "hour" or "day"
    tz: tzinfo

    def __post_init__(self):
        if self.granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}")
        if self.end <= self.start:
            raise ValueError("the period must end after it starts")


def _metric_stats() -> dict[str, Any]:
    """The aggregate columns every metric table and chart shows. Only covered columns (see the model's
    indexes) and ``COUNT(*)``, so PostgreSQL can answer from the index alone; both percentiles come
    from one sort."""
    return {
        "requests": Count("*"),
        "successes": Count("success", filter=Q(success=True)),  # a covered, non-null column
        "percentiles": Percentiles("response_time_ms", [0.5, 0.95]),
        "avg_ms": Avg("response_time_ms"),
        "tokens": Sum("tokens_used"),
    }


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    row["p50_ms"], row["p95_ms"] = row.pop("percentiles") or (None, None)
    requests = row["requests"] or 0
    row["success_rate"] = (row["successes"] / requests) if requests else None
    row["avg_tokens"] = (row["tokens"] / requests) if requests and row["tokens"] is not None else None
    return row


def _in_period(period: Period) -> Q:
    return Q(created_at__gte=period.start, created_at__lt=period.end)


def agent_overview(*, period: Period) -> list[dict[str, Any]]:
    """One row per agent with metrics in the period: requests, success rate, p50/p95, tokens. Busiest first."""
    rows = (
        AgentMetric.objects.filter(_in_period(period))
        .values("agent_id")
        .annotate(**_metric_stats())
        .order_by("-requests", "agent_id")
    )
    return [_finish(dict(row)) for row in rows]


def agent_series(*, agent_id: str, period: Period) -> list[dict[str, Any]]:
    """The agent's metrics per hour or day of the period (only buckets with data), oldest first."""
    rows = (
        AgentMetric.objects.filter(_in_period(period), agent_id=agent_id)
        .annotate(bucket=Trunc("created_at", period.granularity, tzinfo=period.tz))
        .values("bucket")
        .annotate(**_metric_stats())
        .order_by("bucket")
    )
    return [_finish(dict(row)) for row in rows]


def agent_versions(*, agent_id: str) -> list[dict[str, Any]]:
    """The configuration versions the agent's metrics carry, newest first, with when each was seen."""
    rows = (
        AgentMetric.objects.filter(agent_id=agent_id, config_version__isnull=False)
        .values("config_version")
        .annotate(requests=Count("*"), first_seen=Min("created_at"), last_seen=Max("created_at"))
        .order_by("-config_version")
    )
    return list(rows)


def agent_version_comparison(
    *, agent_id: str, versions: list[int], period: Period | None = None
) -> dict[int, dict[str, Any] | None]:
    """Side-by-side statistics of the agent under each of ``versions`` (all time, or within ``period``)."""
    query = AgentMetric.objects.filter(agent_id=agent_id, config_version__in=versions)
    if period is not None:
        query = query.filter(_in_period(period))
    rows = (
        query.values("config_version")
        .annotate(**_metric_stats(), first_seen=Min("created_at"), last_seen=Max("created_at"))
        .order_by("config_version")
    )
    found = {row["config_version"]: _finish(dict(row)) for row in rows}
    return {version: found.get(version) for version in versions}


def agent_version_series(*, agent_id: str, versions: list[int], period: Period) -> list[dict[str, Any]]:
    """Per bucket and version: the before/after picture of a configuration change on one time axis."""
    rows = (
        AgentMetric.objects.filter(_in_period(period), agent_id=agent_id, config_version__in=versions)
        .annotate(bucket=Trunc("created_at", period.granularity, tzinfo=period.tz))
        .values("bucket", "config_version")
        .annotate(**_metric_stats())
        .order_by("bucket", "config_version")
    )
    return [_finish(dict(row)) for row in rows]


# --- Routing -------------------------------------------------------------------------------------


def _confidence_stats(threshold: float) -> dict[str, Any]:
    return {
        "decisions": Count("*"),
        "avg_confidence": Avg("confidence_score"),
        "low_confidence": Count("confidence_score", filter=Q(confidence_score__lt=threshold)),
        # created_at: covered and never null, so this counts rows without reading the table
        "no_confidence": Count("created_at", filter=Q(confidence_score__isnull=True)),
    }


def routing_by_destination(*, period: Period, threshold: float) -> list[dict[str, Any]]:
    """Decisions per destination (agent or team) in the period, most frequent first."""
    rows = (
        RoutingDecision.objects.filter(_in_period(period))
        .values("routed_to")
        .annotate(**_confidence_stats(threshold))
        .order_by("-decisions", "routed_to")
    )
    return list(rows)


def routing_series(*, period: Period, threshold: float) -> list[dict[str, Any]]:
    """Decisions per hour or day, with how many were below the confidence threshold."""
    rows = (
        RoutingDecision.objects.filter(_in_period(period))
        .annotate(bucket=Trunc("created_at", period.granularity, tzinfo=period.tz))
        .values("bucket")
        .annotate(**_confidence_stats(threshold))
        .order_by("bucket")
    )
    return list(rows)


def routing_low_confidence(*, period: Period, threshold: float, limit: int = 100) -> list[RoutingDecision]:
    """The newest decisions of the period whose confidence is below ``threshold``."""
    return list(
        RoutingDecision.objects.filter(_in_period(period), confidence_score__lt=threshold)
        .only("id", "session_id", "query", "routed_to", "confidence_score", "typification_result", "created_at")
        .order_by("-created_at", "-id")[:limit]
    )


def routing_by_typification(*, period: Period, threshold: float, limit: int = 50) -> list[dict[str, Any]]:
    """Decisions per business unit and typification path (from ``typification_result``), most frequent first.

    The path is grouped as the JSON text the database stores, and decoded for display afterwards.
    """
    rows = (
        RoutingDecision.objects.filter(_in_period(period))
        .annotate(
            unit=KeyTextTransform("business_unit", "typification_result"),
            path_json=KeyTextTransform("path", "typification_result"),
        )
        .values("unit", "path_json")
        .annotate(**_confidence_stats(threshold), destinations=Count("routed_to", distinct=True))
        .order_by("-decisions", F("unit").asc(nulls_last=True), "path_json")[:limit]
    )
    result = []
    for row in rows:
        row = dict(row)
        try:
            path = json.loads(row.pop("path_json")) if row.get("path_json") else []
        except (TypeError, ValueError):
            path = []
        row["path"] = path if isinstance(path, list) else []
        result.append(row)
    return result


def routing_totals(*, period: Period, threshold: float) -> dict[str, Any]:
    return RoutingDecision.objects.filter(_in_period(period)).aggregate(
        **_confidence_stats(threshold),
        p50_confidence=PercentileCont(Cast("confidence_score", FloatField()), 0.5),
    )


# --- Agno runs as test cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class RunCase:
    """What a stored Agno run gives a test case: the component that ran, the customer's message (and the
    conversation before it when the run was given one), and, for a team, the member that answered."""

    component_type: str  # "agent" or "team"; "" when the run was neither's (a workflow's)
    component_id: str
    message: str
    context: list[dict]
    expected_member: str
    source: str


CONTEXT_ROLES = ("user", "assistant")


def _message_of(item: Any) -> tuple[str, str] | None:
    """(role, text) of one input item: a text, or a message as Agno's ``Message.to_dict()`` writes it."""
    if isinstance(item, str):
        return "user", item
    if isinstance(item, dict) and isinstance(item.get("content"), str):
        return str(item.get("role") or "user"), item["content"]
    return None


def _input_of(run_data: dict) -> tuple[str, list[dict]]:
    """The run's input (Agno's ``RunInput.to_dict()``: ``{"input_content": …}``) as the message and the
    earlier messages. A list of messages ends with the customer's; a structured input is kept as its JSON."""
    run_input = run_data.get("input")
    content = run_input.get("input_content") if isinstance(run_input, dict) else None
    if isinstance(content, str):
        return content, []
    if isinstance(content, list):
        items = [m for m in map(_message_of, content) if m is not None and m[0] in CONTEXT_ROLES]
        last_user = max((i for i, (role, _) in enumerate(items) if role == "user"), default=None)
        if last_user is None:
            return "", []
        context = [{"role": role, "content": text} for role, text in items[:last_user]]
        return items[last_user][1], context
    if isinstance(content, dict):
        message = _message_of(content)
        if message is not None and "role" in content:
            return message[1], []
        return json.dumps(content, ensure_ascii=False), []
    return "", []


def _answering_member(run: AgnoRun, run_data: dict) -> str:
    """The member agent a team run handed to: its first member response. Agno 3 embeds member responses in
    the team's run only with ``store_member_responses``; it always writes each member run as a row of its
    own whose ``parent_run_id`` is the team run, so those rows are read when the run data has none."""
    for response in run_data.get("member_responses") or []:
        if isinstance(response, dict) and (response.get("agent_id") or response.get("team_id")):
            return response.get("agent_id") or ""  # a nested team is not a member agent: route unchecked
    child = (
        AgnoRun.objects.filter(parent_run_id=run.run_id)
        .order_by("run_index", "created_at")
        .values_list("agent_id", "team_id")
        .first()
    )
    return (child[0] or "") if child else ""


def agno_run_case(run: AgnoRun) -> RunCase:
    """The test case a stored Agno run suggests (read only: Agno's tables are never written)."""
    run_data = run.run_data if isinstance(run.run_data, dict) else {}
    message, context = _input_of(run_data)
    if run.team_id:
        component_type, component_id = "team", run.team_id
        expected_member = _answering_member(run, run_data)
    else:
        component_type, component_id, expected_member = ("agent", run.agent_id, "") if run.agent_id else ("", "", "")
    return RunCase(
        component_type=component_type,
        component_id=component_id,
        message=message,
        context=context,
        expected_member=expected_member,
        source=f"Agno run {run.run_id}",
    )
