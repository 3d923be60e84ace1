"""System checks that keep the Agno schema out of Django's hands."""

from django.apps import apps
from django.core.checks import Error, register

from hive_portal.routers import is_agno_model


@register()
def agno_models_are_unmanaged(app_configs=None, **kwargs):
    errors = []
    for model in apps.get_models():
        if is_agno_model(model) and model._meta.managed:
            errors.append(
                Error(
                    f"{model._meta.label} maps an Agno table ({model._meta.db_table}) but is managed.",
                    hint="Set Meta.managed = False: the agno schema belongs to the Agno runtime.",
                    obj=model,
                    id="hive_portal.E001",
                )
            )
    return errors
