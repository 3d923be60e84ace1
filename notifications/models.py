"""Who wants which e-mails: one row per user who changed the default (every notification on)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationPreference(models.Model):
    """A user's own choice about the e-mails the portal sends them. No row: the defaults (everything on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    email_enabled = models.BooleanField(
        default=True,
        verbose_name=_("e-mail me about drafts and releases"),
        help_text=_(
            "Review requests (if you may approve drafts), approvals and rejections of drafts you edited, and the "
            "publishing or rollback of what you edited."
        ),
    )
    language = models.CharField(
        max_length=10,
        blank=True,
        default="",
        verbose_name=_("language of my e-mails"),
        help_text=_(
            "Set by the language switcher (and at the first login, from the browser); empty: the portal's default."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "notification_preferences"
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        state = _("on") if self.email_enabled else _("off")
        return f"{self.user}: {_('e-mail')} {state}"
