"""The audit log in the admin: a read-only list with filters (who, what, which batch) and a CSV export."""

import csv
import uuid

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import router
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.models import AuditRecord, AuditSubject
from common.admin import ReadOnlyAdmin
from common.admin_exports import changelist_queryset
from common.csv_safety import csv_safe_row


class ActorFilter(admin.SimpleListFilter):
    title = _("user")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        names = AuditRecord.objects.order_by("actor_name").values_list("actor_name", flat=True).distinct()[:200]
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(actor_name=self.value())
        return queryset


def _subject_link(subject_type: str, subject_id: str) -> str:
    """Where the subject lives in the admin (found by URL name: the audit app imports no app above it)."""
    if subject_type == AuditSubject.AGENT:
        return reverse("admin:agents_agent_changelist") + "?" + urlencode({"agent_id": subject_id})
    if subject_type == AuditSubject.TEAM:
        return reverse("admin:teams_team_changelist") + "?" + urlencode({"team_id": subject_id})
    return ""


# Release steps of agents and teams: the evaluations app's page of the version shows the test cases the gate read.
EVALUATED_ACTIONS = ("published", "promoted", "rollout_started", "gate_overridden")


def _evaluation_link(record: AuditRecord) -> str:
    """The test cases of the version a release step put live, against the one it replaced (found by URL name)."""
    if record.action not in EVALUATED_ACTIONS or record.subject_type not in ("agent", "team") or not record.to_version:
        return ""
    try:
        url = reverse(
            "admin:evaluations_evalrun_review", args=[record.subject_type, record.subject_id, record.to_version]
        )
    except NoReverseMatch:  # the evaluations app is not installed
        return ""
    return url + (f"?baseline={record.from_version}" if record.from_version else "")


class BatchFilter(admin.SimpleListFilter):
    """Rows of one multi-row operation; reached from a row's "same batch" link."""

    title = _("batch")
    parameter_name = "batch"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, value)] if value else [("any", gettext("in any batch"))]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "any":
            return queryset.filter(batch_id__isnull=False)
        try:
            return queryset.filter(batch_id=uuid.UUID(value))
        except ValueError:
            return queryset.none()


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "actor_name",
        "action",
        "subject_type",
        "subject_link",
        "versions",
        "reason_short",
        "changed_keys",
        "batch_link",
        "evaluation",
    )
    list_filter = ("action", "subject_type", ActorFilter, BatchFilter, ("created_at", admin.DateFieldListFilter))
    search_fields = ("subject_id", "actor_name", "reason")
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    change_list_template = "admin/audit/auditrecord/change_list.html"
    readonly_fields = (
        "created_at", "actor_name", "action", "subject_type", "subject_id", "from_version", "to_version",
        "reason", "diff", "before", "after", "batch_id", "evaluation",
    )  # fmt: skip
    fields = readonly_fields

    @admin.display(description=_("test cases"))
    def evaluation(self, obj):
        url = _evaluation_link(obj)
        return format_html('<a href="{}" class="evaluation-link">{}</a>', url, gettext("test cases")) if url else ""

    @admin.display(description=_("subject"), ordering="subject_id")
    def subject_link(self, obj):
        url = _subject_link(obj.subject_type, obj.subject_id)
        return format_html('<a href="{}">{}</a>', url, obj.subject_id) if url else obj.subject_id

    @admin.display(description=_("batch"))
    def batch_link(self, obj):
        if obj.batch_id is None:
            return ""
        url = reverse("admin:audit_auditrecord_changelist") + "?" + urlencode({"batch": str(obj.batch_id)})
        return format_html('<a href="{}" class="same-batch">{}</a>', url, gettext("same batch"))

    @admin.display(description=_("versions"))
    def versions(self, obj):
        if obj.from_version and obj.to_version:
            return f"v{obj.from_version} → v{obj.to_version}"
        if obj.to_version:
            return f"v{obj.to_version}"
        if obj.from_version:
            return f"v{obj.from_version}"
        return ""

    @admin.display(description=_("why"))
    def reason_short(self, obj):
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    @admin.display(description=_("changed"))
    def changed_keys(self, obj):
        keys = (
            list((obj.diff or {}).get("changed", {}))
            + list((obj.diff or {}).get("added", {}))
            + list((obj.diff or {}).get("removed", {}))
        )
        return ", ".join(keys[:6]) + (" …" if len(keys) > 6 else "")

    def get_urls(self):
        return [
            path("export.csv", self.admin_site.admin_view(self.export_csv), name="audit_auditrecord_export"),
        ] + super().get_urls()

    def export_csv(self, request):
        """The audit log as CSV, with the filters currently applied on the list."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = changelist_queryset(self, request)
        if isinstance(queryset, HttpResponse):
            return queryset
        # Rows are read while the response streams, after the request's own routing has ended: fix the database now
        # (a read replica when this page may use one, hive_portal.routers).
        queryset = queryset.order_by("created_at", "id").using(router.db_for_read(queryset.model))

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())
        header = [
            "when", "user", "action", "type", "subject", "from_version", "to_version", "reason", "changed", "batch",
        ]  # fmt: skip

        def rows():
            yield writer.writerow(header)
            for h in queryset.iterator(chunk_size=2000):
                diff = h.diff or {}
                changed = ";".join(
                    list(diff.get("changed", {})) + list(diff.get("added", {})) + list(diff.get("removed", {}))
                )
                yield writer.writerow(csv_safe_row(
                    [h.created_at.isoformat(), h.actor_name, h.action, h.subject_type, h.subject_id,
                     h.from_version or "", h.to_version or "", h.reason, changed, h.batch_id or ""]
                ))  # fmt: skip

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="hive-audit-{stamp}.csv"'
        return response
