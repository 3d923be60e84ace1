"""Admin machinery shared by versioned components (agents, teams): status, review, publish, rollback,
timeline and compare pages. Every action calls a ``versioning.services`` function."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from common.admin import PortalHistoryAdmin, page_context
from versioning import services
from versioning.components import get_kind
from versioning.diffs import config_diff
from versioning.models import ComponentVersion, ReviewState, VersionStatus
from versioning.selectors import component_history, component_status, component_version, component_versions

SNAPSHOT_SALT = "hive.versioning.base_snapshot"


def _safe_next(request) -> str | None:
    """The posted ``next`` address when it is relative or on this host (never another site)."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def sign_snapshot(snapshot: dict) -> str:
    return signing.dumps(snapshot, salt=SNAPSHOT_SALT, compress=True)


def unsign_snapshot(value: str) -> dict | None:
    try:
        return signing.loads(value, salt=SNAPSHOT_SALT)
    except signing.BadSignature:
        return None


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(f"{m}" for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


class VersionedComponentAdmin(PortalHistoryAdmin):
    """Base admin for agents and teams: the form edits the draft; publishing is a separate, explicit step."""

    kind_type: str = ""
    change_form_template = "admin/versioning/component_change_form.html"

    # --- Helpers -----------------------------------------------------------------------------

    @property
    def kind(self):
        return get_kind(self.kind_type)

    def component_id_of(self, obj) -> str:
        return self.kind.component_id(obj)

    @property
    def audit_subject_type(self) -> str:  # type: ignore[override]
        return self.kind_type

    def audit_subject_id(self, obj) -> str:
        return self.component_id_of(obj)

    def config_diff(self, before: dict | None, after: dict | None):
        """Two configurations' differences for people: the kind's own presentation, else the generic one."""
        return (self.kind.diff or config_diff)(before or {}, after or {})

    def has_publish_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(services.PUBLISH_PERMISSION)

    def has_review_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(services.REVIEW_PERMISSION)

    def _url(self, name: str, *args) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args)

    # --- Changelist: status without a query per row ------------------------------------------

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        versions = ComponentVersion.objects.filter(
            component_type=self.kind_type, component_id=OuterRef(self.kind.id_field)
        )
        return qs.annotate(
            published_number=Subquery(versions.filter(status=VersionStatus.PUBLISHED).values("version")[:1]),
            draft_number=Subquery(versions.filter(status=VersionStatus.DRAFT).values("version")[:1]),
            draft_review=Subquery(versions.filter(status=VersionStatus.DRAFT).values("review_state")[:1]),
        )

    @admin.display(description="status")
    def status_badges(self, obj):
        parts = []
        published = getattr(obj, "published_number", None)
        draft = getattr(obj, "draft_number", None)
        if published:
            parts.append(format_html('<span class="hive-badge hive-badge--published">live v{}</span>', published))
        else:
            parts.append(format_html('<span class="hive-badge hive-badge--archived">{}</span>', "never published"))
        if draft:
            review = getattr(obj, "draft_review", "") or ""
            label = dict(ReviewState.choices).get(review, "") if review else "draft"
            parts.append(format_html('<span class="hive-badge hive-badge--draft">v{} {}</span>', draft, label.lower()))
        if not obj.is_active:
            parts.append(format_html('<span class="hive-badge hive-badge--inactive">{}</span>', "inactive"))
        return format_html(" ".join(["{}"] * len(parts)), *parts)

    # --- The change form ---------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.versioned_kind = self.kind
        return form

    def get_changeform_initial_data(self, request):
        return super().get_changeform_initial_data(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None:
            status = component_status(self.kind_type, self.component_id_of(obj))
            extra_context.update(
                {
                    "component_status": status,
                    "can_publish": self.has_publish_permission(request, obj),
                    "can_review": self.has_review_permission(request, obj),
                    "can_change": self.has_change_permission(request, obj),
                    "require_review": settings.HIVE_REQUIRE_REVIEW,
                    "publish_url": self._url("publish", obj.pk),
                    "review_url": self._url("review", obj.pk),
                    "versions_url": self._url("versions", obj.pk),
                    "activate_url": self._url("activate", obj.pk),
                    "component_label": self.component_id_of(obj),
                    "agno_sessions_url": self.agno_sessions_url(obj),
                    "dashboard_url": self.dashboard_url(obj),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def agno_sessions_url(self, obj) -> str | None:
        """The runtime's sessions of this component, read from Agno's own tables by the monitoring admin —
        found by its URL name, so versioning does not import monitoring (None when it is not installed)."""
        try:
            url = reverse("admin:monitoring_agnosession_changelist")
        except NoReverseMatch:
            return None
        return f"{url}?{urlencode({self.kind.id_field: self.component_id_of(obj)})}"

    def dashboard_url(self, obj) -> str | None:
        return None

    def delete_model(self, request, obj):
        services.component_delete(
            kind=self.kind, component_id=self.component_id_of(obj), actor=request.user, reason="Deleted in the admin"
        )

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # all or nothing: one refused component leaves every one in place
            for obj in queryset:
                self.delete_model(request, obj)

    # --- Extra pages -------------------------------------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/publish/", wrap(self.publish_view), name=f"{name}_publish"),
            path("<path:object_id>/review/", wrap(self.review_view), name=f"{name}_review"),
            path("<path:object_id>/activate/", wrap(self.activate_view), name=f"{name}_activate"),
            path("<path:object_id>/versions/", wrap(self.versions_view), name=f"{name}_versions"),
            path("<path:object_id>/compare/", wrap(self.compare_view), name=f"{name}_compare"),
            path(
                "<path:object_id>/rollback/<int:version>/",
                wrap(self.rollback_view),
                name=f"{name}_rollback",
            ),
        ] + super().get_urls()

    def _object_or_404(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404(f"No {self.model._meta.verbose_name} with ID {object_id}.")
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _context(self, request, obj, title: str, **extra):
        return page_context(
            self,
            request,
            title=title,
            original=obj,
            component_label=self.component_id_of(obj),
            change_url=self._url("change", obj.pk),
            versions_url=self._url("versions", obj.pk),
            **extra,
        )

    def publish_view(self, request, object_id):
        """The draft's changes against the live version: anyone who may view the component reads them
        ("See changes"), reviewers approve or reject here, publishers publish."""
        obj = self._object_or_404(request, object_id)
        can_publish = self.has_publish_permission(request, obj)
        if request.method == "POST" and not can_publish:
            raise PermissionDenied
        component_id = self.component_id_of(obj)
        status = component_status(self.kind_type, component_id)
        if request.method == "POST" and status.draft is not None:
            try:
                version = services.component_publish(
                    kind=self.kind, component_id=component_id, actor=request.user, note=request.POST.get("note", "")
                )
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
            else:
                messages.success(request, f"Published {component_id} {version.label}. The runtime serves it now.")
                return HttpResponseRedirect(self._url("change", obj.pk))
        diff = self.config_diff(
            status.published.config if status.published else {}, status.draft.config if status.draft else {}
        )
        return TemplateResponse(
            request,
            "admin/versioning/publish.html",
            self._context(
                request,
                obj,
                f"Publish {component_id}",
                status=status,
                diff=diff,
                require_review=settings.HIVE_REQUIRE_REVIEW,
                can_publish=can_publish,
                can_review=self.has_review_permission(request, obj),
            ),
        )

    def review_view(self, request, object_id):
        obj = self._object_or_404(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._url("publish", obj.pk))
        component_id = self.component_id_of(obj)
        action = request.POST.get("action")
        note = request.POST.get("note", "")
        try:
            if action == "submit":
                if not self.has_change_permission(request, obj):
                    raise PermissionDenied("You cannot submit drafts.")
                services.draft_submit(kind=self.kind, component_id=component_id, actor=request.user, note=note)
                messages.success(request, f"{component_id} was submitted for review.")
            elif action == "discard":
                services.draft_discard(kind=self.kind, component_id=component_id, actor=request.user, reason=note)
                messages.success(
                    request, f"The draft of {component_id} was discarded; the form shows the live version again."
                )
            elif action == "approve":
                services.draft_approve(kind=self.kind, component_id=component_id, actor=request.user, note=note)
                messages.success(request, f"The draft of {component_id} is approved and can be published.")
            elif action == "reject":
                services.draft_reject(kind=self.kind, component_id=component_id, actor=request.user, reason=note)
                messages.warning(request, f"The draft of {component_id} was sent back to its authors.")
            else:
                messages.error(request, "Unknown review action.")
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except PermissionDenied as exc:
            messages.error(request, str(exc) or "You do not have permission to do that.")
        return HttpResponseRedirect(_safe_next(request) or self._url("change", obj.pk))

    def activate_view(self, request, object_id):
        obj = self._object_or_404(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._url("change", obj.pk))
        if not self.has_publish_permission(request, obj):
            raise PermissionDenied
        active = request.POST.get("active") == "1"
        try:
            services.component_set_active(
                kind=self.kind,
                component_id=self.component_id_of(obj),
                active=active,
                actor=request.user,
                reason=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, f"{self.component_id_of(obj)} is now {'active' if active else 'inactive'}.")
        return HttpResponseRedirect(self._url("change", obj.pk))

    def versions_view(self, request, object_id):
        obj = self._object_or_404(request, object_id)
        component_id = self.component_id_of(obj)
        versions = list(
            component_versions(self.kind_type, component_id).only(
                "version",
                "status",
                "change_note",
                "created_by_name",
                "created_at",
                "published_by_name",
                "published_at",
                "rolled_back_from",
                "review_state",
                "content_hash",
            )
        )
        history = list(component_history(self.kind_type, component_id)[:500])
        return TemplateResponse(
            request,
            "admin/versioning/timeline.html",
            self._context(
                request,
                obj,
                f"History of {component_id}",
                versions=versions,
                history=history,
                compare_url=self._url("compare", obj.pk),
                can_publish=self.has_publish_permission(request, obj),
                rollback_base=self._url("rollback", obj.pk, 0)[: -len("0/")],
            ),
        )

    def compare_view(self, request, object_id):
        obj = self._object_or_404(request, object_id)
        component_id = self.component_id_of(obj)
        numbers = sorted(component_versions(self.kind_type, component_id).values_list("version", flat=True))
        if not numbers:
            messages.info(request, "Nothing to compare yet: this component has no versions.")
            return HttpResponseRedirect(self._url("change", obj.pk))

        def pick(name, default):
            raw = request.GET.get(name)
            try:
                value = int(raw) if raw else default
            except ValueError:
                value = default
            return value if value in numbers else default

        a = pick("a", numbers[-2] if len(numbers) > 1 else numbers[-1])
        b = pick("b", numbers[-1])
        va = component_version(self.kind_type, component_id, a)
        vb = component_version(self.kind_type, component_id, b)
        return TemplateResponse(
            request,
            "admin/versioning/compare.html",
            self._context(
                request,
                obj,
                f"Compare versions of {component_id}",
                numbers=numbers,
                a=va,
                b=vb,
                diff=self.config_diff(va.config, vb.config),
            ),
        )

    def rollback_view(self, request, object_id, version):
        obj = self._object_or_404(request, object_id)
        if not self.has_publish_permission(request, obj):
            raise PermissionDenied
        component_id = self.component_id_of(obj)
        target = component_version(self.kind_type, component_id, version)
        if target is None:
            raise Http404(f"{component_id} has no version {version}.")
        status = component_status(self.kind_type, component_id)
        if request.method == "POST":
            try:
                new = services.component_rollback(
                    kind=self.kind,
                    component_id=component_id,
                    to_version=version,
                    actor=request.user,
                    note=request.POST.get("note", ""),
                )
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
            else:
                messages.success(
                    request, f"Rolled back: {component_id} {new.label} now carries v{version}'s configuration."
                )
                return HttpResponseRedirect(self._url("versions", obj.pk))
        return TemplateResponse(
            request,
            "admin/versioning/rollback.html",
            self._context(
                request,
                obj,
                f"Roll back {component_id} to v{version}",
                target=target,
                status=status,
                diff=self.config_diff(status.published.config if status.published else {}, target.config),
            ),
        )
