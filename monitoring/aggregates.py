"""SQL aggregates the dashboards need beyond Django's own.

``PercentileCont`` is PostgreSQL's ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``: the percentile
with linear interpolation, computed by the database. SQLite has no such aggregate; on the SQLite
fallback the same name is registered as a user-defined aggregate (``register_sqlite_functions``) that
gives the same numbers, so one query serves both databases.
"""

from __future__ import annotations

import math

from django.db.models import Aggregate, FloatField


class PercentileCont(Aggregate):
    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    allow_distinct = False
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, percentile: float, **extra):
        percentile = float(percentile)
        if not 0.0 <= percentile <= 1.0 or math.isnan(percentile):
            raise ValueError("percentile must be between 0 and 1")
        # A float rendered into the SQL, never user text.
        super().__init__(expression, percentile=repr(percentile), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="%(function)s(%(expressions)s, %(percentile)s)",
            **extra_context,
        )


class _SqlitePercentileCont:
    """SQLite user-defined aggregate with PostgreSQL's ``percentile_cont`` semantics (nulls ignored)."""

    def __init__(self):
        self.values: list[float] = []
        self.fraction: float | None = None

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values or self.fraction is None:
            return None
        return percentile_cont(self.values, self.fraction)


def percentile_cont(values: list[float], fraction: float) -> float:
    """Linear-interpolation percentile, as PostgreSQL's ``percentile_cont`` computes it."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    return float(ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower))


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: teach a new SQLite connection ``PERCENTILE_CONT(x, p)``."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("PERCENTILE_CONT", 2, _SqlitePercentileCont)
