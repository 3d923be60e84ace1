"""Webhook endpoints and their delivery log (Admin role only: see versioning.roles.ADMIN_ONLY_APPS)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from audit.models import AuditSubject
from common.admin import ReadOnlyAdmin, ServiceBackedAdmin, page_context
from webhooks.forms import WebhookEndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    delivery_resend,
    endpoint_create,
    endpoint_delete,
    endpoint_rotate_secret,
    endpoint_send_test,
    endpoint_update,
)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceBackedAdmin):
    form = WebhookEndpointForm
    change_form_template = "admin/webhooks/webhookendpoint/change_form.html"
    list_display = ("name", "url", "event_list", "state", "consecutive_failures", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    readonly_fields = (
        "masked_secret",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_by",
        "created_at",
    )
    audit_subject_type = AuditSubject.WEBHOOK_ENDPOINT

    @admin.display(description=_("events"))
    def event_list(self, obj):
        return ", ".join(obj.events) or gettext("all")

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.is_active:
            return pgettext("webhook endpoint state", "active")
        if obj.disabled_at:
            return pgettext("webhook endpoint state", "disabled")
        return pgettext("webhook endpoint state", "off")

    @admin.display(description=_("secret"))
    def masked_secret(self, obj):
        return f"{obj.secret[:6]}…{obj.secret[-4:]}" if obj.secret else "—"

    def create(self, request, form):
        data = form.cleaned_data
        endpoint = endpoint_create(name=data["name"], url=data["url"], events=data["events"], actor=request.user)
        request._hive_new_secret = endpoint.secret
        return endpoint

    def update(self, request, obj, form):
        data = form.cleaned_data
        return endpoint_update(
            endpoint=obj,
            name=data["name"],
            url=data["url"],
            events=data["events"],
            is_active=data["is_active"],
            actor=request.user,
        )

    def delete(self, request, obj):
        endpoint_delete(endpoint=obj, actor=request.user)

    def _secret_page(self, request, obj, title):
        return TemplateResponse(
            request,
            "admin/webhooks/webhookendpoint/secret.html",
            page_context(self, request, title=title, endpoint=obj, secret=obj.secret),
        )

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_hive_new_secret", None) is None:
            return super().response_add(request, obj, post_url_continue)
        return self._secret_page(request, obj, gettext("Webhook endpoint created"))

    def get_urls(self):
        def view(fn):
            return self.admin_site.admin_view(require_POST(fn))

        return [
            path("<int:pk>/send-test/", view(self.send_test_view), name="webhooks_webhookendpoint_send_test"),
            path("<int:pk>/rotate-secret/", view(self.rotate_secret_view), name="webhooks_webhookendpoint_rotate"),
            *super().get_urls(),
        ]

    def _endpoint(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        if not self.has_change_permission(request, endpoint):
            raise PermissionDenied
        return endpoint

    def send_test_view(self, request, pk):
        endpoint = self._endpoint(request, pk)
        event_id = endpoint_send_test(endpoint=endpoint, actor=request.user)
        messages.success(
            request,
            gettext("Test event %(event_id)s queued for %(endpoint)s: see the delivery log.")
            % {"event_id": event_id, "endpoint": endpoint},
        )
        return HttpResponseRedirect(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))

    def rotate_secret_view(self, request, pk):
        endpoint = endpoint_rotate_secret(endpoint=self._endpoint(request, pk), actor=request.user)
        return self._secret_page(request, endpoint, gettext("Webhook secret rotated"))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    change_form_template = "admin/webhooks/webhookdelivery/change_form.html"
    list_display = (
        "event",
        "endpoint",
        "status",
        "last_response_code",
        "attempts",
        "short_error",
        "next_attempt_at",
        "created_at",
        "resend_button",
    )
    list_filter = ("status", "event", "endpoint")
    search_fields = ("event_id", "endpoint__name")
    list_select_related = ("endpoint",)
    actions = ["resend_selected"]

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.display(description="")
    def resend_button(self, obj):
        url = reverse("admin:webhooks_webhookdelivery_resend", args=[obj.pk])
        return format_html(
            '<button type="submit" class="button" formaction="{}" name="resend" value="{}">{}</button>',
            url,
            obj.pk,
            gettext("Re-send"),
        )

    def has_resend_permission(self, request):
        return request.user.has_perm("webhooks.change_webhookdelivery")

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if self.has_resend_permission(request) else [f for f in shown if f != "resend_button"]

    @admin.action(permissions=["resend"], description=_("Re-send selected deliveries"))
    def resend_selected(self, request, queryset):
        sent = 0
        for delivery in queryset:
            try:
                delivery_resend(delivery=delivery, actor=request.user)
                sent += 1
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        if sent:
            messages.success(request, gettext("Queued %(count)d delivery attempt(s).") % {"count": sent})

    def get_urls(self):
        return [
            path(
                "<int:pk>/resend/",
                self.admin_site.admin_view(require_POST(self.resend_view)),
                name="webhooks_webhookdelivery_resend",
            ),
            *super().get_urls(),
        ]

    def resend_view(self, request, pk):
        if not self.has_resend_permission(request):
            raise PermissionDenied
        delivery = get_object_or_404(WebhookDelivery, pk=pk)
        try:
            delivery_resend(delivery=delivery, actor=request.user)
            messages.success(
                request,
                gettext("Re-send of event %(event_id)s to %(endpoint)s queued.")
                % {"event_id": delivery.event_id, "endpoint": delivery.endpoint},
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(request.POST.get("next") or reverse("admin:webhooks_webhookdelivery_changelist"))
