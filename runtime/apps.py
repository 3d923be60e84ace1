from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    name = "runtime"
    verbose_name = "Runtime access"

    def ready(self):
        from runtime import schema  # noqa: F401  (registers the OpenAPI authentication extension)
