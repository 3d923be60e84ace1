from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    name = "runtime"
    verbose_name = "Runtime access"

    def ready(self):
        from django.db.models.signals import post_migrate

        from runtime import schema  # noqa: F401  (registers the OpenAPI authentication extension)
        from runtime.state import bump_config_generation, ensure_state_row
        from versioning.signals import config_changed

        # Whatever changed what the runtime serves (a publish, a rollback, ...), every worker sees it next.
        config_changed.connect(
            lambda sender, **kwargs: bump_config_generation(), weak=False, dispatch_uid="runtime.config_generation"
        )

        def _ensure(sender, using="default", **kwargs):
            if sender.name == self.name:
                ensure_state_row()

        post_migrate.connect(_ensure, weak=False, dispatch_uid="runtime.ensure_state_row")
