"""In-process notifications between capabilities, so the catalog need not import the datastore.

Resource listeners run inside the action's transaction: whatever they write commits or rolls back
with it. Ingest listeners run in the worker after the job has finished, with their own sessions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tsunagu.catalog.models import Dataset, Resource
    from tsunagu.context import Context, Services

log = logging.getLogger(__name__)

ResourceListener = Callable[["Context", "Resource"], None]
_resource_saved: list[ResourceListener] = []


def on_resource_saved(listener: ResourceListener) -> ResourceListener:
    if listener not in _resource_saved:
        _resource_saved.append(listener)
    return listener


_resource_deleted: list[ResourceListener] = []


def resource_saved(context: Context, resource: Resource) -> None:
    for listener in _resource_saved:
        listener(context, resource)


def on_resource_deleted(listener: ResourceListener) -> ResourceListener:
    if listener not in _resource_deleted:
        _resource_deleted.append(listener)
    return listener


def resource_deleted(context: Context, resource: Resource) -> None:
    for listener in _resource_deleted:
        listener(context, resource)


DatasetListener = Callable[["Context", "Dataset"], None]
_dataset_saving: list[DatasetListener] = []


def on_dataset_saving(listener: DatasetListener) -> DatasetListener:
    if listener not in _dataset_saving:
        _dataset_saving.append(listener)
    return listener


def dataset_saving(context: Context, dataset: Dataset) -> None:
    """A dataset or its resources changed and are about to be committed. A listener may raise
    (e.g. ValidationError) to refuse the change: the whole action then rolls back."""
    for listener in _dataset_saving:
        listener(context, dataset)


@dataclass(frozen=True)
class IngestOutcome:
    """An ingest job that just finished; `path` (the local copy of the file) exists only while
    the listeners run, so they can read the file without fetching it again."""

    resource_id: str
    path: Path
    format: str
    sheet: str | None
    error: str | None = None  # the reason the file could not be loaded, or None on success


IngestListener = Callable[["Services", IngestOutcome], None]
_ingest_finished: list[IngestListener] = []


def on_ingest_finished(listener: IngestListener) -> IngestListener:
    if listener not in _ingest_finished:
        _ingest_finished.append(listener)
    return listener


def ingest_finished(services: Services, outcome: IngestOutcome) -> None:
    """Run the listeners; one that fails is logged and skipped, as the ingest itself is done."""
    for listener in _ingest_finished:
        try:
            listener(services, outcome)
        except Exception:
            log.exception("ingest listener %s failed for %s", listener, outcome.resource_id)
