from django.contrib import admin

from common.admin import ReadOnlyAdmin
from versioning.models import ComponentVersion


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
