"""The histograms the rollups keep, and the percentiles estimated from them (pure Python, no Django).

**Response time**: bin 0 counts 0 ms; bin *k* ≥ 1 counts ``LATENCY_EDGES[k-1] ≤ ms < LATENCY_EDGES[k]``, the last
bin everything from about 10.5 minutes up. Every millisecond below 40 ms has a bin of its own (exact); above that a bin is
at most 5 % of its lower edge wide, so an estimated percentile is within 5 % of the exact one (in practice far
closer: it is interpolated within its bin and clamped to the exact minimum and maximum).

**Confidence**: bin *k* counts ``k/100 ≤ c < (k+1)/100`` (bin 100: exactly 1.0). The count below a threshold with
at most two decimals — the dashboards' — is exact.

The database computes the same bins as :func:`latency_bin` and :func:`confidence_bin` with PostgreSQL's
``width_bucket`` over the same edges (``monitoring.rollups``): integer and float comparisons only, so a row lands
in the same bin whichever side computed it.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

LATENCY_GROWTH = 1.05
LATENCY_TOP_MS = 600_000


def _latency_edges() -> tuple[int, ...]:
    """1, 2, 3, …: each next edge the larger of one more millisecond and ⌊edge × 1.05⌋."""
    edges = [1]
    while edges[-1] < LATENCY_TOP_MS:
        edges.append(max(edges[-1] + 1, math.floor(edges[-1] * LATENCY_GROWTH)))
    return tuple(edges)


LATENCY_EDGES: tuple[int, ...] = _latency_edges()
LATENCY_BINS = len(LATENCY_EDGES) + 1

CONFIDENCE_EDGES: tuple[float, ...] = tuple(k / 100 for k in range(101))
CONFIDENCE_BINS = len(CONFIDENCE_EDGES)  # width_bucket gives 1..101 for 0 ≤ c ≤ 1; stored at 0..100


def latency_bin(ms: int) -> int:
    return bisect_right(LATENCY_EDGES, ms)


def confidence_bin(value: float) -> int:
    return bisect_right(CONFIDENCE_EDGES, value) - 1


def empty(bins: int) -> list[float]:
    return [0.0] * bins


def latency_histogram(values: Sequence[int]) -> list[float]:
    counts = empty(LATENCY_BINS)
    for ms in values:
        counts[latency_bin(ms)] += 1
    return counts


def confidence_histogram(values: Sequence[float | None]) -> list[float]:
    counts = empty(CONFIDENCE_BINS)
    for value in values:
        if value is not None:
            counts[confidence_bin(value)] += 1
    return counts


def add(a: Sequence[float] | None, b: Sequence[float] | None) -> list[float] | None:
    if a is None:
        return None if b is None else list(b)
    if b is None:
        return list(a)
    return [x + y for x, y in zip(a, b)]


def _latency_bounds(index: int) -> tuple[float, float]:
    if index == 0:
        return 0.0, 0.0
    low = float(LATENCY_EDGES[index - 1])
    high = float(LATENCY_EDGES[index]) if index < len(LATENCY_EDGES) else math.inf
    return low, high


def _confidence_bounds(index: int) -> tuple[float, float]:
    return index / 100, min(1.0, (index + 1) / 100)


def _ranked(counts: Sequence[int], ends: list[int], bounds, rank: int, low: float, high: float) -> float:
    """The estimated value of the ``rank``-th (0-based) smallest value: its bin's values taken as evenly spread
    over the bin (a latency bin one millisecond wide holds one value: exact), clamped to the exact minimum and
    maximum. ``ends[i]`` is the number of values in bins 0..i."""
    index = bisect_right(ends, rank)
    if index >= len(counts):
        return high
    count, seen = counts[index], ends[index] - counts[index]
    start, end = bounds(index)
    if bounds is _latency_bounds and end - start <= 1:
        value = start  # integer milliseconds: a bin one wide holds a single value
    else:
        start, end = max(start, low), min(end, high)
        value = start + (end - start) * ((rank - seen) + 0.5) / count
    return min(max(value, low), high)


def _percentiles(counts, bounds, fractions, low, high) -> list[float | None]:
    counts = [round(count) for count in counts] if counts else []
    ends = list(accumulate(counts))
    total = ends[-1] if ends else 0
    if total <= 0:
        return [None for _ in fractions]
    result = []
    for fraction in fractions:
        # PostgreSQL's percentile_cont: interpolate between the values at the two ranks around p × (n − 1).
        position = fraction * (total - 1)
        lower, upper = math.floor(position), math.ceil(position)
        a = _ranked(counts, ends, bounds, lower, low, high)
        b = a if upper == lower else _ranked(counts, ends, bounds, upper, low, high)
        result.append(a + (b - a) * (position - lower))
    return result


def latency_percentiles(
    counts: Sequence[float] | None, fractions: Sequence[float], *, minimum: float, maximum: float
) -> list[float | None]:
    """Estimated response-time percentiles (ms) from a latency histogram and the exact minimum and maximum."""
    return _percentiles(counts, _latency_bounds, fractions, float(minimum), float(maximum))


def confidence_percentile(counts: Sequence[float] | None, fraction: float) -> float | None:
    return _percentiles(counts, _confidence_bounds, [fraction], 0.0, 1.0)[0]


def count_below(counts: Sequence[float] | None, threshold: float) -> int:
    """Confidences below ``threshold`` (a multiple of 0.01: exact)."""
    if not counts:
        return 0
    return round(sum(counts[: confidence_bin(threshold)])) if threshold > 0 else 0


def is_confidence_step(threshold: float) -> bool:
    """A threshold the histograms answer exactly: a multiple of 0.01 between 0 and 1."""
    return 0 <= threshold <= 1 and CONFIDENCE_EDGES[confidence_bin(threshold)] == threshold
