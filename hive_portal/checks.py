"""System checks: the Agno schema stays out of Django's hands; no rate limit counts in one process."""

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


# Caches that live inside one process: a count kept there is a count per gunicorn worker and per node.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def _views(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _views(pattern.url_patterns)
        else:
            yield pattern.callback


@register()
def rate_limits_are_shared(app_configs=None, **kwargs):
    """The portal has no rate limit today (login lockouts are django-axes rows in the database). One added with
    DRF's throttles counts in the default cache, which is Django's per-process memory unless CACHES says
    otherwise: with W workers on N nodes it would let W x N times the limit through (README, "Several nodes")."""
    from django.conf import settings
    from django.urls import get_resolver

    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PER_PROCESS_CACHES:
        return []
    throttled = sorted(
        {
            f"{view.cls.__module__}.{view.cls.__qualname__}"
            for view in _views(get_resolver().url_patterns)
            if getattr(getattr(view, "cls", None), "throttle_classes", None)
        }
    )
    if not throttled:
        return []
    return [
        Error(
            f"{', '.join(throttled)} throttle(s) requests, but the default cache ({backend}) belongs to one process: "
            "each gunicorn worker on each node would count on its own.",
            hint="Point CACHES['default'] at a store every node shares (django.core.cache.backends.db.DatabaseCache "
            "after `manage.py createcachetable`), or rate-limit at the load balancer.",
            id="hive_portal.E002",
        )
    ]
