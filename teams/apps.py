from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams"

    def ready(self):
        from teams.services import TEAM_KIND
        from versioning.components import register

        register(TEAM_KIND)
