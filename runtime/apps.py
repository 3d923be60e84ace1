from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RuntimeConfig(AppConfig):
    name = "runtime"
    verbose_name = _("Runtime access")

    def ready(self):
        from django.db.models.signals import post_migrate

        from agents.providers import register_tool_providers
        from runtime import schema  # noqa: F401  (registers the OpenAPI authentication extension)
        from runtime.gates import unprovided_tools_gate
        from runtime.selectors import tool_providers_lookup
        from runtime.state import bump_config_generation, ensure_state_row
        from versioning.gates import register_gate
        from versioning.signals import config_changed

        # Whatever changed what the runtime serves (a publish, a rollback, ...), every worker sees it next.
        config_changed.connect(
            lambda sender, **kwargs: bump_config_generation(), weak=False, dispatch_uid="runtime.config_generation"
        )

        # The agents' admin learns which runtimes provide a tool from here; publishing asks about the rest.
        register_tool_providers(tool_providers_lookup)
        register_gate(unprovided_tools_gate)

        def _ensure(sender, using="default", **kwargs):
            if sender.name == self.name:
                ensure_state_row()

        post_migrate.connect(_ensure, weak=False, dispatch_uid="runtime.ensure_state_row")
