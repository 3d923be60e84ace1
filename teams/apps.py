from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams"

    def ready(self):
        from teams.components import TEAM_KIND
        from versioning.components import register

        register(TEAM_KIND)
