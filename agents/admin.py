from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from agents.forms import AgentForm
from agents.models import Agent
from agents.services import EDITABLE_FIELDS, agent_create, agent_update
from common.admin import adopt
from versioning import services as versioning_services
from versioning.admin_mixins import VersionedComponentAdmin, unsign_snapshot


@admin.register(Agent)
class AgentAdmin(VersionedComponentAdmin):
    kind_type = "agent"
    form = AgentForm
    list_display = ("name", "agent_id", "status_badges", "model_display", "team_list", "updated_at")
    list_display_links = ("name", "agent_id")
    list_filter = ("is_active", ("model_provider", admin.AllValuesFieldListFilter))
    search_fields = ("agent_id", "name", "role", "description", "system_prompt")
    ordering = ("name",)
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = ("version", "revision", "created_at", "updated_at")
    actions = ["activate_selected", "deactivate_selected"]
    fieldsets = (
        (None, {"fields": ("name", "agent_id", "role", "description")}),
        (
            "Prompt",
            {
                "fields": ("system_prompt", "instructions", "expected_output"),
                "description": "What the agent is told. Leave the system prompt empty to build the prompt "
                "from the description and the instructions.",
            },
        ),
        ("Model", {"fields": ("model_provider", "model_name", "model_settings")}),
        ("Tools", {"fields": ("tools", "tool_call_limit")}),
        (
            "Behaviour",
            {
                "fields": (
                    "markdown",
                    "add_history_to_context",
                    "num_history_runs",
                    "add_datetime_to_context",
                    "retries",
                    "other_parameters",
                ),
                "classes": ("collapse",),
            },
        ),
        ("Save", {"fields": ("change_note", "base_revision", "base_snapshot")}),
        ("Record", {"fields": ("version", "revision", "created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__team")

    def dashboard_url(self, obj):
        return reverse("admin:monitoring_agentmetric_dashboard") + "?" + urlencode({"agent": obj.agent_id})

    @admin.display(description="model", ordering="model_name")
    def model_display(self, obj):
        return f"{obj.model_provider}:{obj.model_name}"

    @admin.display(description="teams")
    def team_list(self, obj):
        teams = [m.team for m in obj.memberships.all()]
        if not teams:
            return "—"
        return format_html(
            ", ".join(["<a href='{}'>{}</a>"] * len(teams)),
            *[x for t in teams for x in (reverse("admin:teams_team_change", args=[t.pk]), t.team_id)],
        )

    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in EDITABLE_FIELDS}
        note = form.cleaned_data["change_note"]
        if change:
            saved = agent_update(
                agent=obj,
                actor=request.user,
                note=note,
                expected_revision=form.cleaned_data.get("base_revision"),
                base_snapshot=unsign_snapshot(form.cleaned_data.get("base_snapshot") or ""),
                **fields,
            )
        else:
            saved = agent_create(actor=request.user, note=note, **fields)
        adopt(obj, saved)

    def _set_active(self, request, queryset, active: bool):
        done = 0
        for agent in queryset:
            try:
                versioning_services.component_set_active(
                    kind=self.kind,
                    component_id=agent.agent_id,
                    active=active,
                    actor=request.user,
                    reason="Changed in the admin list",
                )
                done += 1
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        if done:
            messages.success(request, f"{done} agent(s) {'activated' if active else 'deactivated'}.")

    @admin.action(permissions=["publish"], description="Activate selected agents")
    def activate_selected(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(permissions=["publish"], description="Deactivate selected agents")
    def deactivate_selected(self, request, queryset):
        self._set_active(request, queryset, False)
