"""The knowledge base in the admin, for business users: edit entries, spot near-duplicates, search by
meaning, import and export CSV, recompute embeddings. Every write goes through ``knowledge.services``,
``knowledge.embedding`` or ``knowledge.importing``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, F, FloatField, IntegerField, Q, Value, When
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin import ServiceBackedAdmin, page_context
from common.admin_exports import changelist_queryset
from knowledge.csv_format import stream_rows
from knowledge.embedders import EmbedderError, current_signature
from knowledge.forms import KnowledgeEntryForm, KnowledgeImportForm
from knowledge.importing import KnowledgeImportError, knowledge_import_csv
from knowledge.models import EmbeddingStatus, KnowledgeEntry
from knowledge.selectors import (
    MAX_SEARCH_LIMIT,
    knowledge_embedding_counts,
    knowledge_export_rows,
    knowledge_search,
    knowledge_similar_entries,
)
from knowledge.services import EDITABLE_FIELDS, knowledge_entry_create, knowledge_entry_delete, knowledge_entry_update

SIMILAR_PARAM = "similar"
NEAR_DUPLICATE_DISTANCE = 0.1


class EmbeddingStatusFilter(admin.SimpleListFilter):
    title = _("embedding")
    parameter_name = "embedding"

    def lookups(self, request, model_admin):
        return EmbeddingStatus.choices

    def queryset(self, request, queryset):
        current = Q(embedding_model=current_signature(), embedding_hash=F("content_hash"))
        if self.value() == EmbeddingStatus.MISSING:
            return queryset.filter(embedding_model="")
        if self.value() == EmbeddingStatus.CURRENT:
            return queryset.filter(current)
        if self.value() == EmbeddingStatus.STALE:
            return queryset.exclude(embedding_model="").exclude(current)
        return queryset


@admin.register(KnowledgeEntry)
class KnowledgeEntryAdmin(ServiceBackedAdmin):
    form = KnowledgeEntryForm
    list_display = ("short_question", "business_unit", "category", "embedding_state", "updated_at")
    list_filter = ("business_unit", "category", EmbeddingStatusFilter)
    search_fields = ("question", "answer")
    search_help_text = _("Finds entries whose question or answer contains these words.")
    list_per_page = 50
    readonly_fields = ("embedding_state", "embedding_model", "embedded_at", "content_hash", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("business_unit", "category", "subcategory", "question", "answer")}),
        (_("Extra data"), {"fields": ("metadata",), "classes": ("collapse",)}),
        (
            _("Search index"),
            {
                "fields": (
                    "embedding_state",
                    "embedding_model",
                    "embedded_at",
                    "content_hash",
                    "created_at",
                    "updated_at",
                ),
                "description": _("Filled automatically when the entry is saved."),
            },
        ),
    )
    actions = ["reembed_selected", "export_selected"]

    # --- list -------------------------------------------------------------------------------------

    @admin.display(description=_("question"), ordering="question")
    def short_question(self, obj):
        return str(obj)

    @admin.display(description=_("embedding"))
    def embedding_state(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        status = obj.embedding_status(current_signature())
        colour = {"current": "#2e7d32", "stale": "#b26a00", "missing": "#c62828"}[status]
        return format_html('<span style="color:{}">{}</span>', colour, EmbeddingStatus(status).label)

    @admin.display(description=_("similarity"))
    def similarity(self, obj):
        distance = getattr(obj, "_similarity_distance", None)
        return "-" if distance is None else f"{max(0.0, 1.0 - distance):.0%}"

    def get_list_display(self, request):
        if getattr(request, "_knowledge_similar", ""):
            return ("similarity", *self.list_display)
        return self.list_display

    def get_queryset(self, request):
        # The vector is never needed in lists (1,536 floats a row); the change page reads it on its own.
        query = getattr(request, "_knowledge_similar", "")
        if not query:
            return super().get_queryset(request).defer("embedding")
        # Ranked by similarity: the rank annotation must exist before get_ordering() is applied to it.
        queryset = self.model._default_manager.get_queryset().defer("embedding")
        results = self._similar_results(request, query)
        if not results:
            return queryset.annotate(_similarity_rank=Value(0), _similarity_distance=Value(None, FloatField())).none()
        ranks = [When(pk=r.id, then=Value(i)) for i, r in enumerate(results)]
        distances = [When(pk=r.id, then=Value(r.distance)) for r in results]
        return (
            queryset.filter(pk__in=[r.id for r in results])
            .annotate(
                _similarity_rank=Case(*ranks, output_field=IntegerField()),
                _similarity_distance=Case(*distances, output_field=FloatField()),
            )
            .order_by("_similarity_rank")
        )

    def get_ordering(self, request):
        if getattr(request, "_knowledge_similar", ""):
            return ["_similarity_rank"]
        return super().get_ordering(request)

    def _similar_results(self, request, query):
        cached = getattr(request, "_knowledge_similar_results", None)
        if cached is not None:
            return cached
        try:
            results = knowledge_search(
                query=query,
                business_unit=request.GET.get("business_unit__exact") or None,
                category=request.GET.get("category__exact") or None,
                limit=MAX_SEARCH_LIMIT,
            )
        except ValidationError as exc:
            messages.warning(request, " ".join(exc.messages))
            results = []
        except EmbedderError as exc:
            messages.error(request, gettext("The similarity search is unavailable: %(error)s") % {"error": exc})
            results = []
        request._knowledge_similar_results = results
        return results

    def changelist_view(self, request, extra_context=None):
        query = request.GET.get(SIMILAR_PARAM, "").strip()
        if SIMILAR_PARAM in request.GET:
            # Not a model field: the changelist would refuse it as an unknown lookup.
            params = request.GET.copy()
            del params[SIMILAR_PARAM]
            request.GET = params
        request._knowledge_similar = query[:1000]
        hidden = [(k, v) for k, values in request.GET.lists() for v in values if k not in ("p", "q", "o", "e")]
        context = {
            "similar_query": query,
            "similar_param": SIMILAR_PARAM,
            "similar_hidden": hidden,
            "embedding_counts": knowledge_embedding_counts(),
            "embedder_signature": current_signature(),
            "export_query": request.GET.urlencode(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    # --- change page ----------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if obj is not None and request.method == "GET":
            similar = knowledge_similar_entries(entry=obj, limit=5)
            context["similar_entries"] = [
                {
                    "result": r,
                    "similarity": max(0.0, 1.0 - r.distance),
                    "near_duplicate": r.distance <= NEAR_DUPLICATE_DISTANCE,
                    "url": reverse("admin:knowledge_knowledgeentry_change", args=[r.id]),
                }
                for r in similar
            ]
            context["has_embedding"] = bool(obj.embedding_model)
        return super().change_view(request, object_id, form_url, extra_context=context)

    audit_subject_type = "knowledge"

    def _data(self, form) -> dict:
        return {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data}

    def create(self, request, form):
        return self._warn_unembedded(
            request, knowledge_entry_create(**self._data(form), actor=request.user, reason="Created in the admin.")
        )

    def update(self, request, obj, form):
        return self._warn_unembedded(
            request,
            knowledge_entry_update(entry=obj, data=self._data(form), actor=request.user, reason="Edited in the admin."),
        )

    def delete(self, request, obj):
        knowledge_entry_delete(entry=obj, actor=request.user, reason="Deleted in the admin.")

    @staticmethod
    def _warn_unembedded(request, entry):
        if entry.embedding_error:
            messages.warning(
                request,
                gettext(
                    "Saved, but the search embedding could not be computed (%(error)s). "
                    "Use “Recompute search embeddings” on it later."
                )
                % {"error": entry.embedding_error},
            )
        return entry

    # --- actions ------------------------------------------------------------------------------------

    @admin.action(permissions=["change"], description=_("Recompute search embeddings of the selected entries"))
    def reembed_selected(self, request, queryset):
        """Queued on the job queue: an embedding provider takes seconds per batch, which no request should
        hold (on the SQLite fallback the job runs right after this request's transaction commits)."""
        from common.jobs import defer
        from knowledge.tasks import reembed_entries

        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]  # UUIDs, as JSON
        defer(reembed_entries, ids=ids, actor_id=request.user.pk, actor_name=request.user.get_username())
        messages.success(
            request,
            gettext(
                "Recomputing %(count)d embedding(s) in the background: the embedding column shows each one as it "
                "is done, and the audit log records it."
            )
            % {"count": len(ids)},
        )

    @admin.action(permissions=["view"], description=_("Export the selected entries to CSV"))
    def export_selected(self, request, queryset):
        return self._csv_response(queryset)

    def _csv_response(self, queryset):
        name = f"knowledge-{timezone.localtime():%Y%m%d-%H%M}.csv"
        response = StreamingHttpResponse(
            stream_rows(knowledge_export_rows(queryset=queryset)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    # --- extra pages -----------------------------------------------------------------------------------

    def get_urls(self):
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="knowledge_knowledgeentry_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="knowledge_knowledgeentry_export"),
        ]
        return extra + super().get_urls()

    def export_view(self, request):
        """All entries the changelist shows with the same filters and search, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        request._knowledge_similar = ""
        queryset = changelist_queryset(self, request)
        if isinstance(queryset, HttpResponse):
            return queryset
        return self._csv_response(queryset)

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = KnowledgeImportForm(request.POST, request.FILES) if request.method == "POST" else KnowledgeImportForm()
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = knowledge_import_csv(
                    data=upload.read(),
                    file_name=upload.name,
                    business_unit=form.cleaned_data["business_unit"] or None,
                    skip_invalid=form.cleaned_data["skip_invalid"],
                    actor=request.user,
                )
            except KnowledgeImportError as exc:
                problems = exc.messages
                form.add_error(
                    None,
                    gettext("Nothing was imported: %(count)d problem(s) in %(file)s.")
                    % {"count": len(problems), "file": upload.name},
                )
            else:
                messages.success(
                    request,
                    gettext(
                        "Imported %(file)s: %(created)d entries added, %(unchanged)d already present, "
                        "%(duplicates)d repeated in the file."
                    )
                    % {
                        "file": upload.name,
                        "created": report.created,
                        "unchanged": report.unchanged,
                        "duplicates": report.duplicates,
                    },
                )
                if report.skipped:
                    shown = "; ".join(report.skipped[:10]) + (" …" if len(report.skipped) > 10 else "")
                    messages.warning(
                        request,
                        gettext("%(count)d invalid row(s) skipped: %(rows)s")
                        % {"count": len(report.skipped), "rows": shown},
                    )
                if report.embedding_error:
                    messages.warning(
                        request,
                        gettext(
                            "The search embeddings could not be computed (%(error)s); "
                            "select the new entries and use “Recompute search embeddings”."
                        )
                        % {"error": report.embedding_error},
                    )
                return HttpResponseRedirect(reverse("admin:knowledge_knowledgeentry_changelist"))
        context = page_context(
            self,
            request,
            title=gettext("Import knowledge from a CSV file"),
            form=form,
            problems=problems,
            has_view_permission=self.has_view_permission(request),
        )
        return TemplateResponse(request, "admin/knowledge/knowledgeentry/import.html", context)
