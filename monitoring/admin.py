"""Monitoring in the admin: read-only metric lists, the dashboards (extra pages of the metric and
routing-decision admins) and read-only views of Agno's own tables.

Metrics and routing decisions are the runtime's records: nobody adds or edits them here (pruning is
``manage.py prune_metrics``). Agno's tables are never written: no add, change or delete permission,
no actions, and models whose ``save``/``delete`` refuse.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_timezone

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from common.db_schema import table_exists
from monitoring.charts import bucket_label, chart, dataset, series_charts
from monitoring.forms import AgentPeriodForm, CompareForm, RoutingPeriodForm
from monitoring.models import AgentMetric, AgnoMemory, AgnoRun, AgnoSession, IngestionBatch, RoutingDecision
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


class RecordsAdmin(admin.ModelAdmin):
    """View-only: the rows are the runtime's records."""

    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _page(self, request, template: str, title: str, **context) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return TemplateResponse(
            request,
            template,
            {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **context},
        )

    def _url(self, name: str) -> str:
        return f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}"


@admin.register(AgentMetric)
class AgentMetricAdmin(RecordsAdmin):
    list_display = ("created_at", "agent_id", "config_version", "response_time_ms", "tokens_used", "success", "session_id")
    list_filter = ("success",)
    search_fields = ("=agent_id", "=session_id")
    ordering = ("-created_at",)
    change_list_template = "admin/monitoring/agentmetric/change_list.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="%s_%s_dashboard" % info),
            path("compare/", self.admin_site.admin_view(self.compare_view), name="%s_%s_compare" % info),
        ] + super().get_urls()

    def dashboard_view(self, request):
        """All agents over a period, and one agent's time series."""
        form = AgentPeriodForm(request.GET or None)
        period = form.period()
        overview = agent_overview(period=period)
        agent_id = (form.cleaned_data.get("agent") if form.is_valid() else "") or (
            overview[0]["agent_id"] if overview else ""
        )
        series = agent_series(agent_id=agent_id, period=period) if agent_id else []
        charts = series_charts(series, period.granularity) if series else {}
        if overview:
            labels = [row["agent_id"] for row in overview]
            charts["agents"] = chart(
                type="bar",
                labels=labels,
                title="Requests per agent",
                datasets=[dataset("requests", [row["requests"] for row in overview], 0, kind="bar")],
            )
            charts["agents_latency"] = chart(
                type="bar",
                labels=labels,
                title="p50 / p95 response time per agent",
                format="ms",
                datasets=[
                    dataset("p50", [row["p50_ms"] for row in overview], 0, kind="bar"),
                    dataset("p95", [row["p95_ms"] for row in overview], 1, kind="bar"),
                ],
            )
        versions = agent_versions(agent_id=agent_id) if agent_id else []
        compare_url = None
        if len(versions) >= 2:
            compare_url = reverse(self._url("compare")) + "?" + urlencode(
                {"agent": agent_id, "a": versions[1]["config_version"], "b": versions[0]["config_version"]}
            )
        return self._page(
            request,
            "admin/monitoring/agent_dashboard.html",
            "Agent dashboard",
            form=form,
            period=period,
            overview=overview,
            agent_id=agent_id,
            series=series,
            charts=charts,
            versions=versions,
            compare_url=compare_url,
            agno_url=agno_sessions_url(agent_id=agent_id) if agent_id else None,
        )

    def compare_view(self, request):
        """One agent under two configuration versions, side by side."""
        form = CompareForm(request.GET or None)
        agent_id = request.GET.get("agent", "")
        versions = agent_versions(agent_id=agent_id) if agent_id else []
        context: dict = {"form": form, "versions": versions, "agent_id": agent_id}
        if form.is_valid():
            agent_id = form.cleaned_data["agent"]
            a, b = form.cleaned_data["a"], form.cleaned_data["b"]
            stats = agent_version_comparison(agent_id=agent_id, versions=[a, b])
            context.update(comparison=_comparison_rows(stats[a], stats[b]), a=a, b=b, stats=stats)
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
        return self._page(request, "admin/monitoring/compare.html", "Compare configuration versions", **context)


def _version_labels(agent_id: str, versions: list[int]) -> dict[int, dict]:
    """The published versions' change notes and dates, when the versioning app has them."""
    from versioning.models import ComponentVersion

    rows = ComponentVersion.objects.filter(component_type="agent", component_id=agent_id, version__in=versions).only(
        "version", "change_note", "published_at", "status"
    )
    return {row.version: {"note": row.change_note, "published_at": row.published_at, "status": row.status} for row in rows}


COMPARED = [
    ("requests", "Requests", "number", None),
    ("success_rate", "Success rate", "percent", "higher"),
    ("p50_ms", "p50 response time", "ms", "lower"),
    ("p95_ms", "p95 response time", "ms", "lower"),
    ("avg_ms", "Mean response time", "ms", "lower"),
    ("avg_tokens", "Tokens per request", "number", "lower"),
    ("tokens", "Tokens in total", "number", None),
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
        rows.append({"key": key, "label": label, "kind": kind, "a": va, "b": vb, "delta": delta, "relative": relative, "verdict": verdict})
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
    for key, title, fmt in (("p95_ms", "p95 response time", "ms"), ("p50_ms", "p50 response time", "ms"), ("success_rate", "Success rate", "percent"), ("requests", "Requests", "number")):
        charts[key] = chart(
            type="line",
            labels=labels,
            title=title,
            format=fmt,
            datasets=[dataset(f"v{v}", values(v, key), i) for i, v in enumerate(versions)],
        )
    return charts


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(RecordsAdmin):
    list_display = ("created_at", "routed_to", "confidence_score", "short_query", "business_unit", "config_version", "session_id")
    search_fields = ("=routed_to", "=session_id")
    ordering = ("-created_at",)
    change_list_template = "admin/monitoring/routingdecision/change_list.html"

    @admin.display(description="query")
    def short_query(self, obj):
        return obj.query if len(obj.query) <= 80 else obj.query[:79] + "…"

    @admin.display(description="business unit")
    def business_unit(self, obj):
        return (obj.typification_result or {}).get("business_unit", "")

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="%s_%s_dashboard" % info),
        ] + super().get_urls()

    def dashboard_view(self, request):
        form = RoutingPeriodForm(request.GET or None)
        period = form.period()
        threshold = form.threshold_value()
        destinations = routing_by_destination(period=period, threshold=threshold)
        series = routing_series(period=period, threshold=threshold)
        charts = {}
        if destinations:
            charts["destinations"] = chart(
                type="bar",
                labels=[d["routed_to"] for d in destinations],
                title="Decisions per destination",
                stacked=True,
                datasets=[
                    dataset(f"confidence ≥ {threshold:g} or none", [d["decisions"] - d["low_confidence"] for d in destinations], 0, kind="bar"),
                    dataset(f"confidence < {threshold:g}", [d["low_confidence"] for d in destinations], 1, kind="bar"),
                ],
            )
        if series:
            labels = [bucket_label(s["bucket"], period.granularity) for s in series]
            charts["series"] = chart(
                type="bar",
                labels=labels,
                title="Decisions over time",
                stacked=True,
                datasets=[
                    dataset("confident", [s["decisions"] - s["low_confidence"] for s in series], 0, kind="bar"),
                    dataset("low confidence", [s["low_confidence"] for s in series], 1, kind="bar"),
                ],
            )
            charts["confidence"] = chart(
                type="line",
                labels=labels,
                title="Mean confidence",
                format="percent",
                datasets=[dataset("mean confidence", [s["avg_confidence"] for s in series], 2)],
            )
        return self._page(
            request,
            "admin/monitoring/routing_dashboard.html",
            "Routing dashboard",
            form=form,
            period=period,
            threshold=threshold,
            totals=routing_totals(period=period, threshold=threshold),
            destinations=destinations,
            typifications=routing_by_typification(period=period, threshold=threshold),
            low_confidence=routing_low_confidence(period=period, threshold=threshold),
            charts=charts,
        )


@admin.register(IngestionBatch)
class IngestionBatchAdmin(RecordsAdmin):
    list_display = ("created_at", "kind", "idempotency_key", "record_count", "api_key_name")
    list_filter = ("kind",)
    search_fields = ("=idempotency_key",)
    ordering = ("-created_at",)


# --- Agno's tables (read-only) ---------------------------------------------------------------------


def unix_time(value: int | None) -> datetime | None:
    if value is None:
        return None
    return timezone.localtime(datetime.fromtimestamp(value, tz=dt_timezone.utc))


def agno_sessions_url(*, agent_id: str | None = None, team_id: str | None = None) -> str:
    """The Agno session list filtered to one agent or team (for links from agent and team pages)."""
    url = reverse("admin:monitoring_agnosession_changelist")
    if agent_id:
        return f"{url}?{urlencode({'agent_id': agent_id})}"
    if team_id:
        return f"{url}?{urlencode({'team_id': team_id})}"
    return url


class AgnoReadOnlyAdmin(admin.ModelAdmin):
    """Lists a table of Agno's schema when it exists, says so when it does not; never writes."""

    agno_table = ""
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}

    def _missing(self, request):
        return TemplateResponse(
            request,
            "admin/monitoring/agno_missing.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": self.model._meta.verbose_name_plural.capitalize(),
                "table": self.agno_table,
            },
        )

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not table_exists(self.agno_table):
            return self._missing(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not table_exists(self.agno_table):
            return self._missing(request)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return unix_time(obj.created_at)

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, obj):
        return unix_time(obj.updated_at)

    @admin.display(description="agent or team")
    def owner(self, obj):
        if obj.agent_id:
            return format_html("agent <code>{}</code>", obj.agent_id)
        if obj.team_id:
            return format_html("team <code>{}</code>", obj.team_id)
        workflow = getattr(obj, "workflow_id", None)
        return format_html("workflow <code>{}</code>", workflow) if workflow else "—"


@admin.register(AgnoSession)
class AgnoSessionAdmin(AgnoReadOnlyAdmin):
    agno_table = "agno.agno_sessions"
    list_display = ("session_id", "session_type", "owner", "user_id", "created", "run_count")
    list_filter = ("session_type",)
    search_fields = ("=session_id", "=user_id", "=agent_id", "=team_id")
    ordering = ("-created_at",)
    readonly_fields = ("created", "updated", "runs_link")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if table_exists(AgnoRunAdmin.agno_table):
            runs = (
                AgnoRun.objects.filter(session=OuterRef("pk"))
                .order_by()
                .values("session")
                .annotate(n=Count("*"))
                .values("n")
            )
            queryset = queryset.annotate(run_count=Coalesce(Subquery(runs, output_field=IntegerField()), 0))
        return queryset

    @admin.display(description="runs")
    def run_count(self, obj):
        count = getattr(obj, "run_count", None)
        if count is None:
            return "—"
        url = reverse("admin:monitoring_agnorun_changelist") + "?" + urlencode({"session": obj.pk})
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.display(description="runs")
    def runs_link(self, obj):
        return self.run_count(obj)


@admin.register(AgnoRun)
class AgnoRunAdmin(AgnoReadOnlyAdmin):
    agno_table = "agno.agno_runs"
    list_display = ("run_id", "session_link", "run_type", "owner", "status", "user_id", "created")
    list_filter = ("status", "run_type")
    search_fields = ("=run_id", "=session__session_id", "=agent_id", "=team_id", "=user_id")
    ordering = ("-created_at",)
    readonly_fields = ("created", "updated")

    @admin.display(description="session", ordering="session")
    def session_link(self, obj):
        url = reverse("admin:monitoring_agnosession_change", args=[obj.session_id])
        return format_html('<a href="{}">{}</a>', url, obj.session_id)


@admin.register(AgnoMemory)
class AgnoMemoryAdmin(AgnoReadOnlyAdmin):
    agno_table = "agno.agno_memories"
    list_display = ("memory_id", "user_id", "owner", "summary", "topic_list", "updated")
    search_fields = ("=memory_id", "=user_id", "=agent_id", "=team_id")
    ordering = ("-updated_at",)
    readonly_fields = ("created", "updated")

    @admin.display(description="memory")
    def summary(self, obj):
        memory = obj.memory
        if isinstance(memory, dict):
            memory = memory.get("memory") or memory
        text = str(memory or "")
        return text if len(text) <= 100 else text[:99] + "…"

    @admin.display(description="topics")
    def topic_list(self, obj):
        return ", ".join(str(t) for t in obj.topics) if isinstance(obj.topics, list) else ""

