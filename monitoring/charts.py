"""Chart configurations for the dashboards, built from selector rows (drawn by static/monitoring/dashboard.js)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]


def bucket_label(value: datetime, granularity: str) -> str:
    return value.strftime("%Y-%m-%d %H:00" if granularity == "hour" else "%Y-%m-%d")


def dataset(label: str, values: list, index: int, *, kind: str = "line", dashed: bool = False) -> dict[str, Any]:
    color = PALETTE[index % len(PALETTE)]
    data: dict[str, Any] = {
        "label": label,
        "data": values,
        "borderColor": color,
        "backgroundColor": color + ("33" if kind == "line" else "cc"),
        "borderWidth": 2,
        "pointRadius": 0 if kind == "line" else None,
    }
    if dashed:
        data["borderDash"] = [6, 4]
    return {k: v for k, v in data.items() if v is not None}


def chart(
    *,
    type: str,
    labels: list[str],
    datasets: list[dict],
    title: str = "",
    format: str = "number",
    stacked: bool = False,
) -> dict[str, Any]:
    return {"type": type, "labels": labels, "datasets": datasets, "title": title, "format": format, "stacked": stacked}


def series_charts(rows: list[dict], granularity: str) -> dict[str, dict]:
    """Requests, success rate, p50/p95 and tokens over time for one agent."""
    labels = [bucket_label(row["bucket"], granularity) for row in rows]
    return {
        "requests": chart(
            type="bar", labels=labels, title=_("Requests"),
            datasets=[dataset(_("requests"), [r["requests"] for r in rows], 0, kind="bar")],
        ),
        "success": chart(
            type="line", labels=labels, title=_("Success rate"), format="percent",
            datasets=[dataset(_("success rate"), [r["success_rate"] for r in rows], 2)],
        ),
        "latency": chart(
            type="line", labels=labels, title=_("Response time, p50 / p95 (≈ estimated)"), format="ms",
            datasets=[
                dataset("p50", [r["p50_ms"] for r in rows], 0),
                dataset("p95", [r["p95_ms"] for r in rows], 1),
            ],
        ),
        "tokens": chart(
            type="bar", labels=labels, title=_("Tokens"),
            datasets=[dataset(_("tokens"), [r["tokens"] for r in rows], 4, kind="bar")],
        ),
    }  # fmt: skip
