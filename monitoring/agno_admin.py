"""Read-only admin views of Agno's own tables (sessions, runs, memories in the ``agno`` schema).

They are never written: no add, change or delete permission, no actions, and models whose ``save``/``delete``
refuse. When Agno has not created a table yet, its page says so instead of failing. Registered when
``monitoring.admin`` imports this module.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from common.admin import ReadOnlyAdmin, page_context
from common.db_schema import table_exists
from monitoring.models import AgnoMemory, AgnoRun, AgnoSession


def unix_time(value: int | None) -> datetime | None:
    if value is None:
        return None
    return timezone.localtime(datetime.fromtimestamp(value, tz=UTC))


def agno_sessions_url(*, agent_id: str | None = None, team_id: str | None = None) -> str:
    """The Agno session list filtered to one agent or team (for links from agent and team pages)."""
    url = reverse("admin:monitoring_agnosession_changelist")
    if agent_id:
        return f"{url}?{urlencode({'agent_id': agent_id})}"
    if team_id:
        return f"{url}?{urlencode({'team_id': team_id})}"
    return url


class AgnoReadOnlyAdmin(ReadOnlyAdmin):
    """Lists a table of Agno's schema when it exists, says so when it does not; never writes."""

    agno_table = ""
    list_per_page = 100
    show_full_result_count = False

    def get_actions(self, request):
        return {}

    def _missing(self, request):
        return TemplateResponse(
            request,
            "admin/monitoring/agno_missing.html",
            page_context(self, request, title=self.model._meta.verbose_name_plural.capitalize(), table=self.agno_table),
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
