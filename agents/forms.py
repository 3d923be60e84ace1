"""The agent form business users fill in (a large prompt editor, instructions as a list, tools picked from the
catalogue, capabilities and knowledge domains as inline rows) and the catalogue's tool form (parameters as rows,
never as JSON unless they need more)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, AgentCapability, AgentKnowledgeDomain, Tool
from agents.selectors import tool_list
from agents.services import agent_validate, capability_problems, knowledge_domain_problems, tool_validate
from common.widgets import (
    KeyValueField,
    LimitedJSONFormField,
    ParameterRowsField,
    TextListField,
    ToolPickerField,
    schema_rows,
    settings_text,
)
from versioning.forms import ComponentFormMixin

# Parameters with a field of their own on the form; the rest are "other parameters".
FORM_PARAMETERS = (
    "markdown",
    "add_history_to_context",
    "num_history_runs",
    "add_datetime_to_context",
    "expected_output",
    "tool_call_limit",
    "retries",
)


def _tool_label(tool: Tool) -> str:
    description = " ".join(tool.description.split())
    if len(description) > 60:
        description = description[:59] + "…"
    return f"{tool.name} — {description}" if description else tool.name


class ToolPickerFormMixin(forms.Form):
    """The ``tools`` field of the agent and team forms: rows picked from the catalogue; the picked list is set on
    the instance (``instance.tools``), which the component's service writes into its links."""

    tools = ToolPickerField(
        required=False,
        label=_("Tools"),
        help_text=_(
            "Pick tools from the catalogue (Agents › Tools), in the order they should be offered. A "
            "description here replaces the catalogue's for this component only."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["tools"]
        assert isinstance(field, ToolPickerField)
        field.set_catalogue({tool.name: _tool_label(tool) for tool in tool_list()})
        instance = getattr(self, "instance", None)
        if not self.is_bound and instance is not None and not instance._state.adding:
            # Rows from the links themselves: the description column shows only what this component says differently.
            self.initial["tools"] = [
                [link.tool.name, link.description, settings_text(link.config)]
                for link in instance.tool_links.select_related("tool")
            ]

    def clean(self):
        cleaned = super().clean()
        if "tools" in cleaned:
            self.instance.tools = cleaned["tools"]
        return cleaned


class AgentForm(ToolPickerFormMixin, ComponentFormMixin, forms.ModelForm):
    instructions = TextListField(
        required=False,
        label=_("Instructions"),
        help_text=_("One instruction per box, in the order the agent should read them."),
    )
    model_settings = KeyValueField(
        required=False,
        label=_("Model settings"),
        help_text=_("For example temperature = 0.3, max_tokens = 4000."),
    )
    markdown = forms.BooleanField(required=False, label="Markdown", help_text=_("Format answers with Markdown."))
    add_history_to_context = forms.BooleanField(
        required=False,
        label=_("Use conversation history"),
        help_text=_("Add earlier turns of the conversation to the prompt."),
    )
    num_history_runs = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=1000,
        label=_("History runs"),
        help_text=_("How many earlier turns (Agno uses 3 when empty)."),
    )
    add_datetime_to_context = forms.BooleanField(required=False, label=_("Tell the agent the date and time"))
    expected_output = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("Expected output")
    )
    tool_call_limit = forms.IntegerField(required=False, min_value=1, max_value=1000, label=_("Tool call limit"))
    retries = forms.IntegerField(required=False, min_value=0, max_value=20, label=_("Retries"))
    other_parameters = KeyValueField(
        required=False,
        label=_("Other Agno parameters"),
        help_text=_("Further Agno agent parameters, by their Agno name."),
    )

    class Meta:
        model = Agent
        fields = (
            "agent_id",
            "name",
            "role",
            "description",
            "system_prompt",
            "instructions",
            "model_provider",
            "model_name",
            "model_settings",
        )
        widgets = {
            "system_prompt": forms.Textarea(attrs={"class": "hive-prompt", "rows": 18, "spellcheck": "true"}),
            "description": forms.Textarea(attrs={"rows": 3, "cols": 100}),
            "role": forms.TextInput(attrs={"style": "width: 100%; max-width: 760px"}),
        }

    id_field = "agent_id"
    form_parameters = FORM_PARAMETERS

    def validate_component(self, instance):
        agent_validate(instance)


class AgentRowForm(forms.ModelForm):
    """A capability or knowledge domain row of the agent form. Its rules across rows (twice the same name, a
    shared priority) are the formset's, and the rows are written by the agent service, not by this form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A table's cells have column headings, not <label>s: each field says what it is to assistive technology.
        what = self._meta.model._meta.verbose_name
        for field in self.fields.values():
            label = gettext("%(row)s %(field)s") % {"row": what, "field": str(field.label).lower()}
            field.widget.attrs.setdefault("aria-label", label)

    def validate_unique(self):
        return

    def validate_constraints(self, exclude=None):
        return


class AgentCapabilityForm(AgentRowForm):
    parameters = LimitedJSONFormField(
        required=False,
        label=_("Parameters"),  # also what its cell says to assistive technology (none without it)
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40, "class": "hive-json", "spellcheck": "false"}),
        help_text=_('Optional settings as a JSON object, e.g. {"max_amount": 500}.'),
    )

    class Meta:
        model = AgentCapability
        fields = ("name", "description", "parameters")
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 50})}

    def clean_parameters(self):
        value = self.cleaned_data.get("parameters")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise ValidationError(
                gettext(
                    'Write the parameters as a JSON object in braces, e.g. {"max_amount": 500}, or leave them empty.'
                )
            )
        return value


class AgentKnowledgeDomainForm(AgentRowForm):
    class Meta:
        model = AgentKnowledgeDomain
        fields = ("domain", "priority", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 50})}


class AgentRowsFormSet(forms.BaseInlineFormSet):
    """The rows of one inline (capabilities or knowledge domains) as the configuration holds them (``rows()``),
    checked by the agent service's own rules so that a save never fails after the form said yes."""

    #: The agent's attribute the rows are set on (``agent.capabilities = rows``).
    config_key = ""
    fields_in_config: tuple[str, ...] = ()
    #: The label of a row's delete box (a whole phrase per kind of row: each language words it its own way).
    delete_label = _("Delete this row")

    @staticmethod
    def problems(rows: list[dict]) -> list[str]:
        raise NotImplementedError

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["aria-label"] = str(self.delete_label)

    def rows(self) -> list[dict]:
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            rows.append({name: data.get(name) for name in self.fields_in_config})
        return rows

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        problems = self.problems(self.rows())
        if problems:
            raise ValidationError(problems)

    def validate_unique(self):
        return  # the rows are replaced as a whole by the service: swapping two names or priorities is fine


class AgentCapabilityFormSet(AgentRowsFormSet):
    config_key = "capabilities"
    delete_label = _("Delete this capability")
    fields_in_config = ("name", "description", "parameters")

    @staticmethod
    def problems(rows: list[dict]) -> list[str]:
        return capability_problems([{**row, "description": row["description"] or ""} for row in rows])


class AgentKnowledgeDomainFormSet(AgentRowsFormSet):
    config_key = "knowledge_domains"
    delete_label = _("Delete this knowledge domain")
    fields_in_config = ("domain", "priority", "description")

    @staticmethod
    def problems(rows: list[dict]) -> list[str]:
        return knowledge_domain_problems([{**row, "description": row["description"] or ""} for row in rows])


class ToolForm(forms.ModelForm):
    """A catalogue tool. Its parameters are rows; a schema the rows cannot show is edited as JSON instead."""

    parameter_rows = ParameterRowsField(
        required=False,
        label=_("Parameters"),
        help_text=_(
            "A row per argument the tool takes: its name, type, what the model is told about it, whether "
            "it must be given and, optionally, the only values it may take."
        ),
    )
    parameters_schema = LimitedJSONFormField(
        required=False,
        label=_("Parameters as JSON Schema (advanced)"),
        widget=forms.Textarea(attrs={"rows": 8, "class": "hive-json", "spellcheck": "false"}),
        help_text=_(
            "Only for parameters the rows cannot say (nested objects, formats, defaults). When filled it is "
            "used instead of the rows; it must be a JSON Schema of “type”: “object”."
        ),
    )
    change_note = forms.CharField(
        label=_("Why this change?"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        required=False,
        help_text=_(
            "Required when you change a tool: saved with the tool's new version and with the draft of every "
            "agent that uses it."
        ),
    )

    class Meta:
        model = Tool
        fields = ("name", "description", "source", "category", "owner")
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "cols": 100})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._original = self.instance.definition() if self.instance.pk else None
        if not self.is_bound and self.instance.pk:
            rows = schema_rows(self.instance.parameters)
            if rows is None:
                self.initial["parameters_schema"] = self.instance.parameters
            else:
                self.initial["parameter_rows"] = rows

    def clean(self):
        cleaned = super().clean()
        schema = cleaned.get("parameters_schema")
        if schema not in (None, "", {}):
            self.instance.parameters = schema
            self._parameters_field = "parameters_schema"
        elif "parameter_rows" in cleaned:
            rows = cleaned["parameter_rows"] or {"type": "object", "properties": {}, "required": []}
            # Rows that say what the stored schema says keep it as it was (no new version for a mere re-save).
            if self._original is None or schema_rows(self._original["parameters"]) != schema_rows(rows):
                self.instance.parameters = rows
            self._parameters_field = "parameter_rows"
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        try:
            tool_validate(self.instance)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                target = getattr(self, "_parameters_field", "parameter_rows") if field == "parameters" else field
                if target not in self.fields:
                    target = None
                for message in messages:
                    if target is None or target not in self.errors:
                        self.add_error(target, message)
        changed = self._original is not None and self.instance.definition() != self._original
        if changed and not (self.cleaned_data.get("change_note") or "").strip():
            self.add_error("change_note", gettext("Say why: a change note is required."))
