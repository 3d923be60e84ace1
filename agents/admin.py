import threading

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from agents.forms import (
    AgentCapabilityForm,
    AgentCapabilityFormSet,
    AgentForm,
    AgentKnowledgeDomainForm,
    AgentKnowledgeDomainFormSet,
    AgentRowsFormSet,
    ToolForm,
)
from agents.models import Agent, AgentCapability, AgentKnowledgeDomain, Tool
from agents.providers import tool_providers, unprovided_tools
from agents.selectors import agent_config, capability_names, component_tools, knowledge_domain_names, tool_users
from agents.services import EDITABLE_FIELDS, agent_create, agent_update, tool_create, tool_delete, tool_update
from common.admin import ServiceBackedAdmin, adopt
from prompts.admin_panels import rendered_prompt
from versioning import services as versioning_services
from versioning.admin_mixins import VersionedComponentAdmin, unsign_snapshot

# One whole sentence per kind of component, so that each language words it its own way.
_UNPROVIDED_TOOLS = {
    "agent": _(
        "No runtime has reported the tool(s) %(tools)s: a runtime without them cannot build this agent. "
        "Publishing it asks you to confirm."
    ),
    "team": _(
        "No runtime has reported the tool(s) %(tools)s: a runtime without them cannot build this team. "
        "Publishing it asks you to confirm."
    ),
}


def warn_unprovided_tools(request, owner, what: str) -> None:
    """Say so on an agent's or team's page (``what``: "agent" or "team") when it uses a tool no runtime has
    reported: an Agno runtime without it would refuse to build the component."""
    names = [tool if isinstance(tool, str) else tool["name"] for tool in component_tools(owner)]
    missing = unprovided_tools(names)
    if missing:
        messages.warning(request, _UNPROVIDED_TOOLS[what] % {"tools": ", ".join(missing)})


class AgentRowsInline(admin.TabularInline):
    """Rows that are part of the agent's configuration (capabilities, knowledge domains). Whoever may add or
    change the agent may edit them, and they are saved with it, through the agent service, as one draft: their
    permissions are the agent's, not their own models'."""

    extra = 1

    def _agent_permission(self, request, obj, action: str) -> bool:
        if obj is None:
            return request.user.has_perm("agents.add_agent")
        return request.user.has_perm(f"agents.{action}_agent")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("agents.view_agent") or request.user.has_perm("agents.change_agent")

    def has_add_permission(self, request, obj=None):
        return self._agent_permission(request, obj, "change")

    def has_change_permission(self, request, obj=None):
        return self._agent_permission(request, obj, "change")

    def has_delete_permission(self, request, obj=None):
        return self._agent_permission(request, obj, "change")


class AgentCapabilityInline(AgentRowsInline):
    model = AgentCapability
    form = AgentCapabilityForm
    formset = AgentCapabilityFormSet
    fields = ("name", "description", "parameters")
    verbose_name = _("capability")
    verbose_name_plural = _("capabilities (what the agent can do, in order)")


class AgentKnowledgeDomainInline(AgentRowsInline):
    model = AgentKnowledgeDomain
    form = AgentKnowledgeDomainForm
    formset = AgentKnowledgeDomainFormSet
    fields = ("domain", "priority", "description")
    ordering = ("priority",)
    verbose_name = _("knowledge domain")
    verbose_name_plural = _("knowledge domains (1 = the agent's main domain)")


class CapabilityFilter(admin.SimpleListFilter):
    title = _("capability")
    parameter_name = "capability"

    def lookups(self, request, model_admin):
        return [(name, name) for name in capability_names()]

    def queryset(self, request, queryset):
        return queryset.filter(capability_rows__name=self.value()) if self.value() else queryset


class KnowledgeDomainFilter(admin.SimpleListFilter):
    title = _("knowledge domain")
    parameter_name = "knowledge_domain"

    def lookups(self, request, model_admin):
        return [(domain, domain) for domain in knowledge_domain_names()]

    def queryset(self, request, queryset):
        return queryset.filter(knowledge_domain_rows__domain=self.value()) if self.value() else queryset


@admin.register(Agent)
class AgentAdmin(VersionedComponentAdmin):
    kind_type = "agent"
    form = AgentForm
    inlines = [AgentCapabilityInline, AgentKnowledgeDomainInline]
    list_display = ("name", "agent_id", "status_badges", "model_display", "team_list", "updated_at")
    list_display_links = ("name", "agent_id")
    list_filter = (
        "is_active",
        ("model_provider", admin.AllValuesFieldListFilter),
        CapabilityFilter,
        KnowledgeDomainFilter,
    )
    search_fields = ("agent_id", "name", "role", "description", "system_prompt")
    ordering = ("name",)
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = ("version", "revision", "rendered_prompt", "created_at", "updated_at")
    actions = ["activate_selected", "deactivate_selected"]
    fieldsets = (
        (None, {"fields": ("name", "agent_id", "role", "description")}),
        (
            _("Prompt"),
            {
                "fields": ("system_prompt", "instructions", "expected_output", "rendered_prompt"),
                "description": _(
                    "What the agent is told. Leave the system prompt empty to build the prompt "
                    "from the description and the instructions. Include a shared prompt fragment with {{> name }} "
                    "(Prompts › Prompt fragments) and a value the runtime supplies with {{ name }} (Prompts › "
                    "Variables)."
                ),
            },
        ),
        (_("Model"), {"fields": ("model_provider", "model_name", "model_settings")}),
        (
            _("Tools"),
            {
                "fields": ("tools", "tool_call_limit"),
                "description": _(
                    "Tools come from the catalogue (Agents › Tools): its page says which runtimes provide each one."
                ),
            },
        ),
        (
            _("Behaviour"),
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
        (pgettext_lazy("form section", "Save"), {"fields": ("change_note", "base_revision", "base_snapshot")}),
        (_("Record"), {"fields": ("version", "revision", "created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__team")

    @admin.display(description=_("as the runtime gets it"))
    def rendered_prompt(self, obj):
        return (rendered_prompt(agent_config(obj)) if obj is not None and obj.pk else "") or "—"

    def dashboard_url(self, obj):
        return reverse("admin:monitoring_agentmetric_dashboard") + "?" + urlencode({"agent": obj.agent_id})

    @admin.display(description=_("model"), ordering="model_name")
    def model_display(self, obj):
        return f"{obj.model_provider}:{obj.model_name}"

    @admin.display(description=_("teams"))
    def team_list(self, obj):
        teams = [m.team for m in obj.memberships.all()]
        if not teams:
            return "—"
        return format_html(
            ", ".join(["<a href='{}'>{}</a>"] * len(teams)),
            *[x for t in teams for x in (reverse("admin:teams_team_change", args=[t.pk]), t.team_id)],
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            agent = self.get_object(request, unquote(object_id))
            if agent is not None:
                warn_unprovided_tools(request, agent, "agent")
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # Capabilities and knowledge domains arrive with the inline formsets: the whole save (one service call,
        # one draft) happens in save_related.
        return

    def save_formset(self, request, form, formset, change):
        # The rows are written by the agent service (save_related), not by the formset.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        for formset in formsets:
            self.save_formset(request, form, formset, change)
            if isinstance(formset, AgentRowsFormSet):
                setattr(obj, formset.config_key, formset.rows())
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
            if active:
                text = ngettext("%(count)d agent activated.", "%(count)d agents activated.", done)
            else:
                text = ngettext("%(count)d agent deactivated.", "%(count)d agents deactivated.", done)
            messages.success(request, text % {"count": done})

    @admin.action(permissions=["publish"], description=_("Activate selected agents"))
    def activate_selected(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(permissions=["publish"], description=_("Deactivate selected agents"))
    def deactivate_selected(self, request, queryset):
        self._set_active(request, queryset, False)


def _provider_lines(providers) -> str:
    now = timezone.now()
    return format_html_join(
        "",
        "<li><strong>{}</strong> {} ({}) — {}</li>",
        (
            (p.runtime, p.version, p.environment, gettext("last seen %(ago)s ago") % {"ago": _ago(now - p.last_seen)})
            for p in providers
        ),
    )


def _ago(delta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{max(seconds, 0)} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    days = seconds // 86400
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


_list_page = threading.local()


@admin.register(Tool)
class ToolAdmin(ServiceBackedAdmin):
    """The tool catalogue. Editors add and change tools (a change reaches the agents and teams that use it as
    drafts); only publishers delete one, and only while nothing uses it."""

    form = ToolForm
    list_display = ("name", "category", "source", "owner", "version", "agent_count", "runtime_list", "updated_at")
    list_filter = ("category", "source")
    search_fields = ("name", "description", "category", "owner")
    readonly_fields = ("version", "used_by", "provided_by", "version_history", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "description", "category", "source", "owner")}),
        (_("Parameters"), {"fields": ("parameter_rows", "parameters_schema")}),
        (pgettext_lazy("form section", "Save"), {"fields": ("change_note",)}),
        (
            _("Where it is used and who runs it"),
            {"fields": ("used_by", "provided_by", "version", "created_at", "updated_at")},
        ),
        (_("History"), {"fields": ("version_history",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("agent_links__agent")

    def changelist_view(self, request, extra_context=None):
        # Looked up once per list page for every tool, when the page renders (the admin instance is shared by
        # every request: the lookup is kept per thread, and each list page starts afresh).
        _list_page.providers = None
        return super().changelist_view(request, extra_context)

    def _providers_of(self, obj):
        if getattr(_list_page, "providers", None) is None:
            _list_page.providers = tool_providers(Tool.objects.values_list("name", flat=True))
        return _list_page.providers.get(obj.name, [])

    @admin.display(description=_("agents"))
    def agent_count(self, obj):
        return len(obj.agent_links.all())  # the tool's page lists its teams too

    @admin.display(description=_("runtimes"))
    def runtime_list(self, obj):
        providers = self._providers_of(obj)
        if not providers:
            return format_html('<span class="hive-badge hive-badge--inactive">{}</span>', gettext("none reported"))
        return ", ".join(sorted({p.runtime for p in providers}))

    @admin.display(description=_("used by"))
    def used_by(self, obj):
        users = tool_users(obj) if obj.pk else []
        if not users:
            return gettext("Nothing uses this tool.")
        kinds = {"agent": gettext("agent"), "team": gettext("team")}
        return ", ".join(
            f"{kinds.get(kind, kind)} {component_id}" for kind, component_id in (u.split(" ", 1) for u in users)
        )

    @admin.display(description=_("provided by"))
    def provided_by(self, obj):
        providers = tool_providers([obj.name]).get(obj.name, []) if obj.pk else []
        if not providers:
            return format_html(
                '<span class="hive-badge hive-badge--inactive">{}</span> {}',
                gettext("no runtime"),
                gettext("No runtime has reported this tool: an agent that uses it cannot be built by any runtime yet."),
            )
        return format_html("<ul>{}</ul>", _provider_lines(providers))

    @admin.display(description=_("versions"))
    def version_history(self, obj):
        if not obj.pk:
            return "—"
        versions = obj.versions.all()
        headings = (
            pgettext_lazy("tool version", "Version"),
            pgettext_lazy("tool version", "When"),
            pgettext_lazy("tool version", "Who"),
            pgettext_lazy("tool version", "Why"),
            pgettext_lazy("tool version", "Description"),
            pgettext_lazy("tool version", "Parameters"),
        )
        return format_html(
            "<table><tr>{}</tr>{}</table>",
            format_html_join("", "<th>{}</th>", ((heading,) for heading in headings)),
            format_html_join(
                "",
                "<tr><td>v{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        v.version,
                        v.created_at.strftime("%Y-%m-%d %H:%M"),
                        v.created_by_name or "—",
                        v.change_note,
                        v.definition.get("description", ""),
                        ", ".join(v.definition.get("parameters", {}).get("properties", {})) or gettext("none"),
                    )
                    for v in versions
                ),
            ),
        )

    def history_view(self, request, object_id, extra_context=None):
        # A tool's history is its versions (shown on its page).
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:agents_tool_change", args=[obj.pk]))

    def _fields(self, form) -> dict:
        data = form.cleaned_data
        return {
            "name": data["name"],
            "description": data.get("description") or "",
            "source": data["source"],
            "category": data.get("category") or "",
            "owner": data.get("owner") or "",
            "parameters": form.instance.parameters,
        }

    def create(self, request, form):
        return tool_create(actor=request.user, note=form.cleaned_data.get("change_note") or "", **self._fields(form))

    def update(self, request, obj, form):
        original = Tool.objects.get(pk=obj.pk)
        return tool_update(
            tool=original, actor=request.user, note=form.cleaned_data.get("change_note") or "", **self._fields(form)
        )

    def delete(self, request, obj):
        try:
            tool_delete(tool=obj, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
