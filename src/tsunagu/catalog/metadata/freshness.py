"""鮮度: when a dataset's data is next due, from its update frequency.

The last data update is the newest time a file or link of the dataset changed (each resource's
``last_modified``, or its ``created`` when it has none); a dataset without resources counts from
its ``metadata_modified``. Metadata edits to a dataset with files do not make it fresh: only new
data does. A dataset is overdue from ``next_update_due`` on: the period of its frequency plus a
grace (毎月: 30 + 15 = 45 days), so a monthly file published a few days late is not flagged.
随時, 不定期 and no frequency have no due date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tsunagu.catalog.metadata.frequency import due_after_days


def last_data_update(
    resource_times: Iterable[tuple[datetime | None, datetime | None]],
    metadata_modified: datetime | None,
) -> datetime | None:
    """``resource_times`` holds (last_modified, created) for each active resource."""
    times = [modified or created for modified, created in resource_times]
    known = [t for t in times if t is not None]
    if known:
        return max(known)
    return metadata_modified


def next_update_due(frequency_code: str, last_update: datetime | None) -> str | None:
    """The ISO date from which the dataset is overdue, or None when it has no schedule."""
    days = due_after_days(frequency_code)
    if days is None or last_update is None:
        return None
    return (last_update + timedelta(days=days)).date().isoformat()
