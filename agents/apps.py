from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = _("Agents")

    def ready(self):
        from agents.components import AGENT_KIND
        from versioning.components import register

        register(AGENT_KIND)
