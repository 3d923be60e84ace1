import csv

from django.contrib import admin
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from common.admin import ReadOnlyAdmin
from common.admin_exports import changelist_queryset
from common.csv_safety import csv_safe_row
from versioning.models import ComponentVersion, VersionHistory


class ActorFilter(admin.SimpleListFilter):
    title = "user"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        names = VersionHistory.objects.order_by("actor_name").values_list("actor_name", flat=True).distinct()[:200]
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(actor_name=self.value())
        return queryset


def _component_link(component_type: str, component_id: str) -> str:
    if component_type == "agent":
        return reverse("admin:agents_agent_changelist") + f"?agent_id={component_id}"
    if component_type == "team":
        return reverse("admin:teams_team_changelist") + f"?team_id={component_id}"
    return ""


@admin.register(VersionHistory)
class VersionHistoryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "actor_name",
        "action",
        "component_type",
        "component_link",
        "versions",
        "reason_short",
        "changed_keys",
    )
    list_filter = ("action", "component_type", ActorFilter, ("created_at", admin.DateFieldListFilter))
    search_fields = ("component_id", "actor_name", "reason")
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    change_list_template = "admin/versioning/versionhistory/change_list.html"
    readonly_fields = (
        "created_at", "actor_name", "action", "component_type", "component_id", "from_version", "to_version",
        "reason", "diff", "before", "after",
    )  # fmt: skip
    fields = readonly_fields

    @admin.display(description="component", ordering="component_id")
    def component_link(self, obj):
        url = _component_link(obj.component_type, obj.component_id)
        return format_html('<a href="{}">{}</a>', url, obj.component_id) if url else obj.component_id

    @admin.display(description="versions")
    def versions(self, obj):
        if obj.from_version and obj.to_version:
            return f"v{obj.from_version} → v{obj.to_version}"
        if obj.to_version:
            return f"v{obj.to_version}"
        if obj.from_version:
            return f"v{obj.from_version}"
        return ""

    @admin.display(description="why")
    def reason_short(self, obj):
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    @admin.display(description="changed")
    def changed_keys(self, obj):
        keys = (
            list((obj.diff or {}).get("changed", {}))
            + list((obj.diff or {}).get("added", {}))
            + list((obj.diff or {}).get("removed", {}))
        )
        return ", ".join(keys[:6]) + (" …" if len(keys) > 6 else "")

    def get_urls(self):
        return [
            path("export.csv", self.admin_site.admin_view(self.export_csv), name="versioning_versionhistory_export"),
        ] + super().get_urls()

    def export_csv(self, request):
        """The audit log as CSV, with the filters currently applied on the list."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        queryset = changelist_queryset(self, request)
        if isinstance(queryset, HttpResponse):
            return queryset
        queryset = queryset.order_by("created_at", "id")

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())
        header = ["when", "user", "action", "type", "component", "from_version", "to_version", "reason", "changed"]

        def rows():
            yield writer.writerow(header)
            for h in queryset.iterator(chunk_size=2000):
                diff = h.diff or {}
                changed = ";".join(
                    list(diff.get("changed", {})) + list(diff.get("added", {})) + list(diff.get("removed", {}))
                )
                yield writer.writerow(csv_safe_row(
                    [h.created_at.isoformat(), h.actor_name, h.action, h.component_type, h.component_id,
                     h.from_version or "", h.to_version or "", h.reason, changed]
                ))  # fmt: skip

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="hive-audit-{stamp}.csv"'
        return response


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
