from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = _("Teams")

    def ready(self):
        from teams.components import TEAM_KIND
        from versioning.components import register

        register(TEAM_KIND)
