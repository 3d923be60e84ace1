from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from common.admin import ReadOnlyAdmin, page_context
from versioning.forms import LiveAtForm
from versioning.models import ComponentVersion
from versioning.selectors import environments, live_at


@admin.register(ComponentVersion)
class ComponentVersionAdmin(ReadOnlyAdmin):
    list_display = (
        "component_type",
        "component_id",
        "label",
        "status",
        "review_state",
        "change_note",
        "created_by_name",
        "published_at",
    )
    list_filter = ("component_type", "status", "review_state")
    search_fields = ("component_id", "change_note")
    list_per_page = 100
    show_full_result_count = False
    change_list_template = "admin/versioning/componentversion/change_list.html"
    readonly_fields = (
        "component_type", "component_id", "version", "status", "change_note", "content_hash", "config",
        "base_version", "rolled_back_from", "review_state", "review_comment", "created_by_name", "created_at",
        "edited_by_name", "published_by_name", "published_at",
    )  # fmt: skip
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("config")

    def get_object(self, request, object_id, from_field=None):
        # The detail page shows the configuration: undo the changelist's defer.
        return ComponentVersion.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None

    def get_urls(self):
        return [
            path("live-at/", self.admin_site.admin_view(self.live_at_view), name="versioning_live_at"),
        ] + super().get_urls()

    def live_at_view(self, request):
        """What an environment served at a moment, from the audit trail (``versioning.selectors.live_at``)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The first visit asks about the last environment (the one customers see), now (an empty time).
        data = request.GET or {"environment": environments()[-1]}
        form = LiveAtForm(data)
        rows, environment, at = None, None, None
        if form.is_valid():
            environment = form.cleaned_data["environment"]
            at = form.cleaned_data["at"] or timezone.now()
            rows = sorted(live_at(environment, at), key=lambda row: (row.component_type, row.component_id))
        return TemplateResponse(
            request,
            "admin/versioning/live_at.html",
            page_context(
                self,
                request,
                title="What was live when",
                form=form,
                rows=rows,
                environment=environment,
                at=at,
                time_zone=timezone.get_current_timezone_name(),
            ),
        )
