"""The agent form business users fill in: a large prompt editor, instructions and tools as lists."""

from __future__ import annotations

from django import forms

from agents.models import Agent
from agents.services import agent_validate
from common.widgets import KeyValueField, TextListField, ToolListField
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


class AgentForm(ComponentFormMixin, forms.ModelForm):
    instructions = TextListField(
        required=False,
        help_text="One instruction per box, in the order the agent should read them.",
    )
    tools = ToolListField(required=False, help_text="A tool name (e.g. ShellTools), with optional details.")
    model_settings = KeyValueField(
        required=False,
        label="Model settings",
        help_text="For example temperature = 0.3, max_tokens = 4000.",
    )
    markdown = forms.BooleanField(required=False, help_text="Format answers with Markdown.")
    add_history_to_context = forms.BooleanField(
        required=False,
        label="Use conversation history",
        help_text="Add earlier turns of the conversation to the prompt.",
    )
    num_history_runs = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=1000,
        label="History runs",
        help_text="How many earlier turns (Agno uses 3 when empty).",
    )
    add_datetime_to_context = forms.BooleanField(required=False, label="Tell the agent the date and time")
    expected_output = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Expected output")
    tool_call_limit = forms.IntegerField(required=False, min_value=1, max_value=1000, label="Tool call limit")
    retries = forms.IntegerField(required=False, min_value=0, max_value=20)
    other_parameters = KeyValueField(
        required=False,
        label="Other Agno parameters",
        help_text="Further Agno agent parameters, by their Agno name.",
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
            "tools",
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
