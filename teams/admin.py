from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agents.admin import warn_unprovided_tools
from common.admin import adopt
from prompts.admin_panels import rendered_prompt
from teams.forms import TeamForm, TeamMemberForm, TeamMemberInlineFormSet
from teams.models import Team, TeamMember
from teams.selectors import team_config
from teams.services import EDITABLE_FIELDS, team_create, team_update
from versioning.admin_mixins import VersionedComponentAdmin, unsign_snapshot


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    form = TeamMemberForm
    formset = TeamMemberInlineFormSet
    extra = 1
    ordering = ("position",)
    autocomplete_fields = ("agent",)
    fields = ("position", "agent")
    verbose_name = _("member")
    verbose_name_plural = _("members (in order)")


@admin.register(Team)
class TeamAdmin(VersionedComponentAdmin):
    kind_type = "team"
    form = TeamForm
    inlines = [TeamMemberInline]
    list_display = ("name", "team_id", "status_badges", "mode", "member_list", "updated_at")
    list_display_links = ("name", "team_id")
    list_filter = ("is_active", "mode")
    search_fields = ("team_id", "name", "description")
    ordering = ("name",)
    show_full_result_count = False
    readonly_fields = ("version", "revision", "rendered_prompt", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "team_id", "mode", "description", "role")}),
        (
            _("Leader"),
            {
                "fields": (
                    "instructions",
                    "rendered_prompt",
                    "model_provider",
                    "model_name",
                    "model_settings",
                    "tools",
                ),
                "description": _(
                    "Include a shared prompt fragment with {{> name }} and a value the runtime supplies "
                    "with {{ name }} (Prompts)."
                ),
            },
        ),
        (
            _("Behaviour"),
            {
                "fields": (
                    "respond_directly",
                    "determine_input_for_members",
                    "max_iterations",
                    "markdown",
                    "other_parameters",
                ),
                "classes": ("collapse",),
            },
        ),
        (pgettext_lazy("form section", "Save"), {"fields": ("change_note", "base_revision", "base_snapshot")}),
        (_("Record"), {"fields": ("version", "revision", "created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__agent")

    @admin.display(description=_("as the runtime gets it"))
    def rendered_prompt(self, obj):
        return (rendered_prompt(team_config(obj)) if obj is not None and obj.pk else "") or "—"

    @admin.display(description=_("members"))
    def member_list(self, obj):
        members = sorted(obj.memberships.all(), key=lambda m: m.position)
        return format_html_join(", ", "{}", ((m.agent.agent_id,) for m in members)) or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            team = self.get_object(request, unquote(object_id))
            if team is not None:
                warn_unprovided_tools(request, team, "team")
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # Members arrive with the inline formset: the whole save happens in save_related.
        if not change:
            fields = {name: getattr(obj, name) for name in EDITABLE_FIELDS}
            created = team_create(actor=request.user, note=form.cleaned_data["change_note"], **fields)
            adopt(obj, created)

    def save_formset(self, request, form, formset, change):
        # Membership rows are written by the team service (save_related), not by the formset.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def save_related(self, request, form, formsets, change):
        members = None
        for formset in formsets:
            self.save_formset(request, form, formset, change)
            if isinstance(formset, TeamMemberInlineFormSet):
                members = formset.members()
        obj = form.instance
        fields = {name: getattr(obj, name) for name in EDITABLE_FIELDS}
        team_update(
            team=obj,
            actor=request.user,
            note=form.cleaned_data["change_note"],
            members=members,
            expected_revision=form.cleaned_data.get("base_revision") if change else obj.revision,
            base_snapshot=unsign_snapshot(form.cleaned_data.get("base_snapshot") or ""),
            **fields,
        )
