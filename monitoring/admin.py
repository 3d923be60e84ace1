"""Monitoring in the admin: read-only lists of the runtime's records (metrics, routing decisions, ingestion
batches) and the dashboards, as extra pages of the metric and routing-decision admins.

Metrics and routing decisions are the runtime's records: nobody adds or edits them here (pruning is
``manage.py prune_metrics``). What the dashboards show is built in ``monitoring.dashboards``; Agno's own
tables have read-only admins in ``monitoring.agno_admin``, registered by importing it here.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode

from common.admin import ReadOnlyAdmin, page_context
from monitoring import agno_admin  # noqa: F401  (registers the read-only admins of Agno's tables)
from monitoring.agno_admin import agno_sessions_url
from monitoring.dashboards import agent_dashboard, routing_dashboard, version_comparison
from monitoring.forms import AgentPeriodForm, CompareForm, RoutingPeriodForm
from monitoring.models import AgentMetric, IngestionBatch, RoutingDecision
from monitoring.selectors import agent_versions


class RecordsAdmin(ReadOnlyAdmin):
    """View-only: the rows are the runtime's records."""

    list_per_page = 100
    show_full_result_count = False

    def _page(self, request, template: str, title: str, **context) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return TemplateResponse(
            request,
            template,
            page_context(self, request, title=title, **context),
        )

    def _url(self, name: str) -> str:
        return f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}"


@admin.register(AgentMetric)
class AgentMetricAdmin(RecordsAdmin):
    list_display = (
        "created_at",
        "agent_id",
        "config_version",
        "response_time_ms",
        "tokens_used",
        "success",
        "session_id",
    )
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
        dashboard = agent_dashboard(period=period, agent_id=form.cleaned_data.get("agent") if form.is_valid() else "")
        agent_id, versions = dashboard["agent_id"], dashboard["versions"]
        compare_url = None
        if len(versions) >= 2:
            compare_url = (
                reverse(self._url("compare"))
                + "?"
                + urlencode({"agent": agent_id, "a": versions[1]["config_version"], "b": versions[0]["config_version"]})
            )
        return self._page(
            request,
            "admin/monitoring/agent_dashboard.html",
            "Agent dashboard",
            form=form,
            period=period,
            compare_url=compare_url,
            agno_url=agno_sessions_url(agent_id=agent_id) if agent_id else None,
            **dashboard,
        )

    def compare_view(self, request):
        """One agent under two configuration versions, side by side."""
        form = CompareForm(request.GET or None)
        agent_id = request.GET.get("agent", "")
        versions = agent_versions(agent_id=agent_id) if agent_id else []
        context: dict = {"form": form, "versions": versions, "agent_id": agent_id}
        if form.is_valid():
            agent_id = form.cleaned_data["agent"]
            context.update(version_comparison(agent_id=agent_id, a=form.cleaned_data["a"], b=form.cleaned_data["b"]))
        return self._page(request, "admin/monitoring/compare.html", "Compare configuration versions", **context)


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(RecordsAdmin):
    list_display = (
        "created_at",
        "routed_to",
        "confidence_score",
        "short_query",
        "business_unit",
        "config_version",
        "session_id",
    )
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
        return self._page(
            request,
            "admin/monitoring/routing_dashboard.html",
            "Routing dashboard",
            form=form,
            period=period,
            threshold=threshold,
            **routing_dashboard(period=period, threshold=threshold),
        )


@admin.register(IngestionBatch)
class IngestionBatchAdmin(RecordsAdmin):
    list_display = ("created_at", "kind", "idempotency_key", "record_count", "api_key_name")
    list_filter = ("kind",)
    search_fields = ("=idempotency_key",)
    ordering = ("-created_at",)
