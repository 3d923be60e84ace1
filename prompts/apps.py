from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromptsConfig(AppConfig):
    name = "prompts"
    verbose_name = _("Prompts")

    def ready(self):
        from prompts.admin_panels import release_panel
        from prompts.components import FRAGMENT_KIND
        from versioning.components import register
        from versioning.gates import register_review_panel

        register(FRAGMENT_KIND)
        register_review_panel(release_panel)
