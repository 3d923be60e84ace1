"""SQL aggregates the dashboards need beyond Django's own.

``PercentileCont`` is PostgreSQL's ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``: the percentile
with linear interpolation, computed by the database. SQLite has no such aggregate; on the SQLite
fallback the same name is registered as a user-defined aggregate (``register_sqlite_functions``) that
gives the same numbers, so one query serves both databases.
"""

from __future__ import annotations

import json
import math

from django.db.models import Aggregate, Field, FloatField, Func, IntegerField

from monitoring import histograms


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
        connection.connection.create_aggregate("HIST_SUM", 1, _SqliteHistogramSum)
        connection.connection.create_function(
            "HIST_LATENCY_BIN", 1, lambda v: None if v is None else histograms.latency_bin(v), deterministic=True
        )
        connection.connection.create_function(
            "HIST_CONFIDENCE_BIN", 1, lambda v: None if v is None else histograms.confidence_bin(v), deterministic=True
        )


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


class HistogramSum(Aggregate):
    """Element-wise sum of histogram vectors (pgvector's ``sum(vector)``; a registered aggregate on SQLite, where
    the vectors are stored as their text)."""

    function = "SUM"
    name = "HistogramSum"
    allow_distinct = False

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="HIST_SUM", **extra_context)


class _SqliteHistogramSum:
    def __init__(self):
        self.total: list[float] | None = None

    def step(self, value):
        if value is None:
            return
        values = json.loads(value)
        self.total = values if self.total is None else [a + b for a, b in zip(self.total, values)]

    def finalize(self):
        return None if self.total is None else "[" + ",".join(repr(float(v)) for v in self.total) + "]"


class Bin(Func):
    """The histogram bin of a value: PostgreSQL's ``width_bucket(value, ARRAY[edges])`` minus ``offset`` (the
    same numbers as ``monitoring.histograms``); a registered function on SQLite."""

    output_field = IntegerField()

    def __init__(self, expression, *, edges: tuple, offset: int = 0, **extra):
        self.edges, self.offset = edges, offset
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        kind = "int" if isinstance(self.edges[0], int) else "float8"
        # Numbers rendered into the SQL (constants of monitoring.histograms), never user input.
        edges = ", ".join(repr(edge) for edge in self.edges)
        return f"(width_bucket({sql}, ARRAY[{edges}]::{kind}[]) - {int(self.offset)})", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        function = "HIST_LATENCY_BIN" if isinstance(self.edges[0], int) else "HIST_CONFIDENCE_BIN"
        return f"{function}({sql})", params
