"""The admin's release forms: start a rollout, schedule a step for later, end a rollout at a time.

They validate what a person typed (a number, a date) and hand the values to ``versioning.rollouts`` and
``versioning.schedules``, whose refusals come back as errors of these forms (``add_service_errors``).
A module of its own because ``versioning.forms`` imports the admin machinery that renders these forms.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def portal_time_zone_help() -> str:
    return gettext("In the portal's time zone (%(zone)s).") % {"zone": timezone.get_current_timezone_name()}


class ScheduleAtField(forms.DateTimeField):
    """The browser's ``datetime-local`` input: a wall-clock time, read in the portal's time zone
    (``TIME_ZONE``, made aware by Django's form field)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Schedule for"))
        super().__init__(**kwargs)


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ``ValidationError`` as errors of ``form``: on the field it names when the form has it,
    else on the form."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class ScheduleForm(forms.Form):
    """Publish or promote at a time instead of now. The note may be empty here: the view fills in its
    default (the draft's note) and the service asks for one."""

    # It shares a page (and the note) with "publish/promote now": the browser must not require the time.
    use_required_attribute = False

    run_at = ScheduleAtField(required=True)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["run_at"].help_text = portal_time_zone_help()


class RolloutStartForm(forms.Form):
    percent = forms.IntegerField(
        label=_("Share of sessions (%)"),
        min_value=1,
        max_value=99,
        help_text=_("1–99: the candidate's share (100% would be a promotion)."),
    )
    max_success_drop_points = forms.FloatField(
        label=_("Max success-rate drop (points)"),
        required=False,
        min_value=0,
        help_text=_("Empty: not guarded on the success rate."),
    )
    max_p95_increase_percent = forms.FloatField(
        label=_("Max p95 latency increase (%)"),
        required=False,
        min_value=0,
        help_text=_("Empty: not guarded on latency."),
    )
    min_runs = forms.IntegerField(
        label=_("Minimum runs per version"),
        min_value=1,
        initial=50,
        help_text=_("The guard judges once both versions have this many runs in the rollout."),
    )
    note = forms.CharField(label=_("Why this rollout?"), widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "percent": data["percent"],
            "max_success_drop_points": data["max_success_drop_points"],
            "max_p95_increase_percent": data["max_p95_increase_percent"],
            "min_runs": data["min_runs"],
            "note": data["note"],
        }


class RolloutEndAtForm(forms.Form):
    """End a running rollout at a time: complete (promote the candidate) or abort."""

    end = forms.ChoiceField(
        label=_("Then"),
        choices=[("complete", _("Complete (promote to 100%)")), ("abort", _("Abort (back to the baseline)"))],
        widget=forms.RadioSelect,
        initial="complete",
    )
    run_at = ScheduleAtField(label=_("End at"))
    note = forms.CharField(label=_("Why?"), widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["run_at"].help_text = portal_time_zone_help()
