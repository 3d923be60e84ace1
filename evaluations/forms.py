"""The test case form: lists are written one per line, never as JSON (the answer schema excepted)."""

from __future__ import annotations

import json

import jsonschema
from django import forms
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agents.models import Agent
from evaluations import checks
from evaluations.models import EvalCase
from teams.models import Team

LINES_HELP = _("One per line.")
ROLES = {"customer": "user", "user": "user", "agent": "assistant", "assistant": "assistant"}


def component_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (
            gettext("Teams"),
            [(f"team:{t}", t) for t in Team.objects.order_by("team_id").values_list("team_id", flat=True)],
        ),
        (
            gettext("Agents"),
            [(f"agent:{a}", a) for a in Agent.objects.order_by("agent_id").values_list("agent_id", flat=True)],
        ),
    ]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class LinesField(forms.CharField):
    """A list of strings, one per line."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 80})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return _lines(super().to_python(value))


class EvalCaseForm(forms.ModelForm):
    component = forms.ChoiceField(label=_("Agent or team"), help_text=_("What this case tests."))
    context = forms.CharField(
        required=False,
        label=_("Earlier messages"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Optional conversation before the message, one per line: “customer: …” or “agent: …”."),
    )
    must_contain = LinesField(
        required=False,
        label=capfirst(EvalCase._meta.get_field("must_contain").verbose_name),
        help_text=format_lazy("{} {}", EvalCase._meta.get_field("must_contain").help_text, LINES_HELP),
    )
    must_not_contain = LinesField(
        required=False,
        label=capfirst(EvalCase._meta.get_field("must_not_contain").verbose_name),
        help_text=format_lazy("{} {}", EvalCase._meta.get_field("must_not_contain").help_text, LINES_HELP),
    )
    tools_called = forms.CharField(
        required=False,
        label=_("Tools that must be called"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_(
            "One per line: the tool name, optionally followed by the arguments it must get, e.g. "
            'get_card_status {"card": "1234"}.'
        ),
    )
    tools_not_called = LinesField(
        required=False,
        label=_("Tools that must not be called"),
        help_text=format_lazy("{} {}", _("Tool names."), LINES_HELP),
    )
    tool_results = forms.CharField(
        required=False,
        label=_("Canned tool results"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_(
            "What each tool returns in this case, one per line: “tool_name: result”. "
            "search_knowledge_base stands for the knowledge base."
        ),
    )
    output_schema = forms.CharField(
        required=False,
        label=_("Answer JSON schema"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Optional: the answer must be JSON matching this JSON Schema."),
    )

    class Meta:
        model = EvalCase
        fields = (
            "component", "name", "message", "context", "critical", "is_active", "expected_member", "must_contain",
            "must_not_contain", "max_length", "tools_called", "tools_not_called", "output_schema", "tool_results",
            "judge_rubric", "judge_min_score",
        )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["component"].choices = component_choices()
        case = self.instance
        if case.pk:
            self.initial["component"] = f"{case.component_type}:{case.component_id}"
            self.initial["context"] = "\n".join(
                f"{'agent' if m.get('role') == 'assistant' else 'customer'}: {m.get('content', '')}"
                for m in case.context or []
            )
            self.initial["tools_called"] = "\n".join(
                f"{c['name']} {json.dumps(c['arguments'], ensure_ascii=False)}" if c.get("arguments") else c["name"]
                for c in case.tools_called or []
            )
            self.initial["tool_results"] = "\n".join(
                f"{k}: {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
                for k, v in (case.tool_results or {}).items()
            )
            if case.output_schema is not None:
                self.initial["output_schema"] = json.dumps(case.output_schema, indent=2, ensure_ascii=False)

    def clean_component(self):
        value = self.cleaned_data["component"]
        component_type, _, component_id = value.partition(":")
        return component_type, component_id

    def clean_context(self):
        messages = []
        for number, line in enumerate(_lines(self.cleaned_data.get("context", "")), start=1):
            who, sep, text = line.partition(":")
            role = ROLES.get(who.strip().lower())
            if not sep or role is None or not text.strip():
                raise forms.ValidationError(
                    gettext("Line %(number)d: start with “customer:” or “agent:”, then the message.")
                    % {"number": number}
                )
            messages.append({"role": role, "content": text.strip()})
        return messages

    def _clean_patterns(self, key: str) -> list[str]:
        values = self.cleaned_data.get(key) or []
        for text in values:
            if problem := checks.pattern_error(text):
                raise forms.ValidationError(problem)
        return values

    def clean_must_contain(self):
        return self._clean_patterns("must_contain")

    def clean_must_not_contain(self):
        return self._clean_patterns("must_not_contain")

    def clean_tools_called(self):
        calls = []
        for number, line in enumerate(_lines(self.cleaned_data.get("tools_called", "")), start=1):
            name, _, arguments = line.partition(" ")
            parsed: dict = {}
            if arguments.strip():
                try:
                    parsed = json.loads(arguments)
                except ValueError as exc:
                    raise forms.ValidationError(
                        gettext("Line %(number)d: the arguments are not JSON (%(error)s).")
                        % {"number": number, "error": exc}
                    ) from exc
                if not isinstance(parsed, dict):
                    raise forms.ValidationError(
                        gettext("Line %(number)d: the arguments must be a JSON object {…}.") % {"number": number}
                    )
            calls.append({"name": name.strip(), "arguments": parsed})
        return calls

    def clean_tool_results(self):
        results: dict = {}
        for number, line in enumerate(_lines(self.cleaned_data.get("tool_results", "")), start=1):
            name, sep, value = line.partition(":")
            if not sep or not name.strip() or " " in name.strip():
                raise forms.ValidationError(gettext("Line %(number)d: write “tool_name: result”.") % {"number": number})
            results[name.strip()] = value.strip()
        return results

    def clean_output_schema(self):
        text = (self.cleaned_data.get("output_schema") or "").strip()
        if not text:
            return None
        try:
            schema = json.loads(text)
            jsonschema.Draft202012Validator.check_schema(schema)
        except ValueError as exc:
            raise forms.ValidationError(gettext("Not JSON: %(error)s.") % {"error": exc}) from exc
        except jsonschema.SchemaError as exc:
            raise forms.ValidationError(
                gettext("Not a valid JSON Schema: %(error)s.") % {"error": exc.message}
            ) from exc
        return schema

    def clean(self):
        data = super().clean()
        component = data.get("component")
        if component and component[0] != "team" and data.get("expected_member"):
            self.add_error("expected_member", gettext("Only a team routes: leave this empty for an agent."))
        if data.get("judge_rubric") and data.get("judge_min_score") is None:
            self.add_error("judge_min_score", gettext("A rubric needs the judge's passing score."))
        return data

    def _post_clean(self):
        component = self.cleaned_data.get("component")
        if component:
            self.instance.component_type, self.instance.component_id = component
        super()._post_clean()

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["component_type"], data["component_id"] = data.pop("component")
        return data
