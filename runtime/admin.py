from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from audit.models import AuditSubject
from common.admin import ReadOnlyAdmin, ServiceBackedAdmin, page_context
from runtime.forms import ApiKeyForm
from runtime.models import ApiKey, RuntimeReport
from runtime.services import api_key_create, api_key_revoke, api_key_update


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceBackedAdmin):
    form = ApiKeyForm
    list_display = (
        "name", "prefix", "environment", "scope_list", "state", "expires_at", "last_used_at", "created_at",
    )  # fmt: skip
    list_filter = ("environment", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_by", "created_at", "revoked_at", "last_used_at")
    actions = ["revoke_selected"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.revoked_at:
            return gettext("revoked")
        if obj.expires_at and obj.expires_at <= timezone.now():
            return gettext("expired")
        return gettext("active")

    audit_subject_type = AuditSubject.API_KEY

    def create(self, request, form):
        data = form.cleaned_data
        key, raw = api_key_create(
            name=data["name"],
            scopes=data["scopes"],
            environment=data["environment"],
            created_by=request.user,
            expires_at=data.get("expires_at"),
        )
        request._hive_new_key = raw  # shown once on the next page, never stored
        return key

    def update(self, request, obj, form):
        data = form.cleaned_data
        return api_key_update(
            key=obj,
            scopes=data["scopes"],
            environment=data["environment"],
            expires_at=data.get("expires_at"),
            name=data["name"],
            actor=request.user,
        )

    def response_add(self, request, obj, post_url_continue=None):
        raw = getattr(request, "_hive_new_key", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        return TemplateResponse(
            request,
            "admin/runtime/apikey/created.html",
            page_context(self, request, title=gettext("API key created"), key=obj, raw_key=raw),
        )

    def delete(self, request, obj):
        api_key_revoke(key=obj, actor=request.user)  # keys are revoked, not deleted: the audit keeps their name

    @admin.action(permissions=["change"], description=_("Revoke selected keys"))
    def revoke_selected(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key, actor=request.user)
        count = queryset.count()
        messages.success(
            request, ngettext("Revoked %(count)d key.", "Revoked %(count)d keys.", count) % {"count": count}
        )


@admin.register(RuntimeReport)
class RuntimeReportAdmin(ReadOnlyAdmin):
    """Which runtimes reported which tools (the tool catalogue shows the same per tool, to every role)."""

    list_display = ("runtime", "runtime_version", "environment", "api_key", "tool_count", "last_seen", "first_seen")
    list_filter = ("environment",)
    search_fields = ("runtime", "runtime_version")
    fields = ("runtime", "runtime_version", "environment", "api_key", "tools", "first_seen", "last_seen")
    readonly_fields = fields

    @admin.display(description=_("tools"))
    def tool_count(self, obj):
        return len(obj.tools)
