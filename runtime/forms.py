"""The API key admin's form."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from runtime.models import SCOPE_CHOICES, ApiKey


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ("name", "scopes", "expires_at")

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now():
            raise ValidationError("The expiry must be in the future.")
        return value
