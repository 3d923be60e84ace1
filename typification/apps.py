from django.apps import AppConfig


class TypificationConfig(AppConfig):
    name = "typification"
    verbose_name = "Typification"
