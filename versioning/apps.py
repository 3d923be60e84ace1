from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class VersioningConfig(AppConfig):
    name = "versioning"
    verbose_name = _("Versions")

    def ready(self):
        from versioning.roles import sync_roles

        def _sync(sender, using="default", **kwargs):
            if sender.name == self.name:  # once per migrate, after every app's permissions exist
                sync_roles(using=using)

        post_migrate.connect(_sync, weak=False, dispatch_uid="versioning.sync_roles")
