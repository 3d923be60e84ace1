from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Evaluations")

    def ready(self):
        from evaluations.admin_panels import review_panel
        from evaluations.services import OVERRIDE_PERMISSION, release_gate
        from versioning.gates import register_gate, register_review_panel

        register_gate(release_gate, override_permission=OVERRIDE_PERMISSION)
        register_review_panel(review_panel)
