"""Class breaks for a choropleth: quantiles, natural breaks (Jenks) or equal intervals.

Each method returns ``classes + 1`` ascending edges from the smallest to the largest value;
class ``i`` (1-based) holds the values in ``(edges[i-1], edges[i]]``, the first class also its
lower edge. Equal edges (many equal values) are merged, so fewer classes than asked may come
back — the legend then says so rather than showing empty classes.
"""

from __future__ import annotations

import bisect
import math

METHODS = ("quantile", "jenks", "equal_interval")
MIN_CLASSES = 2
MAX_CLASSES = 7
DEFAULT_CLASSES = 5
# Natural breaks are exact (Fisher's dynamic programme) up to this many values; above it they
# are computed over this many evenly spaced order statistics, which keeps a request fast.
JENKS_EXACT_LIMIT = 400

# ColorBrewer 2.0 "YlGnBu" (sequential, colour-blind safe), light to dark, per class count.
PALETTES: dict[int, tuple[str, ...]] = {
    2: ("#a1dab4", "#225ea8"),
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
NO_DATA_COLOR = "#d9d9d9"


def breaks(values: list[float], classes: int, method: str) -> list[float]:
    data = sorted(v for v in values if v is not None and math.isfinite(v))
    if not data:
        return []
    if data[0] == data[-1]:
        return [data[0], data[-1]]
    if method == "jenks":
        edges = _jenks(data, classes)
    elif method == "equal_interval":
        step = (data[-1] - data[0]) / classes
        edges = [data[0] + step * i for i in range(classes)] + [data[-1]]
    else:
        edges = [data[0]] + [_quantile(data, i / classes) for i in range(1, classes)] + [data[-1]]
    unique: list[float] = []
    for edge in edges:
        if not unique or edge > unique[-1]:
            unique.append(edge)
    return unique


def class_of(value: float | None, edges: list[float]) -> int | None:
    """The 1-based class of a value, None for a missing value or no edges."""
    if value is None or not edges:
        return None
    if len(edges) == 2 and edges[0] == edges[1]:
        return 1
    position = bisect.bisect_left(edges, value, 1, len(edges) - 1)
    return max(1, position)


def palette(classes: int) -> tuple[str, ...]:
    return PALETTES[max(MIN_CLASSES, min(MAX_CLASSES, classes))]


def _quantile(data: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of the data lie (type 7, as numpy and R default)."""
    position = fraction * (len(data) - 1)
    low = math.floor(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


def _jenks(data: list[float], classes: int) -> list[float]:
    if len(data) > JENKS_EXACT_LIMIT:
        count = JENKS_EXACT_LIMIT
        data = [data[round(i * (len(data) - 1) / (count - 1))] for i in range(count)]
    n = len(data)
    classes = min(classes, n)
    # Prefix sums give any run's within-class squared deviation in O(1).
    s1 = [0.0] * (n + 1)
    s2 = [0.0] * (n + 1)
    for i, v in enumerate(data):
        s1[i + 1] = s1[i] + v
        s2[i + 1] = s2[i] + v * v

    def cost(i: int, j: int) -> float:  # values data[i..j-1]
        total = s1[j] - s1[i]
        return s2[j] - s2[i] - total * total / (j - i)

    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(classes + 1)]
    start = [[0] * (n + 1) for _ in range(classes + 1)]
    best[0][0] = 0.0
    for k in range(1, classes + 1):
        row, previous, starts = best[k], best[k - 1], start[k]
        for j in range(k, n + 1):
            low = inf
            at = k - 1
            for i in range(k - 1, j):
                candidate = previous[i] + cost(i, j)
                if candidate < low:
                    low, at = candidate, i
            row[j], starts[j] = low, at
    edges = [data[-1]]
    j = n
    for k in range(classes, 1, -1):
        j = start[k][j]
        edges.append(data[j - 1])
    edges.append(data[0])
    return sorted(edges)
