"""Database routers.

The ``agno`` schema belongs to the Agno runtime. Django may read it through unmanaged models (the
admin's Agno session views) but must never create, alter, flush or drop anything there.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings


def is_agno_table(db_table: str) -> bool:
    """True for a ``db_table`` that lives in the Agno schema (``'agno"."agno_sessions'``)."""
    schema = settings.AGNO_SCHEMA
    table = db_table.replace('"', "")
    return table.startswith(f"{schema}.") or table.startswith("agno_")


def is_agno_model(model) -> bool:
    return is_agno_table(model._meta.db_table)


class AgnoSchemaRouter:
    """Keeps every migration operation away from Agno's tables.

    ``allow_migrate`` is what ``migrate``, ``makemigrations``' consistency checks and the test
    database's creation consult; ``flush`` only truncates managed models, which Agno models are not,
    and their ``managed = False`` is asserted by a system check (see ``hive_portal.checks``).
    """

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        model = hints.get("model")
        if model is None and model_name is not None:
            try:
                model = apps.get_model(app_label, model_name)
            except LookupError:
                model = None
        if model is not None and is_agno_model(model):
            return False
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # A portal row never holds a foreign key into Agno's tables: Agno may drop or rewrite them.
        # Instances (possibly lazy proxies such as request.user) expose _meta like their class.
        if is_agno_model(obj1) != is_agno_model(obj2):
            return False
        return None
