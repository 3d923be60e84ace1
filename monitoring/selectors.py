"""Reads for the monitoring dashboards, and what a logged Agno run says for a test case.

The dashboards read the rollups (``monitoring.rollups``): a period's whole UTC days from the daily rows, the hours
at either end from the hourly rows, so a dashboard's cost grows with the buckets it shows, not with the rows
stored. Counts, sums, means, minimum and maximum are exact; percentiles are estimated from the rollups' histograms
(within 5 %, ``monitoring.histograms``) and labelled so on the pages. Hourly figures are whole hours: a period is
widened to the hours it touches. The rollout guard's short windows read the raw rows (:func:`agent_version_stats`,
exact).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.db.models import Avg, Count, Max, Min, Q, Sum
from django.db.models.functions import Trunc

from monitoring import histograms
from monitoring.aggregates import Percentiles
from monitoring.models import AgentMetric, AgentMetricDaily, AgnoRun, RoutingDecision
from monitoring.rollups import (
    DAY,
    DECISIONS_DAILY,
    DECISIONS_HOURLY,
    HOUR,
    METRICS_DAILY,
    METRICS_HOURLY,
    TYPIFICATIONS_DAILY,
    TYPIFICATIONS_HOURLY,
    Rollup,
    day_of,
    decision_values,
    hour_of,
    metric_values,
)

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

    @property
    def hours(self) -> tuple[datetime, datetime]:
        """The whole hours the period touches: what the rollups' figures cover."""
        end = hour_of(self.end)
        return hour_of(self.start), (end if end == self.end else end + HOUR)


# --- Reading rollups -----------------------------------------------------------------------------------------

_MIN_FIELDS = {"min_ms", "first_at"}
_MAX_FIELDS = {"max_ms", "last_at"}
_HISTOGRAMS = {"latency", "confidence"}


Span = tuple[Rollup, datetime | None, datetime | None]


def _spans(period: Period, hourly: Rollup, daily: Rollup) -> list[Span]:
    """Where a period's figures are: its whole UTC days in the daily rows, the hours at either end hourly."""
    start, end = period.hours
    first_day = day_of(start)
    if first_day < start:
        first_day += DAY
    last_day = day_of(end)
    if first_day >= last_day:
        return [(hourly, start, end)]
    spans = [(daily, first_day, last_day), (hourly, start, first_day), (hourly, last_day, end)]
    return [(rollup, a, b) for rollup, a, b in spans if a < b]


def _merge(into: dict[str, Any], row: dict[str, Any]) -> None:
    for name, value in row.items():
        current = into.get(name)
        if value is None or current is None:
            into[name] = current if value is None else value
        elif name in _HISTOGRAMS:
            into[name] = histograms.add(current, value)
        elif name in _MIN_FIELDS:
            into[name] = min(current, value)
        elif name in _MAX_FIELDS:
            into[name] = max(current, value)
        else:
            into[name] = current + value


def _read(
    spans: list[Span],
    *,
    values: dict[str, Any],
    group: tuple[str, ...] = (),
    filters: Q | None = None,
    granularity: str = "",
    tz: tzinfo | None = None,
) -> list[dict[str, Any]]:
    """Rollup rows summed per ``group`` (and per hour or day of ``tz`` with ``granularity``) across the spans."""
    merged: dict[tuple, dict[str, Any]] = {}
    for rollup, start, end in spans:
        query = rollup.model._default_manager.all()
        if start is not None:
            query = query.filter(bucket__gte=start)
        if end is not None:
            query = query.filter(bucket__lt=end)
        if filters is not None:
            query = query.filter(filters)
        names = list(group)
        if granularity:
            query = query.annotate(series_bucket=Trunc("bucket", granularity, tzinfo=tz))
            names.append("series_bucket")
        found = query.values(*names).annotate(**values).order_by() if names else [query.aggregate(**values)]
        for row in found:
            if not names and row[next(iter(values))] is None:
                continue  # nothing in this span
            key = tuple(row[name] for name in names)
            if key in merged:
                _merge(merged[key], {name: row[name] for name in values})
            else:
                merged[key] = row
    rows = list(merged.values())
    for row in rows:
        if granularity:
            row["bucket"] = row.pop("series_bucket")
    return rows


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    requests = row["requests"] or 0
    latency = row.pop("latency", None)
    p50, p95 = (
        histograms.latency_percentiles(latency, [0.5, 0.95], minimum=row["min_ms"], maximum=row["max_ms"])
        if requests
        else (None, None)
    )
    row["p50_ms"], row["p95_ms"] = p50, p95
    row["success_rate"] = (row["successes"] / requests) if requests else None
    row["avg_ms"] = (row.pop("response_ms_sum") / requests) if requests else None
    row["avg_tokens"] = (row["tokens"] / requests) if requests and row["tokens"] is not None else None
    return row


def _agent(agent_id: str) -> Q:
    return Q(agent_id=agent_id)


def agent_overview(*, period: Period) -> list[dict[str, Any]]:
    """One row per agent with metrics in the period: requests, success rate, p50/p95, tokens. Busiest first."""
    rows = _read(_spans(period, METRICS_HOURLY, METRICS_DAILY), values=metric_values(), group=("agent_id",))
    return sorted((_finish(row) for row in rows), key=lambda row: (-row["requests"], row["agent_id"]))


def agent_series(*, agent_id: str, period: Period) -> list[dict[str, Any]]:
    """The agent's metrics per hour or day of the period (only buckets with data), oldest first."""
    start, end = period.hours
    rows = _read(
        [(METRICS_HOURLY, start, end)],
        values=metric_values(),
        filters=_agent(agent_id),
        granularity=period.granularity,
        tz=period.tz,
    )
    return sorted((_finish(row) for row in rows), key=lambda row: row["bucket"])


def agent_versions(*, agent_id: str) -> list[dict[str, Any]]:
    """The configuration versions the agent's metrics carry, newest first, with when each was seen."""
    rows = (
        AgentMetricDaily.objects.filter(agent_id=agent_id, config_version__gt=0)
        .values("config_version")
        .annotate(requests=Sum("requests"), first_seen=Min("first_at"), last_seen=Max("last_at"))
        .order_by("-config_version")
    )
    return list(rows)


def agent_version_comparison(
    *, agent_id: str, versions: list[int], period: Period | None = None
) -> dict[int, dict[str, Any] | None]:
    """Side-by-side statistics of the agent under each of ``versions`` (all time, or within ``period``)."""
    filters = _agent(agent_id) & Q(config_version__in=versions)
    spans: list[Span] = (
        [(METRICS_DAILY, None, None)] if period is None else _spans(period, METRICS_HOURLY, METRICS_DAILY)
    )
    rows = _read(spans, values=metric_values(), group=("config_version",), filters=filters)
    found = {}
    for row in rows:
        row = _finish(row)
        row["first_seen"], row["last_seen"] = row.pop("first_at"), row.pop("last_at")
        found[row["config_version"]] = row
    return {version: found.get(version) for version in versions}


def agent_version_series(*, agent_id: str, versions: list[int], period: Period) -> list[dict[str, Any]]:
    """Per bucket and version: the before/after picture of a configuration change on one time axis."""
    start, end = period.hours
    rows = _read(
        [(METRICS_HOURLY, start, end)],
        values=metric_values(),
        group=("config_version",),
        filters=_agent(agent_id) & Q(config_version__in=versions),
        granularity=period.granularity,
        tz=period.tz,
    )
    return sorted((_finish(row) for row in rows), key=lambda row: (row["bucket"], row["config_version"]))


def _exact_metric_stats() -> dict[str, Any]:
    """Exact aggregates over raw metric rows (covered columns only: index-only scans; one sort for both
    percentiles)."""
    return {
        "requests": Count("*"),
        "successes": Count("success", filter=Q(success=True)),
        "percentiles": Percentiles("response_time_ms", [0.5, 0.95]),
        "avg_ms": Avg("response_time_ms"),
        "tokens": Sum("tokens_used"),
    }


def agent_version_stats(*, agent_id: str, versions: list[int], period: Period) -> dict[int, dict[str, Any] | None]:
    """Exact statistics of the agent under each of ``versions`` within ``period``, from the raw rows: the
    rollout guard's windows are minutes long, shorter than a rollup's hour."""
    rows = (
        AgentMetric.objects.filter(
            agent_id=agent_id,
            config_version__in=versions,
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        .values("config_version")
        .annotate(**_exact_metric_stats(), first_seen=Min("created_at"), last_seen=Max("created_at"))
        .order_by("config_version")
    )
    found = {}
    for row in rows:
        row = dict(row)
        row["p50_ms"], row["p95_ms"] = row.pop("percentiles") or (None, None)
        requests = row["requests"] or 0
        row["success_rate"] = (row["successes"] / requests) if requests else None
        row["avg_tokens"] = (row["tokens"] / requests) if requests and row["tokens"] is not None else None
        found[row["config_version"]] = row
    return {version: found.get(version) for version in versions}


# --- Routing -------------------------------------------------------------------------------------


def _check_threshold(threshold: float) -> None:
    if not histograms.is_confidence_step(threshold):
        raise ValueError("the confidence threshold must be a multiple of 0.01 between 0 and 1")


def _finish_decisions(row: dict[str, Any], threshold: float) -> dict[str, Any]:
    counts = row.pop("confidence", None)
    confidence_count, confidence_sum = row.pop("confidence_count") or 0, row.pop("confidence_sum") or 0.0
    row["avg_confidence"] = (confidence_sum / confidence_count) if confidence_count else None
    row["low_confidence"] = histograms.count_below(counts, threshold)
    row["no_confidence"] = (row["decisions"] or 0) - confidence_count
    row["_histogram"] = counts
    return row


def routing_by_destination(*, period: Period, threshold: float) -> list[dict[str, Any]]:
    """Decisions per destination (agent or team) in the period, most frequent first."""
    _check_threshold(threshold)
    rows = _read(_spans(period, DECISIONS_HOURLY, DECISIONS_DAILY), values=decision_values(), group=("routed_to",))
    rows = [_finish_decisions(row, threshold) for row in rows]
    for row in rows:
        del row["_histogram"]
    return sorted(rows, key=lambda row: (-row["decisions"], row["routed_to"]))


def routing_series(*, period: Period, threshold: float) -> list[dict[str, Any]]:
    """Decisions per hour or day, with how many were below the confidence threshold."""
    _check_threshold(threshold)
    start, end = period.hours
    rows = _read(
        [(DECISIONS_HOURLY, start, end)], values=decision_values(), granularity=period.granularity, tz=period.tz
    )
    rows = [_finish_decisions(row, threshold) for row in rows]
    for row in rows:
        del row["_histogram"]
    return sorted(rows, key=lambda row: row["bucket"])


def routing_low_confidence(*, period: Period, threshold: float, limit: int = 100) -> list[RoutingDecision]:
    """The newest decisions of the period whose confidence is below ``threshold`` (the raw rows, newest first:
    the scan stops after ``limit``)."""
    return list(
        RoutingDecision.objects.filter(
            created_at__gte=period.start, created_at__lt=period.end, confidence_score__lt=threshold
        )
        .only("id", "session_id", "query", "routed_to", "confidence_score", "typification_result", "created_at")
        .order_by("-created_at", "-id")[:limit]
    )


def routing_by_typification(*, period: Period, threshold: float, limit: int = 50) -> list[dict[str, Any]]:
    """Decisions per business unit and typification path (from ``typification_result``), most frequent first."""
    _check_threshold(threshold)
    rows = _read(
        _spans(period, TYPIFICATIONS_HOURLY, TYPIFICATIONS_DAILY),
        values=decision_values(),
        group=("business_unit", "path", "routed_to"),
    )
    by_path: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row.pop("business_unit"), row.pop("path"))
        destination = row.pop("routed_to")
        if key in by_path:
            _merge(by_path[key], {name: row[name] for name in decision_values()})
            by_path[key]["_destinations"].add(destination)
        else:
            by_path[key] = {**row, "_destinations": {destination}}
    result = []
    for (unit, path_json), row in by_path.items():
        row = _finish_decisions(row, threshold)
        del row["_histogram"]
        row["destinations"] = len(row.pop("_destinations"))
        row["unit"] = unit or None
        try:
            path = json.loads(path_json) if path_json else []
        except ValueError:
            path = []
        row["path"] = path if isinstance(path, list) else []
        result.append(((-row["decisions"], unit == "", unit, path_json), row))
    result.sort(key=lambda item: item[0])
    return [row for _, row in result[:limit]]


def routing_totals(*, period: Period, threshold: float) -> dict[str, Any]:
    _check_threshold(threshold)
    rows = _read(_spans(period, DECISIONS_HOURLY, DECISIONS_DAILY), values=decision_values())
    row = rows[0] if rows and rows[0]["decisions"] else {"decisions": 0, "confidence_count": 0, "confidence_sum": 0}
    row = _finish_decisions(row, threshold)
    counts = row.pop("_histogram")
    row["p50_confidence"] = histograms.confidence_percentile(counts, 0.5)
    return row


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
