"""The API key admin's form."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from runtime.models import SCOPE_CHOICES, ApiKey
from versioning.selectors import environments


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple)
    environment = forms.ChoiceField(
        label=_("Environment"),
        choices=(),
        required=False,  # a post without it (a script) gets the first environment, as the model's default
        help_text=_("The environment whose configuration this key's runtime is served (HIVE_ENVIRONMENTS)."),
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes", "environment", "expires_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The pipeline is read per form, so a changed HIVE_ENVIRONMENTS needs no restart of this module.
        names = environments()
        self.fields["environment"].choices = [(name, name) for name in names]
        if not self.instance.pk:
            self.fields["environment"].initial = names[0]

    def clean_environment(self):
        return self.cleaned_data.get("environment") or environments()[0]

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now():
            raise ValidationError(_("The expiry must be in the future."))
        return value
