"""SQL aggregates the dashboards need beyond Django's own.

``PercentileCont`` is PostgreSQL's ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``: the percentile
with linear interpolation, computed by the database. SQLite has no such aggregate; on the SQLite
fallback the same name is registered as a user-defined aggregate (``register_sqlite_functions``) that
gives the same numbers, so one query serves both databases.
"""

from __future__ import annotations

import json
import math

from django.db.models import Aggregate, Field, FloatField


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
        connection.connection.create_aggregate("PERCENTILES_JSON", 2, _SqlitePercentiles)


class FloatListField(Field):
    """Output type of ``Percentiles``: a list of floats (a ``float8[]`` on PostgreSQL, JSON text on SQLite)."""

    def get_internal_type(self):
        return "FloatListField"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        if isinstance(value, str):
            value = json.loads(value)
        return [None if v is None else float(v) for v in value]


class Percentiles(Aggregate):
    """Several percentiles of one column from a single sort:
    ``percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY x)`` → ``[p50, p95]``.

    One sort per group instead of one per percentile roughly halves the cost of a dashboard query.
    """

    function = "PERCENTILE_CONT"
    name = "Percentiles"
    allow_distinct = False
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fractions, **extra):
        values = [float(f) for f in fractions]
        if not values or any(not 0.0 <= f <= 1.0 or math.isnan(f) for f in values):
            raise ValueError("fractions must lie between 0 and 1")
        # Floats rendered into the SQL, never user text.
        super().__init__(
            expression, fractions=", ".join(repr(f) for f in values), output_field=FloatListField(), **extra
        )
        self._fractions = values

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            function="PERCENTILES_JSON",
            template="%(function)s(%(expressions)s, '[" + self.extra["fractions"] + "]')",
            **extra_context,
        )


class _SqlitePercentiles:
    """SQLite aggregate behind ``Percentiles``: the same numbers, returned as JSON text."""

    def __init__(self):
        self.values: list[float] = []
        self.fractions: list[float] | None = None

    def step(self, value, fractions):
        if self.fractions is None:
            self.fractions = json.loads(fractions)
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values or self.fractions is None:
            return None
        return json.dumps([percentile_cont(self.values, f) for f in self.fractions])
