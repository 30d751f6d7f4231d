"""In-process notifications between capabilities, so the catalog need not import the datastore.

Resource listeners run inside the action's transaction: whatever they write commits or rolls back
with it. Ingest listeners run in the worker after the job has finished, with their own sessions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tsunagu.catalog.models import Dataset, Resource
    from tsunagu.context import Context, Services

log = logging.getLogger(__name__)

L = TypeVar("L", bound=Callable[..., None])


def _registrar(listeners: list[L]) -> Callable[[L], L]:
    """A decorator adding a listener to `listeners` once (modules may be imported again)."""

    def register(listener: L) -> L:
        if listener not in listeners:
            listeners.append(listener)
        return listener

    return register


ResourceListener = Callable[["Context", "Resource"], None]
_resource_saved: list[ResourceListener] = []
_resource_deleted: list[ResourceListener] = []
on_resource_saved = _registrar(_resource_saved)
on_resource_deleted = _registrar(_resource_deleted)


def resource_saved(context: Context, resource: Resource) -> None:
    for listener in _resource_saved:
        listener(context, resource)


def resource_deleted(context: Context, resource: Resource) -> None:
    for listener in _resource_deleted:
        listener(context, resource)


DatasetListener = Callable[["Context", "Dataset"], None]
_dataset_saving: list[DatasetListener] = []
on_dataset_saving = _registrar(_dataset_saving)


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
    storage_key: str = ""  # the uploaded file that was read ("" for a linked file)


IngestListener = Callable[["Services", IngestOutcome], None]
_ingest_finished: list[IngestListener] = []
on_ingest_finished = _registrar(_ingest_finished)


def ingest_finished(services: Services, outcome: IngestOutcome) -> None:
    """Run the listeners; one that fails is logged and skipped, as the ingest itself is done."""
    for listener in _ingest_finished:
        try:
            listener(services, outcome)
        except Exception:
            log.exception("ingest listener %s failed for %s", listener, outcome.resource_id)


@dataclass(frozen=True)
class StagedTable:
    """A file's rows are all in a staging table, and the published table (if any) is still
    there: the one moment both can be read side by side, before the swap."""

    resource_id: str
    storage_key: str  # the uploaded file the rows came from ("" for a linked file)
    staging_table: str
    fields: list[dict[str, object]]
    rows: int


StagedListener = Callable[["Services", StagedTable], None]
_table_staged: list[StagedListener] = []
on_table_staged = _registrar(_table_staged)


def table_staged(services: Services, staged: StagedTable) -> None:
    """Run the listeners before the staging table replaces the published one (they delay the
    swap, not the published table); one that fails is logged and skipped."""
    for listener in _table_staged:
        try:
            listener(services, staged)
        except Exception:
            log.exception("staging listener %s failed for %s", listener, staged.resource_id)


TableListener = Callable[["Session", str, "list[dict[str, object]] | None"], None]
_datastore_changed: list[TableListener] = []
on_datastore_changed = _registrar(_datastore_changed)


def datastore_changed(
    session: Session, resource_id: str, fields: list[dict[str, object]] | None
) -> None:
    """A resource's datastore table was made or changed (its `fields`), or removed (None).
    Listeners run in the writer's transaction (an action's or the ingest's publish step), so
    what they write (e.g. the resource's default views) commits together with the table."""
    for listener in _datastore_changed:
        listener(session, resource_id, fields)
