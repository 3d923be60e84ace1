"""Admin machinery shared by versioned components (agents, teams, the routing): status, review, publish,
rollback, timeline and compare pages, and each environment's version with promotion and environment
rollback. Every action calls a ``versioning.services`` or ``versioning.promotion`` function."""

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
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin import PortalHistoryAdmin, page_context
from versioning import gates, promotion, rollouts, schedules, services
from versioning.components import get_kind
from versioning.diffs import config_diff
from versioning.gates import GateRefused
from versioning.models import ComponentVersion, EnvironmentRelease, PromotionState, ReviewState, VersionStatus
from versioning.release_forms import RolloutStartForm, ScheduleForm, add_service_errors
from versioning.selectors import (
    EnvironmentState,
    component_history,
    component_running_rollouts,
    component_status,
    component_version,
    component_versions,
    environment_served,
    environment_states,
    environments,
    upcoming_schedules,
)

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


def _refusal(exc: ValidationError | PermissionDenied) -> str:
    """A service's refusal as a sentence for an admin message."""
    if isinstance(exc, ValidationError):
        return _errors(exc)
    return str(exc) or gettext("You do not have permission to do that.")


def _int_or_none(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _later_environment_annotation(environment: str) -> str:
    return f"environment_{environment.replace('-', '_')}_number"


def rollout_url(rollout) -> str:
    return reverse("admin:versioning_rollout_change", args=[rollout.pk])


def schedule_cancel_url(schedule) -> str:
    return reverse("admin:versioning_scheduledrelease_cancel", args=[schedule.pk])


def scheduled_message(schedule) -> str:
    at = timezone.localtime(schedule.run_at)
    return gettext("Scheduled: %(component)s — %(step)s at %(time)s (%(zone)s).") % {
        "component": schedule.component_id,
        "step": schedule.what,
        "time": f"{at:%Y-%m-%d %H:%M}",
        "zone": at.tzname(),
    }


def schedule_with(form: ScheduleForm, schedule, *, default_note: str = ""):
    """Run ``schedule(run_at=..., note=...)`` with a valid ``form``'s values; its refusals become the
    form's errors. Returns the schedule, or None (the form then says why)."""
    if not form.is_valid():
        return None
    try:
        return schedule(run_at=form.cleaned_data["run_at"], note=form.cleaned_data["note"] or default_note)
    except ValidationError as exc:
        add_service_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, _refusal(exc))
    return None


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
        # What each later environment serves: one subquery per environment, never a query per row.
        releases = {
            _later_environment_annotation(name): Subquery(
                EnvironmentRelease.objects.filter(
                    environment=name, component_type=self.kind_type, component_id=OuterRef(self.kind.id_field)
                ).values("version__version")[:1]
            )
            for name in environments()[1:]
        }
        return qs.annotate(
            published_number=Subquery(versions.filter(status=VersionStatus.PUBLISHED).values("version")[:1]),
            draft_number=Subquery(versions.filter(status=VersionStatus.DRAFT).values("version")[:1]),
            draft_review=Subquery(versions.filter(status=VersionStatus.DRAFT).values("review_state")[:1]),
            **releases,
        )

    @admin.display(description=_("status"))
    def status_badges(self, obj):
        parts = []
        published = getattr(obj, "published_number", None)
        draft = getattr(obj, "draft_number", None)
        if published:
            parts.append(
                format_html(
                    '<span class="hive-badge hive-badge--published">{}</span>',
                    gettext("live v%(version)s") % {"version": published},
                )
            )
        else:
            parts.append(
                format_html('<span class="hive-badge hive-badge--archived">{}</span>', gettext("never published"))
            )
        for name in environments()[1:]:
            number = getattr(obj, _later_environment_annotation(name), None)
            if number:
                parts.append(
                    format_html('<span class="hive-badge hive-badge--environment">{} v{}</span>', name, number)
                )
        if draft:
            review = getattr(obj, "draft_review", "") or ""
            label = str(dict(ReviewState.choices).get(review, "")) if review else gettext("draft")
            parts.append(format_html('<span class="hive-badge hive-badge--draft">v{} {}</span>', draft, label.lower()))
        if not obj.is_active:
            parts.append(format_html('<span class="hive-badge hive-badge--inactive">{}</span>', gettext("inactive")))
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
                    "environment_rows": self._environment_rows(obj),
                    "schedules": [
                        {"schedule": schedule, "cancel_url": schedule_cancel_url(schedule)}
                        for schedule in upcoming_schedules(self.kind_type, self.component_id_of(obj))
                    ],
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _environment_rows(self, obj) -> list[dict]:
        """The status panel's line per environment: what it serves, and against the environment before it a
        Compare link and the promotion page when they differ. None for a kind that is not promoted."""
        if not self.kind.promotable:
            return []
        states = environment_states(self.kind_type, self.component_id_of(obj))
        running = component_running_rollouts(self.kind_type, self.component_id_of(obj))
        rows: list[dict] = []
        for previous, state in zip([None, *states], states, strict=False):
            rollout = running.get(state.environment)
            row: dict = {
                "state": state,
                "source_version": previous.version if previous is not None else None,
                "differs": False,
                "compare_url": None,
                "promote_url": None,
                "rollout": rollout,
                "rollout_url": rollout_url(rollout) if rollout is not None else None,
            }
            if previous is not None and previous.version is not None:
                row["differs"] = state.version is None or state.version.pk != previous.version.pk
                if row["differs"]:
                    row["promote_url"] = self._url("promote", obj.pk, state.environment)
                    if state.version is not None:
                        row["compare_url"] = (
                            f"{self._url('compare', obj.pk)}?"
                            f"{urlencode({'a': state.version.version, 'b': previous.version.version})}"
                        )
            rows.append(row)
        return rows

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

    def delete_view(self, request, object_id, extra_context=None):
        # A refusal (still a team member, still included by an agent...) is a message on the form, not an error
        # page; Django's delete view runs in a transaction, so nothing of the refused deletion remains.
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return HttpResponseRedirect(self._url("change", object_id))

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
            path("<path:object_id>/promote/<str:environment>/", wrap(self.promote_view), name=f"{name}_promote"),
            path(
                "<path:object_id>/environments/<str:environment>/rollback/",
                wrap(self.environment_rollback_view),
                name=f"{name}_environment_rollback",
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
        schedule_form = ScheduleForm()
        gate_refused: GateRefused | None = None
        if request.method == "POST" and status.draft is not None and request.POST.get("action") == "schedule":
            schedule_form = ScheduleForm(request.POST)
            scheduled = schedule_with(
                schedule_form,
                lambda run_at, note: schedules.schedule_publish(
                    component_type=self.kind_type,
                    component_id=component_id,
                    run_at=run_at,
                    actor=request.user,
                    note=note,
                ),  # fmt: skip
                default_note=status.draft.change_note,
            )
            if scheduled is not None:
                messages.success(request, scheduled_message(scheduled))
                return HttpResponseRedirect(self._url("change", obj.pk))
        elif request.method == "POST" and status.draft is not None:
            try:
                version = services.component_publish(
                    kind=self.kind,
                    component_id=component_id,
                    actor=request.user,
                    note=request.POST.get("note", ""),
                    override=request.POST.get("override", "") if request.POST.get("action") == "override" else "",
                )
            except GateRefused as exc:
                gate_refused = exc
                messages.error(request, _errors(exc))
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
            else:
                messages.success(
                    request,
                    gettext("Published %(component)s %(version)s. The runtime serves it now.")
                    % {"component": component_id, "version": version.label},
                )
                return HttpResponseRedirect(self._url("change", obj.pk))
        diff = self.config_diff(
            status.published.config if status.published else {}, status.draft.config if status.draft else {}
        )
        panels = gates.review_panels(
            request, kind=self.kind, component_id=component_id, candidate=status.draft, baseline=status.published
        ) if status.draft is not None else []  # fmt: skip
        return TemplateResponse(
            request,
            "admin/versioning/publish.html",
            self._context(
                request,
                obj,
                gettext("Publish %(component)s") % {"component": component_id},
                status=status,
                diff=diff,
                require_review=settings.HIVE_REQUIRE_REVIEW,
                can_publish=can_publish,
                can_review=self.has_review_permission(request, obj),
                schedule_form=schedule_form,
                review_panels=panels,
                gate_refused=gate_refused,
                may_override=gate_refused is not None and gate_refused.may_override(request.user),
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
                    raise PermissionDenied(gettext("You cannot submit drafts."))
                services.draft_submit(kind=self.kind, component_id=component_id, actor=request.user, note=note)
                messages.success(
                    request, gettext("%(component)s was submitted for review.") % {"component": component_id}
                )
            elif action == "discard":
                services.draft_discard(kind=self.kind, component_id=component_id, actor=request.user, reason=note)
                messages.success(
                    request,
                    gettext("The draft of %(component)s was discarded; the form shows the live version again.")
                    % {"component": component_id},
                )
            elif action == "approve":
                services.draft_approve(kind=self.kind, component_id=component_id, actor=request.user, note=note)
                messages.success(
                    request,
                    gettext("The draft of %(component)s is approved and can be published.")
                    % {"component": component_id},
                )
            elif action == "reject":
                services.draft_reject(kind=self.kind, component_id=component_id, actor=request.user, reason=note)
                messages.warning(
                    request,
                    gettext("The draft of %(component)s was sent back to its authors.") % {"component": component_id},
                )
            else:
                messages.error(request, gettext("Unknown review action."))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except PermissionDenied as exc:
            messages.error(request, _refusal(exc))
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
            message = gettext("%(component)s is now active.") if active else gettext("%(component)s is now inactive.")
            messages.success(request, message % {"component": self.component_id_of(obj)})
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
        can_publish = self.has_publish_permission(request, obj)
        environment_rows = [
            {
                "state": state,
                "earlier": [
                    n
                    for n in environment_served(self.kind_type, component_id, state.environment)
                    if state.version is None or n != state.version.version
                ],
                "rollback_url": self._url("environment_rollback", obj.pk, state.environment),
            }
            for state in environment_states(self.kind_type, component_id)
            if not state.is_first
        ]
        return TemplateResponse(
            request,
            "admin/versioning/timeline.html",
            self._context(
                request,
                obj,
                gettext("History of %(component)s") % {"component": component_id},
                versions=versions,
                history=history,
                compare_url=self._url("compare", obj.pk),
                can_publish=can_publish,
                rollback_base=self._url("rollback", obj.pk, 0)[: -len("0/")],
                environment_rows=environment_rows,
            ),
        )

    def compare_view(self, request, object_id):
        obj = self._object_or_404(request, object_id)
        component_id = self.component_id_of(obj)
        numbers = sorted(component_versions(self.kind_type, component_id).values_list("version", flat=True))
        if not numbers:
            messages.info(request, gettext("Nothing to compare yet: this component has no versions."))
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
                gettext("Compare versions of %(component)s") % {"component": component_id},
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
                    request,
                    gettext("Rolled back: %(component)s %(new)s now carries v%(version)s's configuration.")
                    % {"component": component_id, "new": new.label, "version": version},
                )
                return HttpResponseRedirect(self._url("versions", obj.pk))
        return TemplateResponse(
            request,
            "admin/versioning/rollback.html",
            self._context(
                request,
                obj,
                gettext("Roll back %(component)s to v%(version)s") % {"component": component_id, "version": version},
                target=target,
                status=status,
                diff=self.config_diff(status.published.config if status.published else {}, target.config),
            ),
        )

    # --- Environments: promotion and environment rollback ------------------------------------------

    def promote_view(self, request, object_id, environment):
        """What ``environment`` would serve if the environment before it were promoted: the diff, and —
        depending on role, ``HIVE_REQUIRE_REVIEW`` and the open request — promote, request, approve, reject
        or cancel. Anyone who may view the component reads the page."""
        obj = self._object_or_404(request, object_id)
        component_id = self.component_id_of(obj)
        can_publish = self.has_publish_permission(request, obj)
        can_review = self.has_review_permission(request, obj)
        try:
            source = promotion.source_environment(environment)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return HttpResponseRedirect(self._url("change", obj.pk))
        rollout_form, schedule_form = None, None
        if request.method == "POST":
            if not (can_publish or can_review):
                raise PermissionDenied
            action = request.POST.get("action")
            if action == "rollout":
                rollout_form = RolloutStartForm(request.POST)
                rollout = self._start_rollout(request, rollout_form, component_id, environment)
                if rollout is not None:
                    return HttpResponseRedirect(rollout_url(rollout))
            elif action == "schedule":
                schedule_form = ScheduleForm(request.POST)
                scheduled = schedule_with(
                    schedule_form,
                    lambda run_at, note: schedules.schedule_promote(
                        component_type=self.kind_type,
                        component_id=component_id,
                        environment=environment,
                        run_at=run_at,
                        actor=request.user,
                        note=note,
                    ),  # fmt: skip
                )
                if scheduled is not None:
                    messages.success(request, scheduled_message(scheduled))
                    return HttpResponseRedirect(self._url("change", obj.pk))
            else:
                return self._promotion_action(request, obj, component_id, environment)
        states = {state.environment: state for state in environment_states(self.kind_type, component_id)}
        target: EnvironmentState = states[environment]
        origin: EnvironmentState = states[source]
        open_request = target.request
        requested_by_me = open_request is not None and open_request.requested_by_id == request.user.pk
        same = origin.version is not None and target.version is not None and origin.version.pk == target.version.pk
        diff = self.config_diff(
            target.version.config if target.version else {}, origin.version.config if origin.version else {}
        )
        running = component_running_rollouts(self.kind_type, component_id).get(environment)
        panels = gates.review_panels(
            request, kind=self.kind, component_id=component_id, candidate=origin.version, baseline=target.version,
            environment=environment,
        ) if origin.version is not None and not same else []  # fmt: skip
        gate_refused = request.GET.get("gate") == "refused" or getattr(rollout_form, "gate_refused", False)
        return TemplateResponse(
            request,
            "admin/versioning/promote.html",
            self._context(
                request,
                obj,
                gettext("Promote %(component)s to %(environment)s")
                % {"component": component_id, "environment": environment},
                environment=environment,
                source=source,
                origin=origin,
                target=target,
                same=same,
                diff=diff,
                open_request=open_request,
                request_is_stale=open_request is not None
                and (origin.version is None or open_request.version_id != origin.version.pk),
                require_review=settings.HIVE_REQUIRE_REVIEW,
                can_publish=can_publish,
                # Four eyes: the requester does not see the review buttons (the service refuses them too).
                can_review_request=can_review
                and open_request is not None
                and not requested_by_me
                and open_request.state == PromotionState.REQUESTED,
                can_cancel=open_request is not None and (can_publish or requested_by_me),
                can_roll_out=self.kind_type in rollouts.ROLLOUT_KINDS,
                running_rollout=running,
                running_rollout_url=rollout_url(running) if running is not None else None,
                rollout_form=rollout_form or RolloutStartForm(),
                schedule_form=schedule_form or ScheduleForm(),
                review_panels=panels,
                show_override=gate_refused and gates.may_override(request.user),
            ),
        )

    def _start_rollout(self, request, form: RolloutStartForm, component_id: str, environment: str):
        """Start the rollout the form asks for; refusals become the form's errors. Returns the rollout."""
        if not form.is_valid():
            return None
        try:
            rollout = rollouts.rollout_start(
                kind=self.kind, component_id=component_id, environment=environment, actor=request.user,
                version=_int_or_none(request.POST.get("version")), override=request.POST.get("override", ""),
                **form.service_arguments(),
            )  # fmt: skip
        except ValidationError as exc:
            form.gate_refused = isinstance(exc, GateRefused)  # type: ignore[attr-defined]
            add_service_errors(form, exc)
            return None
        except PermissionDenied as exc:
            form.add_error(None, _refusal(exc))
            return None
        values = {
            "component": component_id,
            "version": rollout.candidate.version,
            "percent": rollout.percent,
            "environment": environment,
        }
        if rollout.guarded:
            message = gettext(
                "Rolling out %(component)s v%(version)s to %(percent)s%% of %(environment)s (guarded). "
                "Runtimes pick it up on their next request."
            )
        else:
            message = gettext(
                "Rolling out %(component)s v%(version)s to %(percent)s%% of %(environment)s. "
                "Runtimes pick it up on their next request."
            )
        messages.success(request, message % values)
        return rollout

    def _promotion_action(self, request, obj, component_id: str, environment: str):
        here = self._url("promote", obj.pk, environment)
        action = request.POST.get("action")
        note = request.POST.get("note", "")
        common = {"kind": self.kind, "component_id": component_id, "environment": environment, "actor": request.user}
        names = {"component": component_id, "environment": environment}
        try:
            if action == "promote":
                release = promotion.component_promote(
                    **common, note=note, version=_int_or_none(request.POST.get("version")),
                    override=request.POST.get("override", ""),
                )  # fmt: skip
                messages.success(
                    request,
                    gettext(
                        "Promoted %(component)s v%(version)s to %(environment)s. "
                        "Runtimes with a %(environment)s key are served it now."
                    )
                    % {**names, "version": release.version.version},
                )
                return HttpResponseRedirect(self._url("change", obj.pk))
            if action == "request":
                promotion_request = promotion.promotion_request(
                    **common, note=note, version=_int_or_none(request.POST.get("version"))
                )
                messages.success(
                    request,
                    gettext(
                        "Promotion of %(component)s v%(version)s to %(environment)s requested: "
                        "another publisher reviews it."
                    )
                    % {**names, "version": promotion_request.version.version},
                )
            elif action == "approve":
                promotion.promotion_approve(**common, note=note)
                messages.success(
                    request, gettext("Approved: a publisher can now promote %(component)s to %(environment)s.") % names
                )
            elif action == "reject":
                promotion.promotion_reject(**common, reason=note)
                messages.warning(
                    request, gettext("The promotion of %(component)s to %(environment)s was rejected.") % names
                )
            elif action == "cancel":
                promotion.promotion_cancel(**common, reason=note)
                messages.success(
                    request,
                    gettext("The promotion request of %(component)s to %(environment)s was cancelled.") % names,
                )
            else:
                messages.error(request, gettext("Unknown promotion action."))
        except GateRefused as exc:
            messages.error(request, _refusal(exc))
            return HttpResponseRedirect(f"{here}?gate=refused")  # the page then offers the override to who may
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))
        return HttpResponseRedirect(here)

    def environment_rollback_view(self, request, object_id, environment):
        """Make a later environment serve again a version it served before (publishers; from the history
        page, which lists the versions it may go back to)."""
        obj = self._object_or_404(request, object_id)
        versions_url = self._url("versions", obj.pk)
        if request.method != "POST":
            return HttpResponseRedirect(versions_url)
        if not self.has_publish_permission(request, obj):
            raise PermissionDenied
        component_id = self.component_id_of(obj)
        to_version = _int_or_none(request.POST.get("to_version"))
        if to_version is None:
            messages.error(request, gettext("Choose the version to roll back to."))
            return HttpResponseRedirect(versions_url)
        try:
            promotion.environment_rollback(
                kind=self.kind,
                component_id=component_id,
                environment=environment,
                to_version=to_version,
                actor=request.user,
                note=request.POST.get("note", ""),
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(
                request,
                gettext("Rolled back: %(environment)s serves %(component)s v%(version)s again.")
                % {"environment": environment, "component": component_id, "version": to_version},
            )
        return HttpResponseRedirect(versions_url)
