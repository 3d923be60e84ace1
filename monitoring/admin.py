"""Monitoring in the admin: read-only lists of the runtime's records (metrics, routing decisions, ingestion
batches) and the dashboards, as extra pages of the metric and routing-decision admins.

Metrics and routing decisions are the runtime's records: nobody adds or edits them here (pruning is
``manage.py prune_metrics``). What the dashboards show is built in ``monitoring.dashboards``; Agno's own
tables have read-only admins in ``monitoring.agno_admin``, registered by importing it here. A routing decision
can become a test case of the route team ("Add as test case", for users who may add test cases).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin, page_context
from common.batches import batch
from common.pagination import EstimatedCountPaginator
from evaluations.models import EvalCase
from monitoring import agno_admin  # noqa: F401  (registers the read-only admins of Agno's tables)
from monitoring.agno_admin import ADD_CASE_PERMISSION, agno_sessions_url
from monitoring.dashboards import agent_dashboard, routing_dashboard, version_comparison
from monitoring.forms import AgentPeriodForm, CompareForm, RoutingCaseForm, RoutingPeriodForm
from monitoring.models import AgentMetric, IngestionBatch, RoutingDecision
from monitoring.selectors import agent_versions
from monitoring.services import routing_decision_case_create


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RecordsAdmin(ReadOnlyAdmin):
    """View-only: the rows are the runtime's records."""

    list_per_page = 100
    show_full_result_count = False
    paginator = EstimatedCountPaginator  # COUNT(*) of ten million rows takes seconds

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

    # The first search field is in an index with the time (agent_id, created_at; routed_to is covered by the
    # decisions' created_at index): an exact match on it is an index probe and the newest page an index walk.
    # Django's "=field" search compares UPPER(field) = UPPER(term) on every field at once, which no index serves:
    # seconds at ten million rows. Ids are case-sensitive anyway. A term matching no such id is a session id.
    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        fields = [field.lstrip("=") for field in self.search_fields]
        for field in fields[:-1]:
            matching = queryset.filter(**{field: term})
            if matching.exists():  # one index probe
                return matching, False
        return queryset.filter(**{fields[-1]: term}), False


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
            gettext("Agent dashboard"),
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
        return self._page(
            request, "admin/monitoring/compare.html", gettext("Compare configuration versions"), **context
        )


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
    actions = ["add_as_test_case"]
    #: Decisions one "Add as test case" takes: a confirmation page lists them all.
    max_cases_at_once = 100

    @admin.display(description=_("query"))
    def short_query(self, obj):
        return _short(obj.query, 80)

    @admin.display(description=_("business unit"))
    def business_unit(self, obj):
        return (obj.typification_result or {}).get("business_unit", "")

    def has_add_test_case_permission(self, request) -> bool:
        return request.user.has_perm(ADD_CASE_PERMISSION)

    @admin.action(permissions=["add_test_case"], description=_("Add as test case"))
    def add_as_test_case(self, request, queryset):
        """A confirmation page (which route team), then one test case per selected decision."""
        decisions = list(queryset.order_by("created_at", "pk")[: self.max_cases_at_once + 1])
        if len(decisions) > self.max_cases_at_once:
            messages.error(
                request,
                ngettext(
                    "Choose at most %(count)d decision at a time.",
                    "Choose at most %(count)d decisions at a time.",
                    self.max_cases_at_once,
                )
                % {"count": self.max_cases_at_once},
            )
            return None
        destinations = {d.routed_to for d in decisions}
        form = RoutingCaseForm(request.POST if "post" in request.POST else None, destinations=destinations)
        if form.is_bound and form.is_valid():
            self._add_cases(request, decisions, form.cleaned_data["team"].team_id)
            return None
        return TemplateResponse(
            request,
            "admin/monitoring/routingdecision/add_test_cases.html",
            page_context(
                self, request, title=gettext("Add routing decisions as test cases"), form=form, decisions=decisions,
                action_checkbox_name=helpers.ACTION_CHECKBOX_NAME, media=self.media + form.media,
            ),
        )  # fmt: skip

    def _add_cases(self, request, decisions: list[RoutingDecision], team_id: str) -> None:
        # One transaction per decision, not all or nothing: each decision is an independent sample of traffic,
        # and one that cannot become a case (it went to an agent since deleted or moved out of the team)
        # should not keep the others out. Each refusal is a message naming its decision, and a decision added
        # again finds its case instead of making a second one, so running the action again after a fix is
        # safe. The audit rows of one run share a batch id.
        added: list[EvalCase] = []
        known: list[EvalCase] = []
        with batch():
            for decision in decisions:
                try:
                    case, created = routing_decision_case_create(decision=decision, team_id=team_id, actor=request.user)
                except ValidationError as exc:
                    messages.error(
                        request,
                        gettext("Routing decision #%(number)s (%(query)s) was not added: %(reasons)s")
                        % {
                            "number": decision.pk,
                            "query": _short(decision.query, 60),
                            "reasons": " ".join(exc.messages),
                        },
                    )
                    continue
                (added if created else known).append(case)
        for cases, verb, level in (
            (added, gettext("Added (%(count)s of team %(team)s)"), messages.SUCCESS),
            (known, gettext("Already test cases, left as they are (%(count)s of team %(team)s)"), messages.INFO),
        ):
            if cases:
                links = format_html_join(
                    ", ",
                    '<a href="{}">{}</a>',
                    ((reverse("admin:evaluations_evalcase_change", args=[c.pk]), c.name) for c in cases),
                )
                text = format_html("{}: {}", verb % {"count": len(cases), "team": team_id}, links)
                messages.add_message(request, level, text)

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
            gettext("Routing dashboard"),
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
