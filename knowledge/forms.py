"""The knowledge admin's forms: an entry, and a CSV file to import."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.widgets import LimitedJSONFormField
from knowledge.content import content_hash
from knowledge.models import DUPLICATE_MESSAGE, KnowledgeEntry

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class KnowledgeEntryForm(forms.ModelForm):
    class Meta:
        model = KnowledgeEntry
        fields = ["business_unit", "category", "subcategory", "question", "answer", "metadata"]
        field_classes = {"metadata": LimitedJSONFormField}
        widgets = {
            "question": forms.Textarea(attrs={"rows": 3}),
            "answer": forms.Textarea(attrs={"rows": 8}),
        }

    def clean(self):
        cleaned = super().clean()
        parts = [cleaned.get(name) for name in ("business_unit", "category", "question", "answer")]
        if all(parts):
            digest = content_hash(business_unit=parts[0], category=parts[1], question=parts[2], answer=parts[3])
            # The model form leaves out the content-hash constraint (not a form field): check it here.
            if KnowledgeEntry.objects.filter(content_hash=digest).exclude(pk=self.instance.pk).exists():
                raise ValidationError(DUPLICATE_MESSAGE, code="duplicate")
        return cleaned


class KnowledgeImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 CSV with the columns question,answer,category,tags or "
            "problem,solution,typification,business_unit. Entries already in the knowledge base are skipped."
        ),
    )
    business_unit = forms.CharField(
        required=False,
        max_length=50,
        label=_("Business unit"),
        help_text=_("For files without a business_unit column (or rows that leave it empty)."),
    )
    skip_invalid = forms.BooleanField(
        required=False,
        label=_("Import the valid rows and skip the invalid ones"),
        help_text=_("Otherwise one invalid row stops the whole import and nothing is saved."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                gettext("The file is larger than %(size)d MB; split it.") % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload
