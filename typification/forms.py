import re

from django import forms
from django.utils.translation import gettext_lazy as _

from typification.classifier import MAX_LIMIT
from typification.formats import clean_keywords
from typification.models import BusinessUnitRoute, TypificationHierarchy

KEYWORD_SEPARATORS = re.compile(r"[\n;,]+")


class KeywordsField(forms.CharField):
    """Routing keywords as text, one per line (or separated by ; or ,), stored as a JSON list."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60, "placeholder": "antecipação\nantecipar vendas"})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return clean_keywords(value)
        return clean_keywords(KEYWORD_SEPARATORS.split(value or ""))

    def has_changed(self, initial, data):
        return clean_keywords(initial or []) != self.to_python(data)


class TypificationForm(forms.ModelForm):
    routing_keywords = KeywordsField(
        required=False,
        label=_("Routing keywords"),
        help_text=_(
            "One per line. Accents and upper/lower case do not matter when matching "
            "(“antecipacao” finds “antecipação”); plurals are folded too."
        ),
    )
    reason = forms.CharField(required=False, label=_("Why"), help_text=_("Recorded in the audit log."))

    class Meta:
        model = TypificationHierarchy
        fields = ("level1", "level2", "level3", "level4", "level5", "business_unit", "routing_keywords")
        help_texts = {"business_unit": _("Leave empty to use level 1.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "business_unit" in self.fields:  # a read-only view (Viewer role) renders no editable field
            self.fields["business_unit"].required = False

    def clean_business_unit(self):
        return self.cleaned_data.get("business_unit") or self.data.get("level1", "").strip()


class BusinessUnitRouteForm(forms.ModelForm):
    reason = forms.CharField(required=False, label=_("Why"), help_text=_("Recorded in the audit log."))

    class Meta:
        model = BusinessUnitRoute
        fields = ("business_unit", "agent", "team", "note")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "Nested JSON ({business unit: {product: {motive: [sub-motive, …]}}}) or CSV "
            "(level1..level5,business_unit,routing_keywords)."
        ),
    )
    replace = forms.BooleanField(
        required=False,
        label=_("Delete the paths that are not in the file"),
        help_text=_("Leave unticked to only add and update."),
    )
    reason = forms.CharField(required=False, label=_("Why"), help_text=_("Recorded in the audit log."))


class ConsoleForm(forms.Form):
    text = forms.CharField(
        label=_("Customer message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80, "placeholder": "quero antecipar minhas vendas"}),
    )
    limit = forms.IntegerField(min_value=1, max_value=MAX_LIMIT, initial=5, required=False, label=_("Results"))
