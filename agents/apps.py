from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents"

    def ready(self):
        from agents.components import AGENT_KIND
        from versioning.components import register

        register(AGENT_KIND)
