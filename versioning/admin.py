"""The versioning app's own tables in the admin: versions, rollouts and scheduled releases (read-only lists;
rollouts and schedules are ended or cancelled here through their services), and "what was live when"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from common.admin import ReadOnlyAdmin, page_context
from versioning import rollouts, schedules, services
from versioning.admin_mixins import _refusal, _safe_next, schedule_with, scheduled_message
from versioning.components import get_kind
from versioning.forms import LiveAtForm
from versioning.models import ComponentVersion, Rollout, RolloutState, ScheduledRelease, ScheduleState
from versioning.release_forms import RolloutEndAtForm
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

    @admin.display(description=_("version"), ordering="version")
    def label(self, obj):
        return obj.label

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
                title=gettext("What was live when"),
                form=form,
                rows=rows,
                environment=environment,
                at=at,
                time_zone=timezone.get_current_timezone_name(),
            ),
        )


def _component_list_url(component_type: str, component_id: str) -> str | None:
    """The component's admin list filtered to it (no query: the list finds the row by its id field)."""
    try:
        kind = get_kind(component_type)
    except LookupError:
        return None
    opts = kind.model._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode({kind.id_field: component_id})}"


def _component_link(component_type: str, component_id: str):
    url = _component_list_url(component_type, component_id)
    label = f"{component_type} {component_id}"
    return format_html('<a href="{}">{}</a>', url, label) if url else label


class ReleaseStepAdmin(ReadOnlyAdmin):
    """Rows the release services write; publishers act on them through those services."""

    def has_publish_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(services.PUBLISH_PERMISSION)

    @admin.display(description=_("component"), ordering="component_id")
    def component(self, obj):
        return _component_link(obj.component_type, obj.component_id)


@admin.register(Rollout)
class RolloutAdmin(ReleaseStepAdmin):
    """Running and ended rollouts; a rollout's page shows the guard's last figures and, for publishers,
    Complete, Abort and "End at"."""

    list_display = (
        "component",
        "environment",
        "versions",
        "share",
        "state",
        "started_by_name",
        "started_at",
        "guarded_display",
    )
    list_filter = ("state", "environment", "component_type")
    search_fields = ("component_id",)
    list_select_related = ("baseline", "candidate")
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("baseline", "candidate")
            .defer("baseline__config", "candidate__config")
        )

    @admin.display(description=_("baseline → candidate"))
    def versions(self, obj):
        return f"v{obj.baseline.version} → v{obj.candidate.version}"

    @admin.display(description=_("share"), ordering="percent")
    def share(self, obj):
        return f"{obj.percent}%"

    @admin.display(description=_("guarded"), boolean=True)
    def guarded_display(self, obj):
        return obj.guarded

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The rollout's page: versions, thresholds, the guard's figures, and the publisher's actions."""
        rollout = self.get_object(request, object_id)
        if rollout is None:
            raise Http404(f"No rollout with ID {object_id}.")
        if not self.has_view_permission(request, rollout):
            raise PermissionDenied
        can_publish = self.has_publish_permission(request)
        here = reverse("admin:versioning_rollout_change", args=[rollout.pk])
        end_form = RolloutEndAtForm()
        if request.method == "POST":
            if not can_publish:
                raise PermissionDenied
            action = request.POST.get("action")
            if action == "schedule_end":
                end_form = RolloutEndAtForm(request.POST)
                complete = end_form.data.get("end") == "complete"
                scheduled = schedule_with(
                    end_form,
                    lambda run_at, note: schedules.schedule_rollout_end(
                        rollout_id=rollout.pk, complete=complete, run_at=run_at, actor=request.user, note=note
                    ),
                )
                if scheduled is not None:
                    messages.success(request, scheduled_message(scheduled))
                    return HttpResponseRedirect(here)
            else:
                self._end(request, rollout, action)
                return HttpResponseRedirect(here)
        return TemplateResponse(
            request,
            "admin/versioning/rollout.html",
            page_context(
                self,
                request,
                title=str(rollout),
                original=rollout,
                rollout=rollout,
                change_url=here,
                component_url=_component_list_url(rollout.component_type, rollout.component_id),
                compare_url=self.compare_url(rollout),
                figures=rollout.figures or {},
                figures_at=parse_datetime((rollout.figures or {}).get("at") or ""),
                can_publish=can_publish,
                running=rollout.state == RolloutState.RUNNING,
                end_form=end_form,
                schedules=[
                    {
                        "schedule": schedule,
                        "cancel_url": reverse("admin:versioning_scheduledrelease_cancel", args=[schedule.pk]),
                    }
                    for schedule in ScheduledRelease.objects.filter(rollout=rollout)
                    .select_related("version")
                    .defer("version__config")
                ],
            ),
        )

    def _end(self, request, rollout: Rollout, action: str | None) -> None:
        kind = get_kind(rollout.component_type)
        try:
            if action == "complete":
                rollouts.rollout_complete(
                    kind=kind, rollout_id=rollout.pk, actor=request.user, note=request.POST.get("note", "")
                )
                messages.success(
                    request,
                    gettext("Rollout completed: %(environment)s serves %(component)s v%(version)s to everyone.")
                    % {
                        "environment": rollout.environment,
                        "component": rollout.component_id,
                        "version": rollout.candidate.version,
                    },
                )
            elif action == "abort":
                rollouts.rollout_abort(
                    kind=kind, rollout_id=rollout.pk, actor=request.user, reason=request.POST.get("reason", "")
                )
                messages.warning(
                    request,
                    gettext("Rollout aborted: %(environment)s serves %(component)s v%(version)s to everyone again.")
                    % {
                        "environment": rollout.environment,
                        "component": rollout.component_id,
                        "version": rollout.baseline.version,
                    },
                )
            else:
                messages.error(request, gettext("Unknown rollout action."))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))

    @staticmethod
    def compare_url(rollout: Rollout) -> str | None:
        """The version comparison dashboard for baseline and candidate, found by its URL name: versioning
        does not import monitoring (None when it is not installed)."""
        try:
            url = reverse("admin:monitoring_agentmetric_compare")
        except NoReverseMatch:
            return None
        query: dict[str, str | int] = {
            "agent": rollout.component_id,
            "a": rollout.baseline.version,
            "b": rollout.candidate.version,
        }
        return f"{url}?{urlencode(query)}"


@admin.register(ScheduledRelease)
class ScheduledReleaseAdmin(ReleaseStepAdmin):
    """Release steps waiting for their time, and what happened when they ran; publishers cancel them."""

    list_display = (
        "run_at",
        "action",
        "component",
        "environment",
        "version_label",
        "state",
        "scheduled_by_name",
        "result",
        "cancel_button",
    )
    list_filter = ("state", "action", "environment", "component_type")
    search_fields = ("component_id", "note")
    list_select_related = ("version",)
    list_per_page = 100
    actions = ["cancel_selected"]
    change_form_template = "admin/versioning/scheduledrelease/change_form.html"
    readonly_fields = (
        "action", "component_type", "component_id", "environment", "version", "content_hash", "rollout", "run_at",
        "note", "state", "scheduled_by_name", "scheduled_at", "executed_at", "result", "cancelled_by_name",
    )  # fmt: skip
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("version").defer("version__config")

    @admin.display(description=_("version"), ordering="version__version")
    def version_label(self, obj):
        return f"v{obj.version.version}"

    @admin.display(description="")
    def cancel_button(self, obj):
        if obj.state != ScheduleState.SCHEDULED:
            return ""
        return format_html(
            '<button type="submit" class="button schedule-cancel" formaction="{}" name="cancel" value="{}">{}</button>',
            reverse("admin:versioning_scheduledrelease_cancel", args=[obj.pk]),
            obj.pk,
            gettext("Cancel"),
        )

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if self.has_publish_permission(request) else [f for f in shown if f != "cancel_button"]

    @admin.action(permissions=["publish"], description=_("Cancel selected scheduled releases"))
    def cancel_selected(self, request, queryset):
        cancelled = 0
        for schedule in queryset.filter(state=ScheduleState.SCHEDULED):
            try:
                schedules.schedule_cancel(schedule_id=schedule.pk, actor=request.user, reason="Cancelled in the admin")
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, _refusal(exc))
            else:
                cancelled += 1
        if cancelled:
            messages.success(
                request,
                ngettext("Cancelled %(count)d scheduled release.", "Cancelled %(count)d scheduled releases.", cancelled)
                % {"count": cancelled},
            )

    def get_urls(self):
        return [
            path(
                "<int:pk>/cancel/",
                self.admin_site.admin_view(require_POST(self.cancel_view)),
                name="versioning_scheduledrelease_cancel",
            ),
            *super().get_urls(),
        ]

    def cancel_view(self, request, pk):
        if not self.has_publish_permission(request):
            raise PermissionDenied
        try:
            schedule = schedules.schedule_cancel(
                schedule_id=pk, actor=request.user, reason=request.POST.get("reason", "") or "Cancelled in the admin"
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(
                request,
                gettext("Cancelled: %(component)s — %(step)s.")
                % {"component": schedule.component_id, "step": schedule.what},
            )
        return HttpResponseRedirect(_safe_next(request) or reverse("admin:versioning_scheduledrelease_changelist"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_cancel": self.has_publish_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)
