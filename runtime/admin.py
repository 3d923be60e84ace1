from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone

from runtime.models import SCOPE_CHOICES, ApiKey
from runtime.services import api_key_create, api_key_revoke, api_key_update


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ("name", "scopes", "expires_at")

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now():
            raise ValidationError("The expiry must be in the future.")
        return value


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "scope_list", "state", "expires_at", "last_used_at", "created_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_by", "created_at", "revoked_at", "last_used_at")
    actions = ["revoke_selected"]

    @admin.display(description="scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    @admin.display(description="state")
    def state(self, obj):
        if obj.revoked_at:
            return "revoked"
        if obj.expires_at and obj.expires_at <= timezone.now():
            return "expired"
        return "active"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            api_key_update(
                key=obj, scopes=data["scopes"], expires_at=data.get("expires_at"), name=data["name"], actor=request.user
            )
            return
        key, raw = api_key_create(
            name=data["name"], scopes=data["scopes"], created_by=request.user, expires_at=data.get("expires_at")
        )
        obj.pk = key.pk
        obj.prefix = key.prefix
        obj._state.adding = False
        request._hive_new_key = raw  # shown once on the next page, never stored

    def response_add(self, request, obj, post_url_continue=None):
        raw = getattr(request, "_hive_new_key", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        return TemplateResponse(
            request,
            "admin/runtime/apikey/created.html",
            {**self.admin_site.each_context(request), "opts": self.model._meta, "key": obj, "raw_key": raw, "title": "API key created"},
        )

    def delete_model(self, request, obj):
        api_key_revoke(key=obj, actor=request.user)  # keys are revoked, not deleted: the audit keeps their name

    def delete_queryset(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key, actor=request.user)

    @admin.action(permissions=["change"], description="Revoke selected keys")
    def revoke_selected(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key, actor=request.user)
        messages.success(request, f"Revoked {queryset.count()} key(s).")
