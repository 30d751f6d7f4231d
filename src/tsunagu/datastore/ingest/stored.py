"""The form SQLite stores a converted value in (dates and times as ISO text).

Kept apart from datastore.tables so that the ingest's reader process (ingest/parallel.py), which
folds this conversion into its own, starts without importing SQLAlchemy: that import was about
0.3 s of CPU before its first batch, on the way to the first insert.
"""

from __future__ import annotations

from collections.abc import Callable


def sqlite_stored(kind: str) -> Callable[[object], object] | None:
    """The conversion insert_rows applies on SQLite to a value of a column of ``kind``, for
    callers that convert cells once and reuse the result (None: values are bound as they are)."""
    return _sqlite_value if kind in ("date", "timestamp", "time") else None


# Values SQLite binds as they are; checked first because hasattr() on them is slow (it raises
# and catches AttributeError), and this runs on every cell of every ingest.
_SQLITE_NATIVE = frozenset({str, int, float, bool, type(None)})


def _sqlite_value(value: object) -> object:
    if value.__class__ in _SQLITE_NATIVE:
        return value
    # Store dates and times as ISO text, as SQLAlchemy's SQLite types read them back.
    if hasattr(value, "isoformat") and not isinstance(value, bool):
        return (
            value.isoformat(sep=" ")
            if hasattr(value, "hour") and hasattr(value, "day")
            else value.isoformat()
        )
    return value
