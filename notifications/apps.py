from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from notifications import checks  # noqa: F401  (registers the system checks)
        from notifications.receivers import on_release_event, on_review_event, on_user_logged_in
        from versioning.signals import release_event, review_event

        # Inside the changing transaction: the job that sends the e-mails commits with the change, or not at all.
        release_event.connect(on_release_event, dispatch_uid="notifications.on_release_event")
        review_event.connect(on_review_event, dispatch_uid="notifications.on_review_event")
        user_logged_in.connect(on_user_logged_in, dispatch_uid="notifications.on_user_logged_in")
