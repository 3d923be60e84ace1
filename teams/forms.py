from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agents.forms import ToolPickerFormMixin
from common.widgets import KeyValueField, TextListField
from teams.models import Team, TeamMember
from teams.services import team_validate
from versioning.forms import ComponentFormMixin

FORM_PARAMETERS = ("role", "respond_directly", "determine_input_for_members", "max_iterations", "markdown")


class TeamForm(ToolPickerFormMixin, ComponentFormMixin, forms.ModelForm):
    instructions = TextListField(
        required=False, label=_("Instructions"), help_text=_("The leader's instructions, one per box.")
    )
    model_settings = KeyValueField(required=False, label=_("Model settings"))
    role = forms.CharField(
        required=False, max_length=500, label=_("Role"), help_text=_("The team's role when it is itself a member.")
    )
    respond_directly = forms.BooleanField(
        required=False,
        label=_("Respond directly"),
        help_text=_("Members' answers go straight to the customer (route mode always does)."),
    )
    determine_input_for_members = forms.BooleanField(
        required=False, label=_("Leader rewrites the request for members"), initial=True
    )
    max_iterations = forms.IntegerField(required=False, min_value=1, max_value=100, label=_("Max iterations"))
    markdown = forms.BooleanField(required=False, label="Markdown")
    other_parameters = KeyValueField(required=False, label=_("Other Agno parameters"))

    class Meta:
        model = Team
        fields = (
            "team_id",
            "name",
            "mode",
            "description",
            "instructions",
            "model_provider",
            "model_name",
            "model_settings",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "cols": 100})}

    id_field = "team_id"
    form_parameters = FORM_PARAMETERS
    parameter_defaults = {"determine_input_for_members": True}

    def validate_component(self, instance):
        team_validate(instance)


class TeamMemberInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        agents, positions = set(), set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            agent = form.cleaned_data.get("agent")
            position = form.cleaned_data.get("position")
            if agent is None:
                continue
            if agent.pk in agents:
                raise ValidationError(gettext("%(agent)s is listed twice.") % {"agent": agent.agent_id})
            if position in positions:
                raise ValidationError(gettext("Two members have position %(position)s.") % {"position": position})
            agents.add(agent.pk)
            positions.add(position)

    def members(self) -> list:
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or data.get("agent") is None:
                continue
            rows.append((data["agent"], data.get("position") or 0))
        return rows

    def validate_unique(self):
        # Positions may be swapped in one save (the constraint is deferred); duplicates are caught in clean().
        return


class TeamMemberForm(forms.ModelForm):
    class Meta:
        model = TeamMember
        fields = ("agent", "position")

    def validate_unique(self):
        return

    def validate_constraints(self, exclude=None):
        return
