from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from versioning.signals import release_event
        from webhooks.receivers import on_release_event

        # Inside the publishing transaction: the deliveries (and their jobs) commit with the release, or not at all.
        release_event.connect(on_release_event, dispatch_uid="webhooks.on_release_event")
