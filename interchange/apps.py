from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterchangeConfig(AppConfig):
    """Agents and teams in and out of the portal: Hive YAML and portal-format files, and Agno's own database.

    It sits above agents, teams and versioning (it creates and updates components through their services)
    and nothing below imports it."""

    name = "interchange"
    verbose_name = _("Import and export")
