from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class NotificationSettingsForm(forms.Form):
    """A user's own notification choices (the page linked from the user menu)."""

    email_enabled = forms.BooleanField(
        required=False,
        label=_("E-mail me about drafts and releases"),
        help_text=_(
            "Review requests (if you may approve drafts), approvals and rejections of drafts you edited, and the "
            "publishing or rollback of what you edited. Never about what you did yourself."
        ),
    )
    language = forms.ChoiceField(
        required=False,
        label=_("Language of my e-mails"),
        help_text=_("The language switcher at the top of every page sets it too."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The portal's default")), *settings.LANGUAGES]
