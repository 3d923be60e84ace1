from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    name = "runtime"
    verbose_name = "Runtime access"

    def ready(self):
        from django.db.models.signals import post_migrate

        from runtime import schema  # noqa: F401  (registers the OpenAPI authentication extension)
        from runtime.state import ensure_state_row

        def _ensure(sender, using="default", **kwargs):
            if sender.name == self.name:
                ensure_state_row()

        post_migrate.connect(_ensure, weak=False, dispatch_uid="runtime.ensure_state_row")
