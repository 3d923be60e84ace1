"""What the monitoring dashboards show: selector rows turned into tables and chart configurations (drawn by
static/monitoring/dashboard.js). The admin pages that render them are ``monitoring.admin``; the chart
primitives are ``monitoring.charts``."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from monitoring.charts import bucket_label, chart, dataset, series_charts
from monitoring.selectors import (
    Period,
    agent_overview,
    agent_series,
    agent_version_comparison,
    agent_version_series,
    agent_versions,
    routing_by_destination,
    routing_by_typification,
    routing_low_confidence,
    routing_series,
    routing_totals,
)


def agent_dashboard(*, period: Period, agent_id: str = "") -> dict:
    """All agents over ``period``, and one agent's time series (``agent_id``, else the busiest agent)."""
    overview = agent_overview(period=period)
    agent_id = agent_id or (overview[0]["agent_id"] if overview else "")
    series = agent_series(agent_id=agent_id, period=period) if agent_id else []
    charts = series_charts(series, period.granularity) if series else {}
    if overview:
        labels = [row["agent_id"] for row in overview]
        charts["agents"] = chart(
            type="bar",
            labels=labels,
            title=_("Requests per agent"),
            datasets=[dataset(_("requests"), [row["requests"] for row in overview], 0, kind="bar")],
        )
        charts["agents_latency"] = chart(
            type="bar",
            labels=labels,
            title=_("p50 / p95 response time per agent (≈ estimated)"),
            format="ms",
            datasets=[
                dataset("p50", [row["p50_ms"] for row in overview], 0, kind="bar"),
                dataset("p95", [row["p95_ms"] for row in overview], 1, kind="bar"),
            ],
        )
    versions = agent_versions(agent_id=agent_id) if agent_id else []
    return {"overview": overview, "agent_id": agent_id, "series": series, "charts": charts, "versions": versions}


def version_comparison(*, agent_id: str, a: int, b: int) -> dict:
    """One agent under configuration versions ``a`` and ``b``: figures side by side, and their time series."""
    stats = agent_version_comparison(agent_id=agent_id, versions=[a, b])
    context: dict = {"comparison": _comparison_rows(stats[a], stats[b]), "a": a, "b": b, "stats": stats}
    context["labels"] = _version_labels(agent_id, [a, b])
    seen = [s for s in stats.values() if s]
    if seen:
        start = min(s["first_seen"] for s in seen)
        end = max(s["last_seen"] for s in seen)
        span = end - start
        granularity = "hour" if span.total_seconds() <= 3 * 86400 else "day"
        step = timedelta(hours=1) if granularity == "hour" else timedelta(days=1)
        period = Period(start=start, end=end + step, granularity=granularity, tz=timezone.get_current_timezone())
        context["charts"] = _version_charts(
            agent_version_series(agent_id=agent_id, versions=[a, b], period=period), [a, b], granularity
        )
    return context


def _version_labels(agent_id: str, versions: list[int]) -> dict[int, dict]:
    """The published versions' change notes and dates, when the versioning app has them."""
    from versioning.models import ComponentVersion

    rows = ComponentVersion.objects.filter(component_type="agent", component_id=agent_id, version__in=versions).only(
        "version", "change_note", "published_at", "status"
    )
    return {
        row.version: {"note": row.change_note, "published_at": row.published_at, "status": row.status} for row in rows
    }


COMPARED = [
    ("requests", gettext_noop("Requests"), "number", None),
    ("success_rate", gettext_noop("Success rate"), "percent", "higher"),
    ("p50_ms", gettext_noop("≈ p50 response time"), "ms", "lower"),
    ("p95_ms", gettext_noop("≈ p95 response time"), "ms", "lower"),
    ("avg_ms", gettext_noop("Mean response time"), "ms", "lower"),
    ("avg_tokens", gettext_noop("Tokens per request"), "number", "lower"),
    ("tokens", gettext_noop("Tokens in total"), "number", None),
]


def _comparison_rows(a: dict | None, b: dict | None) -> list[dict]:
    rows = []
    for key, label, kind, better in COMPARED:
        va = a.get(key) if a else None
        vb = b.get(key) if b else None
        delta = (vb - va) if va is not None and vb is not None else None
        relative = (delta / va) if delta is not None and va else None
        verdict = ""
        if better and delta:
            verdict = "better" if (delta > 0) == (better == "higher") else "worse"
        rows.append(
            {
                "key": key,
                "label": _(label),
                "kind": kind,
                "a": va,
                "b": vb,
                "delta": delta,
                "relative": relative,
                "verdict": verdict,
            }
        )
    return rows


def _version_charts(rows: list[dict], versions: list[int], granularity: str) -> dict:
    labels = sorted({bucket_label(r["bucket"], granularity) for r in rows})
    position = {label: i for i, label in enumerate(labels)}

    def values(version: int, key: str) -> list:
        data = [None] * len(labels)
        for row in rows:
            if row["config_version"] == version:
                data[position[bucket_label(row["bucket"], granularity)]] = row[key]
        return data

    charts = {}
    for key, title, fmt in (
        ("p95_ms", _("≈ p95 response time"), "ms"),
        ("p50_ms", _("≈ p50 response time"), "ms"),
        ("success_rate", _("Success rate"), "percent"),
        ("requests", _("Requests"), "number"),
    ):
        charts[key] = chart(
            type="line",
            labels=labels,
            title=title,
            format=fmt,
            datasets=[dataset(f"v{v}", values(v, key), i) for i, v in enumerate(versions)],
        )
    return charts


def routing_dashboard(*, period: Period, threshold: float) -> dict:
    """Where requests were routed over ``period``, and how many below the confidence ``threshold``."""
    destinations = routing_by_destination(period=period, threshold=threshold)
    series = routing_series(period=period, threshold=threshold)
    charts = {}
    if destinations:
        charts["destinations"] = chart(
            type="bar",
            labels=[d["routed_to"] for d in destinations],
            title=_("Decisions per destination"),
            stacked=True,
            datasets=[
                dataset(
                    _("confidence ≥ %(threshold)s or none") % {"threshold": f"{threshold:g}"},
                    [d["decisions"] - d["low_confidence"] for d in destinations],
                    0,
                    kind="bar",
                ),
                dataset(
                    _("confidence < %(threshold)s") % {"threshold": f"{threshold:g}"},
                    [d["low_confidence"] for d in destinations],
                    1,
                    kind="bar",
                ),
            ],
        )
    if series:
        labels = [bucket_label(s["bucket"], period.granularity) for s in series]
        charts["series"] = chart(
            type="bar",
            labels=labels,
            title=_("Decisions over time"),
            stacked=True,
            datasets=[
                dataset(_("confident"), [s["decisions"] - s["low_confidence"] for s in series], 0, kind="bar"),
                dataset(_("low confidence"), [s["low_confidence"] for s in series], 1, kind="bar"),
            ],
        )
        charts["confidence"] = chart(
            type="line",
            labels=labels,
            title=_("Mean confidence"),
            format="percent",
            datasets=[dataset(_("mean confidence"), [s["avg_confidence"] for s in series], 2)],
        )
    return {
        "totals": routing_totals(period=period, threshold=threshold),
        "destinations": destinations,
        "typifications": routing_by_typification(period=period, threshold=threshold),
        "low_confidence": routing_low_confidence(period=period, threshold=threshold),
        "charts": charts,
    }
