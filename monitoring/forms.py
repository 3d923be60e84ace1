"""Dashboard filter forms (the period, preset or dates; the time-series granularity, the agent, versions) and
the confirmation forms of "Add as test case"."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluations.models import EvalCase
from monitoring import histograms
from monitoring.selectors import Period
from teams.models import Team

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30), "90d": timedelta(days=90)}
MAX_HOURLY_SPAN = timedelta(days=31)
AUTO_HOURLY_SPAN = timedelta(days=3)
MAX_SPAN = timedelta(days=3 * 366)
# Dates outside these bounds overflow datetime arithmetic (9999-12-31 + 1 day) and hold no metrics anyway.
FIRST_DATE = date(2000, 1, 1)
FUTURE_DAYS = 366


class PeriodForm(forms.Form):
    range = forms.ChoiceField(
        choices=[
            ("24h", _("Last 24 hours")),
            ("7d", _("Last 7 days")),
            ("30d", _("Last 30 days")),
            ("90d", _("Last 90 days")),
            ("custom", _("From … to …")),
        ],
        initial="7d",
        required=False,
        label=_("Period"),
    )
    start = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label=_("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
    granularity = forms.ChoiceField(
        choices=[("auto", _("Automatic")), ("hour", _("By hour")), ("day", _("By day"))],
        initial="auto",
        required=False,
        label=_("Series"),
    )

    def __init__(self, data=None, *, now: datetime | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.now = now or timezone.now()
        self.notes: list[str] = []

    def _clean_bounded_date(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        last = timezone.localdate(self.now) + timedelta(days=FUTURE_DAYS)
        if value is not None and not FIRST_DATE <= value <= last:
            raise forms.ValidationError(
                gettext("Choose a date between %(first)s and %(last)s.")
                % {"first": FIRST_DATE.isoformat(), "last": last.isoformat()}
            )
        return value

    def clean_start(self):
        return self._clean_bounded_date("start")

    def clean_end(self):
        return self._clean_bounded_date("end")

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("range") or "7d"
        tz = timezone.get_current_timezone()
        if choice == "custom":
            if self.has_error("start") or self.has_error("end"):
                return cleaned
            start_date, end_date = cleaned.get("start"), cleaned.get("end")
            if not start_date or not end_date:
                raise forms.ValidationError(gettext("Give both dates for a custom period."))
            if end_date < start_date:
                raise forms.ValidationError(gettext("The period must end on or after its first day."))
            start = datetime.combine(start_date, time.min, tzinfo=tz)
            end = datetime.combine(end_date + timedelta(days=1), time.min, tzinfo=tz)
            if end - start > MAX_SPAN:
                raise forms.ValidationError(gettext("Choose a period of at most three years."))
        else:
            end = self.now
            start = end - RANGES[choice]
        granularity = cleaned.get("granularity") or "auto"
        if granularity == "auto":
            granularity = "hour" if end - start <= AUTO_HOURLY_SPAN else "day"
        elif granularity == "hour" and end - start > MAX_HOURLY_SPAN:
            granularity = "day"
            self.notes.append(gettext("Hourly series are limited to 31 days; showing days."))
        cleaned["period"] = Period(start=start, end=end, granularity=granularity, tz=tz)
        return cleaned

    def period(self) -> Period:
        """The chosen period; the default (last 7 days) when the form is invalid or empty."""
        if self.is_valid():
            return self.cleaned_data["period"]
        end = self.now
        return Period(start=end - RANGES["7d"], end=end, granularity="day", tz=timezone.get_current_timezone())


class AgentPeriodForm(PeriodForm):
    agent = forms.CharField(required=False, max_length=255, label=_("Agent"))


class RoutingPeriodForm(PeriodForm):
    threshold = forms.FloatField(
        required=False, min_value=0, max_value=1, initial=0.5, label=_("Low confidence below"),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
        help_text=_("Between 0 and 1, at most two decimals."),
    )  # fmt: skip

    def clean_threshold(self):
        value = self.cleaned_data.get("threshold")
        if value is not None and not histograms.is_confidence_step(value):
            # The rollups count confidences per 0.01: a finer threshold could not be answered exactly.
            raise forms.ValidationError(gettext("Use at most two decimals, such as 0.55."))
        return value

    def threshold_value(self) -> float:
        if self.is_valid() and self.cleaned_data.get("threshold") is not None:
            return self.cleaned_data["threshold"]
        return 0.5


class CompareForm(forms.Form):
    agent = forms.CharField(max_length=255, label=_("Agent"))
    a = forms.IntegerField(min_value=1, label=_("Version A (before)"))
    b = forms.IntegerField(min_value=1, label=_("Version B (after)"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("a") is not None and cleaned.get("a") == cleaned.get("b"):
            raise forms.ValidationError(gettext("Choose two different versions."))
        return cleaned


# --- Add as test case ----------------------------------------------------------------------------------


class RoutingCaseForm(forms.Form):
    """Which route team the selected routing decisions become test cases of: a decision does not record the
    team that made it. Preselected when only one route team has every decision's destination as a member."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        to_field_name="team_id",
        label=_("Routing team"),
        help_text=_("The team in route mode that made these decisions; the test cases are added to it."),
    )

    def __init__(self, *args, destinations: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(mode="route").order_by("team_id")
        field = self.fields["team"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = teams
        if not teams.exists():
            field.help_text = gettext(
                "No team is in route mode: routing decisions can only become cases of a route team."
            )
        fitting = [
            t for t in teams.prefetch_related("members") if destinations <= {a.agent_id for a in t.members.all()}
        ]
        if len(fitting) == 1:
            self.initial.setdefault("team", fitting[0].team_id)


class RunCaseForm(forms.Form):
    """The parts of a test case made from an Agno run that a person decides before it is created."""

    name = forms.CharField(
        max_length=EvalCase._meta.get_field("name").max_length, label=_("Name"), help_text=_("What this case checks.")
    )
    critical = forms.BooleanField(
        required=False, label=_("Critical"), help_text=EvalCase._meta.get_field("critical").help_text
    )
    expected_member = forms.CharField(
        required=False,
        max_length=255,
        label=_("Must route to"),
        help_text=_(
            "The member agent the team must hand this message to (from the run); empty: the route is not checked."
        ),
    )

    def __init__(self, *args, team_run: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not team_run:
            del self.fields["expected_member"]
