"""Database routers.

The ``agno`` schema belongs to the Agno runtime. Django may read it through unmanaged models (the
admin's Agno session views) but must never create, alter, flush or drop anything there.

Read replicas (``HIVE_DATABASE_REPLICA_URLS``) serve the reads of the pages that allow it and nothing else: every
write, and every read anywhere else, goes to the primary (``ReplicaRouter``).
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from common.read_routing import read_state, record_write


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


# Read from the primary whatever the page allows: who may do what (users, groups, sessions, lockouts, API keys — a
# revoked permission or key must take effect on the next request, not a replica's lag later), the runtime's own
# tables and the job queue.
PRIMARY_ONLY_APPS = frozenset({"auth", "sessions", "contenttypes", "axes", "runtime", "procrastinate"})


class ReplicaRouter:
    """Writes to the primary; reads to a healthy replica only when the request allows it.

    A request allows it when ``hive_portal.middleware.ReplicaReadMiddleware`` marked its page as a heavy read and
    the user wrote nothing in the last ``HIVE_READ_YOUR_WRITES_SECONDS``, and only until the request itself writes
    (``common.read_routing``). Reads inside a transaction on the primary stay with it (one snapshot), as do the apps
    of ``PRIMARY_ONLY_APPS`` and code inside ``primary_reads()``. A request keeps the replica it started with; a
    replica that is down or lags (``hive_portal.replicas``) is not chosen.
    """

    def db_for_read(self, model, **hints):
        state = read_state()
        if (
            state is None
            or not state.may_read_replica
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or len(connections[DEFAULT_DB_ALIAS].atomic_blocks) > state.outer_transactions
        ):
            # Explicitly the primary, not None: Django would otherwise follow an instance read from a replica.
            return DEFAULT_DB_ALIAS
        from hive_portal.replicas import replica_monitor

        if state.replica is None:
            state.replica = replica_monitor.choose()
        elif not replica_monitor.serving(state.replica):
            state.replica_allowed = False  # it went away mid-request: the rest of the request reads the primary
            return DEFAULT_DB_ALIAS
        if state.replica is None:
            state.replica_allowed = False  # none serves: the whole request reads the primary, one source
            return DEFAULT_DB_ALIAS
        return state.replica

    def db_for_write(self, model, **hints):
        record_write()  # the rest of the request reads what it wrote
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replicas hold the primary's rows: a row read from one may be related to a row from another.
        databases = {DEFAULT_DB_ALIAS, *settings.HIVE_REPLICA_ALIASES}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db in settings.HIVE_REPLICA_ALIASES:
            return False  # a replica replays the primary's migrations; it cannot run any of its own
        return None
