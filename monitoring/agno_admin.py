"""Read-only admin views of Agno's own tables (sessions, runs, memories in the ``agno`` schema).

They are never written: no add, change or delete permission, no actions, and models whose ``save``/``delete``
refuse. When Agno has not created a table yet, its page says so instead of failing. Registered when
``monitoring.admin`` imports this module.

A run can become a test case of its agent or team ("Add as test case" on the run list and page, for users
who may add test cases): that writes the portal's test case table only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms import Form
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin, page_context
from common.db_schema import table_exists
from evaluations.models import EvalCase
from evaluations.selectors import free_case_name
from monitoring.forms import RunCaseForm
from monitoring.models import AgnoMemory, AgnoRun, AgnoSession
from monitoring.selectors import agno_run_case
from monitoring.services import agno_run_case_create

#: Who may turn production traffic (routing decisions, Agno runs) into test cases.
ADD_CASE_PERMISSION = "evaluations.add_evalcase"


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

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj):
        return unix_time(obj.created_at)

    @admin.display(description=_("updated"), ordering="updated_at")
    def updated(self, obj):
        return unix_time(obj.updated_at)

    @admin.display(description=_("agent or team"))
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

    @admin.display(description=_("runs"))
    def run_count(self, obj):
        count = getattr(obj, "run_count", None)
        if count is None:
            return "—"
        url = reverse("admin:monitoring_agnorun_changelist") + "?" + urlencode({"session": obj.pk})
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.display(description=_("runs"))
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

    @admin.display(description=_("session"), ordering="session")
    def session_link(self, obj):
        url = reverse("admin:monitoring_agnosession_change", args=[obj.session_id])
        return format_html('<a href="{}">{}</a>', url, obj.session_id)

    # --- Add as test case ----------------------------------------------------------------------------

    def may_add_case(self, request) -> bool:
        return self.has_view_permission(request) and request.user.has_perm(ADD_CASE_PERMISSION)

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return (*shown, "add_case_link") if self.may_add_case(request) else shown

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "add_case_link") if self.may_add_case(request) else fields

    @admin.display(description=_("test case"))
    def add_case_link(self, obj):
        if not (obj.agent_id or obj.team_id):
            return "—"
        url = reverse("admin:monitoring_agnorun_add_case", args=[quote(obj.pk)])
        return format_html('<a href="{}" class="add-test-case">{}</a>', url, gettext("Add as test case"))

    def get_urls(self):
        return [
            path(
                "<path:run_id>/add-test-case/",
                self.admin_site.admin_view(self.add_case_view),
                name="monitoring_agnorun_add_case",
            ),
        ] + super().get_urls()

    def add_case_view(self, request, run_id):
        """The run as a test case of its agent or team: its message, its route (teams), a name and whether it
        is critical to confirm; the case's page then takes what the answer must contain."""
        if not self.may_add_case(request):
            raise PermissionDenied
        if not table_exists(self.agno_table):
            return self._missing(request)
        run = AgnoRun.objects.filter(pk=unquote(run_id)).first()
        if run is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, run_id)
        found = agno_run_case(run)
        problem = ""
        if not found.component_type:
            problem = gettext(
                "This run is neither an agent's nor a team's (a workflow's, say): there is nothing to test."
            )
        elif not found.message.strip():
            problem = gettext(
                "This run stored no text input (only media, or nothing): there is no message to test with."
            )
        initial = {"expected_member": found.expected_member}
        if not problem:
            initial["name"] = free_case_name(found.component_type, found.component_id, found.message)
        form = RunCaseForm(
            request.POST if request.method == "POST" else None, initial=initial, team_run=found.component_type == "team"
        )
        if request.method == "POST" and not problem and form.is_valid():
            try:
                case = agno_run_case_create(run=run, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    gettext(
                        "Test case “%(name)s” added to %(type)s %(id)s: write what the answer must (not) contain here."
                    )
                    % {"name": case.name, "type": case.component_type, "id": case.component_id},
                )
                return HttpResponseRedirect(reverse("admin:evaluations_evalcase_change", args=[case.pk]))
        return TemplateResponse(
            request,
            "admin/monitoring/agnorun/add_test_case.html",
            page_context(
                self, request, title=gettext("Add run as test case"), run=run, found=found, form=form, problem=problem,
                run_url=reverse("admin:monitoring_agnorun_change", args=[quote(run.pk)]), media=self.media + form.media,
                earlier=EvalCase.objects.filter(source=found.source).order_by("name"),
            ),
        )  # fmt: skip


def _add_errors(form: Form, exc: ValidationError) -> None:
    """A service's refusal on the form: under the field it names when the form has that field, else on top."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@admin.register(AgnoMemory)
class AgnoMemoryAdmin(AgnoReadOnlyAdmin):
    agno_table = "agno.agno_memories"
    list_display = ("memory_id", "user_id", "owner", "summary", "topic_list", "updated")
    search_fields = ("=memory_id", "=user_id", "=agent_id", "=team_id")
    ordering = ("-updated_at",)
    readonly_fields = ("created", "updated")

    @admin.display(description=_("memory"))
    def summary(self, obj):
        memory = obj.memory
        if isinstance(memory, dict):
            memory = memory.get("memory") or memory
        text = str(memory or "")
        return text if len(text) <= 100 else text[:99] + "…"

    @admin.display(description=_("topics"))
    def topic_list(self, obj):
        return ", ".join(str(t) for t in obj.topics) if isinstance(obj.topics, list) else ""
