from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.models import AuditSubject
from common.admin import ReadOnlyAdmin, ServiceBackedAdmin, page_context
from evaluations import selectors, services
from evaluations.admin_panels import may_run, panel_context
from evaluations.forms import EvalCaseForm
from evaluations.models import EvalCase, EvalRun, EvalSuite, GateDecision
from versioning.models import ComponentVersion
from versioning.selectors import component_version, published_version


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@admin.register(EvalCase)
class EvalCaseAdmin(ServiceBackedAdmin):
    form = EvalCaseForm
    list_display = ("name", "component_type", "component_id", "critical", "is_active", "expected_member", "updated_at")
    list_filter = ("component_type", "critical", "is_active", "component_id")
    search_fields = ("name", "message", "component_id")
    audit_subject_type = AuditSubject.TEST_CASE
    fieldsets = (
        (None, {"fields": ("component", "name", "message", "context", "critical", "is_active")}),
        (
            _("What the answer must do"),
            {"fields": ("expected_member", "must_contain", "must_not_contain", "max_length", "output_schema")},
        ),
        (_("Tools"), {"fields": ("tools_called", "tools_not_called", "tool_results")}),
        (_("Judge (optional)"), {"fields": ("judge_rubric", "judge_min_score")}),
    )

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        component_type, component_id = request.GET.get("component_type"), request.GET.get("component_id")
        if component_type and component_id:
            initial["component"] = f"{component_type}:{component_id}"
        return initial

    def create(self, request, form):
        return services.case_create(actor=request.user, **form.service_fields())

    def update(self, request, obj, form):
        return services.case_update(case=obj, actor=request.user, **form.service_fields())

    def delete(self, request, obj):
        services.case_delete(case=obj, actor=request.user)


@admin.register(EvalSuite)
class EvalSuiteAdmin(ServiceBackedAdmin):
    list_display = ("__str__", "min_pass_rate", "updated_by_name", "updated_at")
    fields = ("component_type", "component_id", "min_pass_rate")
    audit_subject_type = AuditSubject.TEST_SUITE

    def get_readonly_fields(self, request, obj=None):
        return ("component_type", "component_id") if obj else ()

    def create(self, request, form):
        data = form.cleaned_data
        return services.suite_set(
            component_type=data["component_type"], component_id=data["component_id"],
            min_pass_rate=data["min_pass_rate"], actor=request.user,
        )  # fmt: skip

    def update(self, request, obj, form):
        return services.suite_set(
            component_type=obj.component_type, component_id=obj.component_id,
            min_pass_rate=form.cleaned_data["min_pass_rate"], actor=request.user,
        )  # fmt: skip

    def delete(self, request, obj):
        services.suite_delete(suite=obj, actor=request.user)


@admin.register(EvalRun)
class EvalRunAdmin(ReadOnlyAdmin):
    list_display = (
        "component_id", "component_type", "candidate_version", "baseline_version", "state", "completed", "total",
        "reused", "max_in_flight", "requested_by_name", "created_at", "finished_at",
    )  # fmt: skip
    list_filter = ("state", "component_type")
    search_fields = ("component_id",)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "review/<str:component_type>/<str:component_id>/<int:version>/",
                wrap(self.review_view),
                name="evaluations_evalrun_review",
            ),
            path(
                "start/<str:component_type>/<str:component_id>/<int:version>/",
                wrap(self.start_view),
                name="evaluations_evalrun_start",
            ),
            path("<int:run_id>/progress/", wrap(self.progress_view), name="evaluations_evalrun_progress"),
        ] + super().get_urls()

    def _version(self, request, component_type: str, component_id: str, version: int) -> ComponentVersion:
        if not self.has_view_permission(request):
            raise PermissionDenied
        row = component_version(component_type, component_id, version)
        if row is None or component_type not in ("agent", "team"):
            raise Http404(
                gettext("No version %(version)s of %(type)s %(id)s.")
                % {"version": version, "type": component_type, "id": component_id}
            )
        return row

    def review_view(self, request, component_type: str, component_id: str, version: int):
        """A version against another (``?baseline=N``; default: the version live in the first environment when
        it is not this one), case by case — the page the audit row of a publish links to."""
        candidate = self._version(request, component_type, component_id, version)
        baseline_number = request.GET.get("baseline", "")
        if baseline_number.isdigit():
            baseline = self._version(request, component_type, component_id, int(baseline_number))
        else:
            _, live = services.review_pair(component_type, component_id)
            baseline = live if live is not None and live.pk != candidate.pk else None
            if baseline is None:
                published = published_version(component_type, component_id)
                baseline = published if published is not None and published.pk != candidate.pk else None
        found = selectors.comparison(component_type, component_id, candidate, baseline)
        run = selectors.latest_run(component_type, component_id, found.candidate.fingerprint)
        decisions = GateDecision.objects.filter(
            component_type=component_type, component_id=component_id, candidate_version=version
        )
        return TemplateResponse(
            request,
            "admin/evaluations/review.html",
            page_context(
                self,
                request,
                title=gettext("Test cases of %(id)s v%(version)s") % {"id": component_id, "version": version},
                panel=panel_context(request, found, run, next_url=request.get_full_path()),
                decisions=decisions,
            ),  # fmt: skip
        )

    def start_view(self, request, component_type: str, component_id: str, version: int):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:evaluations_evalrun_changelist"))
        if not may_run(request.user):
            raise PermissionDenied
        candidate = self._version(request, component_type, component_id, version)
        baseline_number = request.POST.get("baseline", "")
        try:
            run = services.evaluation_request(
                component_type=component_type, component_id=component_id, actor=request.user,
                candidate_version=candidate.version,
                baseline_version=int(baseline_number) if baseline_number.isdigit() else None,
                environment=services.known_environment(request.POST.get("environment", "")),
            )  # fmt: skip
        except ValidationError as exc:
            messages.error(request, _messages_of(exc))
        else:
            if run.total:
                messages.success(
                    request,
                    gettext("Evaluating %(id)s: %(count)d case run(s) queued.")
                    % {"id": component_id, "count": run.total},
                )
            else:
                messages.info(request, gettext("Every case already has a result for these versions."))
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:evaluations_evalrun_review", args=[component_type, component_id, version])
        return HttpResponseRedirect(target)

    def progress_view(self, request, run_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = EvalRun.objects.filter(pk=run_id).first()
        if run is None:
            raise Http404(gettext("No such evaluation run."))
        return JsonResponse(
            {
                "state": run.state,
                "active": run.is_active,
                "completed": run.completed,
                "total": run.total,
                "error": run.error,
            }  # fmt: skip
        )


@admin.register(GateDecision)
class GateDecisionAdmin(ReadOnlyAdmin):
    list_display = (
        "component_id", "component_type", "action", "environment", "candidate_version", "baseline_version",
        "outcome", "decided_by_name", "decided_at",
    )  # fmt: skip
    list_filter = ("outcome", "action", "component_type")
    search_fields = ("component_id", "override_reason")
