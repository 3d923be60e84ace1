"""Each user's notification settings: one page of their own (linked from the user menu), not a list of everyone's."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from common.admin import page_context
from notifications.forms import NotificationSettingsForm
from notifications.models import NotificationPreference
from notifications.selectors import email_enabled, preferred_language
from notifications.services import notification_preference_set


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return False  # nothing in the index: everyone reaches their own page from the user menu

    def get_urls(self):
        # Only the personal page: nobody lists or edits the choices of others.
        return [path("mine/", self.admin_site.admin_view(self.settings_view), name="notification_settings")]

    def settings_view(self, request):
        """Any staff user (admin_view checks it) sees and changes their own choice, whatever their role."""
        if request.method == "POST":
            form = NotificationSettingsForm(request.POST)
            if form.is_valid():
                notification_preference_set(
                    user=request.user,
                    email_enabled=form.cleaned_data["email_enabled"],
                    language=form.cleaned_data["language"],
                )
                self.message_user(request, _("Your notification settings were saved."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:notification_settings"))
        else:
            form = NotificationSettingsForm(
                initial={"email_enabled": email_enabled(request.user), "language": preferred_language(request.user)}
            )
        return TemplateResponse(
            request,
            "admin/notifications/settings.html",
            page_context(self, request, title=_("Notification settings"), form=form, email=request.user.email),
        )
