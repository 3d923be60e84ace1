from django.apps import AppConfig


class PromptsConfig(AppConfig):
    name = "prompts"
    verbose_name = "Prompts"

    def ready(self):
        from prompts.admin_panels import release_panel
        from prompts.components import FRAGMENT_KIND
        from versioning.components import register
        from versioning.gates import register_review_panel

        register(FRAGMENT_KIND)
        register_review_panel(release_panel)
