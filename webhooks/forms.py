"""The webhook endpoint admin's form."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from versioning.signals import RELEASE_EVENTS
from webhooks.models import WebhookEndpoint
from webhooks.url_safety import validate_webhook_url


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(event, event) for event in RELEASE_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Events"),
        help_text=_("None selected: every event."),
    )

    url = forms.URLField(max_length=2000, assume_scheme="https", label=_("URL"))

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "events", "is_active")

    def clean_url(self):
        url = self.cleaned_data["url"]
        if self.instance.pk is None or url != self.instance.url:
            try:
                validate_webhook_url(url)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from None
        return url
