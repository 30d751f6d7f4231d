"""Metrics registered for one test that fail the ways another capability's metric can: raising,
giving text or NaN instead of a number, or running a statement the database refuses (on
PostgreSQL that aborts the transaction it runs in)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text

from tsunagu.metrics import registry

FAILURES = ("raise", "text", "nan", "sql")


def failing_value(context: Any, failure: str | None, good: object) -> object:
    """What a metric failing as ``failure`` names gives (``good`` when it is None)."""
    if failure == "raise":
        raise RuntimeError("the source of this figure is down")
    if failure == "text":
        return "集計中"
    if failure == "nan":
        return float("nan")
    if failure == "sql":
        context.session.execute(text("SELECT no_such_column FROM dataset"))
    return good


@contextmanager
def registered_metric(
    key: str, compute: Callable[[Any, dict[str, Any]], object], **options: Any
) -> Iterator[None]:
    """``compute`` registered as metric ``key`` (試験用, 件) until the block ends."""
    registry.metric(key, label="試験用", unit="件", **options)(compute)
    try:
        yield
    finally:
        registry._METRICS.pop(key, None)
