"""Prompt fragments (versioned like agents: draft, review, publish, rollback) and the variables prompts may use."""

import threading

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from common.admin import ServiceBackedAdmin, adopt
from prompts.forms import FragmentForm, VariableForm
from prompts.models import PromptFragment, PromptVariable
from prompts.rendering import describe_problem
from prompts.selectors import all_fragment_users, expand_prompt_config, fragment_users
from prompts.services import (
    FRAGMENT_FIELDS,
    fragment_create,
    fragment_update,
    variable_create,
    variable_delete,
    variable_update,
)
from versioning.admin_mixins import VersionedComponentAdmin, unsign_snapshot

_list_page = threading.local()
_ADMIN_CHANGELIST = {"agent": "admin:agents_agent_changelist", "team": "admin:teams_team_changelist",
                     "fragment": "admin:prompts_promptfragment_changelist"}  # fmt: skip


_COMPONENT_LABELS = {"agent": _("agent"), "team": _("team"), "fragment": _("fragment")}


def _user_link(component_type: str, component_id: str):
    label = _COMPONENT_LABELS.get(component_type, component_type)
    try:
        url = reverse(_ADMIN_CHANGELIST[component_type])
    except (KeyError, NoReverseMatch):
        return format_html("{} {}", label, component_id)
    field = {"agent": "agent_id", "team": "team_id", "fragment": "name"}[component_type]
    return format_html('<a href="{}?{}={}">{} {}</a>', url, field, component_id, label, component_id)


@admin.register(PromptFragment)
class PromptFragmentAdmin(VersionedComponentAdmin):
    kind_type = "fragment"
    form = FragmentForm
    list_display = ("title", "name", "status_badges", "user_count", "updated_at")
    list_display_links = ("title", "name")
    list_filter = ("is_active",)
    search_fields = ("name", "title", "description", "text")
    readonly_fields = ("version", "revision", "used_by", "rendered", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "name", "description")}),
        (
            pgettext_lazy("form section", "Text"),
            {
                "fields": ("text", "rendered"),
                "description": _(
                    "Prompts include this text with {{> name }}. It may include other fragments and use "
                    "variables ({{ name }}) declared under Prompts › Variables."
                ),
            },
        ),
        (
            _("Where it is used"),
            {
                "fields": ("used_by",),
                "description": _(
                    "Publishing this fragment publishes a new version of every agent and team listed, "
                    "at once; rolling it back rolls them back the same way."
                ),
            },
        ),
        (pgettext_lazy("form section", "Save"), {"fields": ("change_note", "base_revision", "base_snapshot")}),
        (_("Record"), {"fields": ("version", "revision", "created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def agno_sessions_url(self, obj):
        return None  # a fragment runs nowhere by itself: its agents' and teams' pages link their sessions

    @admin.display(description=_("used by"))
    def user_count(self, obj):
        users = getattr(_list_page, "users", None)
        if users is None:  # outside the list page
            users = _list_page.users = all_fragment_users()
        return len(users.get(obj.name, []))

    def changelist_view(self, request, extra_context=None):
        # Read once when the page renders (all_fragment_users), not once a row; kept per thread (the admin instance is
        # shared by every request) and started afresh by each list page.
        _list_page.users = None
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("used by"))
    def used_by(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        users = fragment_users(obj.name)
        if not users:
            return gettext("Nothing includes it yet.")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((_user_link(*u),) for u in users)))

    @admin.display(description=_("as the runtime gets it"))
    def rendered(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        expanded = expand_prompt_config({"instructions": [obj.text]})
        text = expanded["instructions"][0]
        problems = [describe_problem(p) for p in (expanded.get("prompt") or {}).get("problems") or []]
        warning = format_html('<p class="errornote">{}</p>', "; ".join(problems)) if problems else ""
        return format_html('{}<pre class="hive-rendered-prompt">{}</pre>', warning, text)

    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in FRAGMENT_FIELDS}
        note = form.cleaned_data["change_note"]
        if change:
            saved = fragment_update(
                fragment=obj,
                actor=request.user,
                note=note,
                expected_revision=form.cleaned_data.get("base_revision"),
                base_snapshot=unsign_snapshot(form.cleaned_data.get("base_snapshot") or ""),
                **fields,
            )
        else:
            saved = fragment_create(actor=request.user, note=note, **fields)
        adopt(obj, saved)


@admin.register(PromptVariable)
class PromptVariableAdmin(ServiceBackedAdmin):
    form = VariableForm
    list_display = ("name", "type", "required", "description", "updated_at")
    list_filter = ("type", "required")
    search_fields = ("name", "description")
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        return ("name", *self.readonly_fields) if obj is not None else self.readonly_fields

    def _fields(self, form) -> dict:
        return {
            k: v for k, v in form.cleaned_data.items() if k in ("name", "type", "required", "description", "example")
        }

    def create(self, request, form):
        return variable_create(actor=request.user, note="Declared in the admin", **self._fields(form))

    def update(self, request, obj, form):
        fields = self._fields(form)
        fields.pop("name", None)
        return variable_update(variable=obj, actor=request.user, note="Changed in the admin", **fields)

    def delete(self, request, obj):
        variable_delete(variable=obj, actor=request.user, note="Deleted in the admin")

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:  # still used by a prompt: said on the page, nothing deleted
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(reverse("admin:prompts_promptvariable_change", args=[object_id]))
