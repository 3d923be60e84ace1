from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TypificationConfig(AppConfig):
    name = "typification"
    verbose_name = _("Typification")

    def ready(self):
        from django.db.models.signals import post_migrate

        from typification.components import (
            ROUTING_KIND,
            routing_check_deactivate,
            routing_check_delete,
        )
        from typification.services import ensure_routing_table
        from versioning.components import register, register_deactivate_check, register_delete_check

        register(ROUTING_KIND)
        register_delete_check(routing_check_delete)
        register_deactivate_check(routing_check_deactivate)

        def _ensure(sender, using="default", **kwargs):
            if sender.name == self.name:
                ensure_routing_table(using=using)

        post_migrate.connect(_ensure, weak=False, dispatch_uid="typification.ensure_routing_table")
