"""Typification in the admin: the hierarchy (list, tree browser, keyword editing, accent-insensitive
search, import and export), the routing console, the business-unit routes, and the routing page.

The hierarchy and route lists edit the routing's working copy (its draft); the routing page shows draft
against live and carries review, publish, discard, history and rollback like agents and teams do. The
routing console classifies against the published routing, as production does. Every write goes through
``typification.services`` and is audited."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from common.admin import adopt, page_context
from typification.classifier import KEYWORD_WEIGHT, KNOWLEDGE_WEIGHT, classify
from typification.formats import HierarchyFileError, parse, to_csv, to_json
from typification.forms import BusinessUnitRouteForm, ConsoleForm, ImportForm, TypificationForm
from typification.models import LEVELS, ROUTING_ID, BusinessUnitRoute, RoutingTable, TypificationHierarchy
from typification.selectors import business_units, typification_rows, typification_tree
from typification.services import (
    TYPIFICATION_FIELDS,
    business_unit_route_create,
    business_unit_route_delete,
    business_unit_route_update,
    ensure_routing_table,
    typification_create,
    typification_delete,
    typification_delete_many,
    typification_import,
    typification_update,
)
from typification.text import fold
from versioning.admin_mixins import VersionedComponentAdmin
from versioning.selectors import component_status


def routing_page_url() -> str:
    """The routing's one change page (its changelist only redirects there)."""
    pk = RoutingTable.objects.filter(routing_id=ROUTING_ID).values_list("pk", flat=True).first()
    if pk is None:
        ensure_routing_table()
        pk = RoutingTable.objects.get(routing_id=ROUTING_ID).pk
    return reverse("admin:typification_routingtable_change", args=[pk])


def routing_status_context(page: str = "") -> dict:
    """The routing's live version and draft, for the status panel of the typification pages."""
    return {
        "routing_status": component_status("routing", ROUTING_ID),
        "routing_url": routing_page_url(),
        "routing_page": page,
    }


class TypificationPages(admin.ModelAdmin):
    """Helpers shared by the extra pages."""

    def _page(self, request, template: str, title: str, **context) -> TemplateResponse:
        return TemplateResponse(
            request,
            template,
            page_context(self, request, title=title, **context),
        )

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**routing_status_context(), **(extra_context or {})})


@admin.register(TypificationHierarchy)
class TypificationHierarchyAdmin(TypificationPages):
    form = TypificationForm
    list_display = ("path_display", "business_unit", "keyword_list", "updated_at")
    list_filter = ("business_unit",)
    search_fields = LEVELS + ("business_unit",)
    search_help_text = _("Accents and upper/lower case do not matter; keywords are searched too.")
    ordering = LEVELS
    list_per_page = 100
    show_full_result_count = False
    change_list_template = "admin/typification/typificationhierarchy/change_list.html"
    fieldsets = (
        (_("Path"), {"fields": LEVELS}),
        (_("Routing"), {"fields": ("business_unit", "routing_keywords")}),
        (pgettext_lazy("the change being saved", "Change"), {"fields": ("reason",)}),
    )

    @admin.display(description=_("path"), ordering="level1")
    def path_display(self, obj):
        return str(obj)

    @admin.display(description=_("routing keywords"))
    def keyword_list(self, obj):
        return ", ".join(obj.routing_keywords) or "—"

    def get_search_results(self, request, queryset, search_term):
        """Accent- and case-insensitive, like the classifier: the hierarchy is small, so match in Python
        on its folded text and filter by id."""
        needle = fold(search_term)
        if not needle:
            return queryset, False
        ids = [
            row["id"]
            for row in typification_rows()
            if needle
            in fold(" | ".join([*(row[level] for level in LEVELS), row["business_unit"], *row["routing_keywords"]]))
        ]
        return queryset.filter(pk__in=ids), False

    # --- Writes through the services -------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in TYPIFICATION_FIELDS}
        reason = form.cleaned_data.get("reason", "")
        if change:
            typification_update(typification=obj, actor=request.user, reason=reason, **fields)
        else:
            adopt(obj, typification_create(actor=request.user, reason=reason, **fields))
        _saved_to_draft(request)

    def delete_model(self, request, obj):
        typification_delete(typification=obj, actor=request.user, reason="Deleted in the admin")

    def delete_queryset(self, request, queryset):
        typification_delete_many(typifications=queryset, actor=request.user, reason="Deleted in the admin list")

    # --- Extra pages -----------------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("tree/", view(self.tree_view), name="%s_%s_tree" % info),
            path("console/", view(self.console_view), name="%s_%s_console" % info),
            path("import/", view(self.import_view), name="%s_%s_import" % info),
            path("export/", view(self.export_view), name="%s_%s_export" % info),
        ] + super().get_urls()

    def tree_view(self, request):
        """The hierarchy as a tree with counts per node; expand and collapse; accent-insensitive search."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = request.GET.get("q", "").strip()
        tree = typification_tree(search=query or None)
        return self._page(
            request,
            "admin/typification/tree.html",
            gettext("Typification tree"),
            tree=tree,
            query=query,
            total=sum(node.count for node in tree),
            can_change=self.has_change_permission(request),
            **routing_status_context("tree"),
        )

    def console_view(self, request):
        """Type a customer message, see the ranked typification paths, why, and who would handle it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ConsoleForm(request.GET or None)
        result = rows = None
        if form.is_valid():
            result = classify(form.cleaned_data["text"], limit=form.cleaned_data.get("limit") or 5)
            # The published paths; link those the working copy still has (a draft may have removed some).
            editable = {
                str(pk)
                for pk in TypificationHierarchy.objects.filter(
                    pk__in=[c.typification_id for c in result.results if c.typification_id]
                ).values_list("pk", flat=True)
            }
            rows = []
            for candidate in result.results:
                row = candidate.as_dict()
                row["typification_url"] = (
                    reverse("admin:typification_typificationhierarchy_change", args=[candidate.typification_id])
                    if candidate.typification_id and str(candidate.typification_id) in editable
                    else None
                )
                for match in row["knowledge_matches"]:
                    match["url"] = _knowledge_change_url(match["id"])
                row["handler_url"] = _handler_url(candidate.handler)
                rows.append(row)
        return self._page(
            request,
            "admin/typification/console.html",
            gettext("Routing console"),
            form=form,
            result=result,
            rows=rows,
            keyword_weight=KEYWORD_WEIGHT,
            knowledge_weight=KNOWLEDGE_WEIGHT,
            routes_url=reverse("admin:typification_businessunitroute_changelist"),
            add_route_url=reverse("admin:typification_businessunitroute_add"),
            **routing_status_context("console"),
        )

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        errors: list[str] = []
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            replace = form.cleaned_data["replace"]
            if replace and not self.has_delete_permission(request):
                raise PermissionDenied
            try:
                rows = parse(upload.read(), source=upload.name)
                result = typification_import(
                    rows=rows,
                    source_name=upload.name,
                    actor=request.user,
                    replace=replace,
                    reason=form.cleaned_data["reason"],
                )
            except HierarchyFileError as exc:
                errors = exc.errors
            except (ValidationError, DatabaseError) as exc:
                errors = [f"{upload.name}: {exc}"]
            else:
                messages.success(
                    request,
                    gettext(
                        "Imported %(file)s: %(paths)d paths — %(created)d created, %(updated)d updated, "
                        "%(unchanged)d unchanged, %(deleted)d deleted."
                    )
                    % {
                        "file": upload.name,
                        "paths": len(rows),
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                        "deleted": result.deleted,
                    },
                )
                return HttpResponseRedirect(reverse("admin:typification_typificationhierarchy_changelist"))
        return self._page(
            request,
            "admin/typification/import.html",
            gettext("Import the typification hierarchy"),
            form=form,
            errors=errors,
        )

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        fmt = "json" if request.GET.get("format") == "json" else "csv"
        rows = typification_rows()
        if fmt == "json":
            response = HttpResponse(to_json(rows), content_type="application/json; charset=utf-8")
        else:
            response = HttpResponse(to_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="typification.{fmt}"'
        return response


def _saved_to_draft(request) -> None:
    messages.info(
        request,
        format_html(
            gettext(
                "Saved to the routing draft: production routes by the live version until the "
                '<a href="{}">routing</a> is published.'
            ),
            routing_page_url(),
        ),
    )


def _knowledge_change_url(entry_id: str) -> str | None:
    try:
        return reverse("admin:knowledge_knowledgeentry_change", args=[entry_id])
    except NoReverseMatch:
        return None


def _handler_url(handler) -> str | None:
    """The admin list of agents or teams narrowed to the handler (its ID is searchable there)."""
    if handler is None:
        return None
    name = "admin:agents_agent_changelist" if handler.type == "agent" else "admin:teams_team_changelist"
    try:
        return reverse(name) + "?" + urlencode({"q": handler.id})
    except NoReverseMatch:
        return None


@admin.register(BusinessUnitRoute)
class BusinessUnitRouteAdmin(TypificationPages):
    form = BusinessUnitRouteForm
    list_display = ("business_unit", "target_display", "path_count", "note")
    list_select_related = ("agent", "team")
    search_fields = ("business_unit", "agent__agent_id", "team__team_id")
    ordering = ("business_unit",)
    change_list_template = "admin/typification/businessunitroute/change_list.html"
    fieldsets = ((None, {"fields": ("business_unit", "agent", "team", "note", "reason")}),)

    def get_queryset(self, request):
        paths = (
            TypificationHierarchy.objects.filter(business_unit=OuterRef("business_unit"))
            .order_by()
            .values("business_unit")
            .annotate(n=Count("*"))
            .values("n")
        )
        return super().get_queryset(request).annotate(paths=Coalesce(Subquery(paths, output_field=IntegerField()), 0))

    def get_changeform_initial_data(self, request):
        return {"business_unit": request.GET.get("business_unit", "")}

    @admin.display(description=_("handled by"))
    def target_display(self, obj):
        target_type = gettext("agent") if obj.target_type == "agent" else gettext("team")
        return f"{target_type} {obj.target_label}"

    @admin.display(description=_("typification paths"), ordering="paths")
    def path_count(self, obj):
        url = (
            reverse("admin:typification_typificationhierarchy_changelist")
            + "?"
            + urlencode({"business_unit": obj.business_unit})
        )
        return format_html('<a href="{}">{}</a>', url, obj.paths)

    def changelist_view(self, request, extra_context=None):
        routed = set(BusinessUnitRoute.objects.values_list("business_unit", flat=True))
        unrouted = [unit for unit in business_units() if unit not in routed]
        add_url = reverse("admin:typification_businessunitroute_add")
        extra = {"unrouted": [(unit, f"{add_url}?{urlencode({'business_unit': unit})}") for unit in unrouted]}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in ("business_unit", "agent", "team", "note")}
        reason = form.cleaned_data.get("reason", "")
        if change:
            business_unit_route_update(route=obj, actor=request.user, reason=reason, **fields)
        else:
            adopt(obj, business_unit_route_create(actor=request.user, reason=reason, **fields))
        _saved_to_draft(request)

    def delete_model(self, request, obj):
        business_unit_route_delete(route=obj, actor=request.user, reason="Deleted in the admin")

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                business_unit_route_delete(route=obj, actor=request.user, reason="Deleted in the admin list")


@admin.register(RoutingTable)
class RoutingTableAdmin(VersionedComponentAdmin):
    """The routing as one versioned component: its list is its one change page, which shows the draft
    against what is live with submit, review, publish, discard, history and rollback. Its content is
    edited in the typification path and route lists, so this page has no fields to save."""

    kind_type = "routing"
    fieldsets = (
        (_("Working copy (the draft)"), {"fields": ("paths_link", "routes_link", "tree_link")}),
        (_("Record"), {"fields": ("version", "revision", "updated_at")}),
    )
    readonly_fields = ("paths_link", "routes_link", "tree_link", "version", "revision", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def agno_sessions_url(self, obj):
        return None

    @admin.display(description=_("typification paths"))
    def paths_link(self, obj):
        url = reverse("admin:typification_typificationhierarchy_changelist")
        count = TypificationHierarchy.objects.count()
        label = ngettext("%(count)d path", "%(count)d paths", count) % {"count": count}
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("business-unit routes"))
    def routes_link(self, obj):
        url = reverse("admin:typification_businessunitroute_changelist")
        count = BusinessUnitRoute.objects.count()
        label = ngettext("%(count)d route", "%(count)d routes", count) % {"count": count}
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("tree"))
    def tree_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:typification_typificationhierarchy_tree"), gettext("Browse the tree")
        )

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(routing_page_url())

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":  # nothing to save here: the paths and routes are edited in their lists
            return HttpResponseNotAllowed(["GET"])
        extra = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "always_active": True,
            "title": gettext("Routing"),
            "no_draft_text": gettext("none — editing a typification path or a business-unit route starts one"),
            "draft_help": gettext(
                "Adding, changing or deleting typification paths and business-unit routes changes this draft only. "
                "Classification, the tree API, the runtime bundle and the routing console keep serving the live "
                "version until the draft is published."
            ),
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})
