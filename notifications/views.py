"""The language switcher's endpoint: Django's ``set_language`` (the cookie, the redirect), and the choice remembered
for the person's e-mails."""

from django.conf import settings
from django.views.i18n import set_language as django_set_language

from notifications.services import notification_language_remember


def set_language(request):
    response = django_set_language(request)
    language = request.POST.get("language", "")
    # Django's view set the cookie only for a language the portal speaks; the same rule applies to the e-mails.
    if request.user.is_authenticated and response.cookies.get(settings.LANGUAGE_COOKIE_NAME) is not None:
        notification_language_remember(user=request.user, language=language)
    return response
