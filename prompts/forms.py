"""The fragment form (a large text editor, its name fixed once published) and the variable form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from prompts.models import PromptFragment, PromptVariable
from prompts.rendering import INCLUDE, MARKER, VARIABLE, includes
from versioning.forms import VersionedFormMixin


class FragmentForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = PromptFragment
        fields = ("title", "name", "description", "text")
        widgets = {
            "text": forms.Textarea(attrs={"class": "hive-prompt", "rows": 14, "spellcheck": "true"}),
            "description": forms.Textarea(attrs={"rows": 2, "cols": 100}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk and self.instance.version and "name" in self.fields:
            self.fields["name"].disabled = True
            self.fields["name"].help_text = gettext("Published fragments keep their name: prompts include them by it.")

    def clean_text(self):
        text = self.cleaned_data.get("text") or ""
        name = self.cleaned_data.get("name") or getattr(self.instance, "name", "")
        if name and name in includes(text):
            raise ValidationError(gettext("A fragment cannot include itself ({{> %(name)s }}).") % {"name": name})
        bad = [m for m in MARKER.findall(text) if not (INCLUDE.fullmatch(m) or VARIABLE.fullmatch(m))]
        if bad:
            raise ValidationError(
                gettext(
                    "“%(marker)s” is neither an include ({{> fragment-name }}) nor a variable ({{ variable_name }})."
                )
                % {"marker": bad[0]}
            )
        return text

    def clean(self):
        cleaned = super().clean()
        self.check_concurrent_edit()
        return cleaned


class VariableForm(forms.ModelForm):
    class Meta:
        model = PromptVariable
        fields = ("name", "type", "required", "description", "example")
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 80})}
