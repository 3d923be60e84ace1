from django.apps import AppConfig


class PromptsConfig(AppConfig):
    name = "prompts"
    verbose_name = "Prompts"

    def ready(self):
        from prompts.components import FRAGMENT_KIND
        from versioning.components import register

        register(FRAGMENT_KIND)
