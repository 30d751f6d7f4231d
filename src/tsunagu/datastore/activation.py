"""A resource's datastore_active flag, which package_show and the portal read."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tsunagu.catalog.models import Resource
from tsunagu.catalog.revision import bump_revision, lock_dataset
from tsunagu.datastore.models import DatastoreTable
from tsunagu.events import datastore_changed


def mark_active(
    session: Session, resource_id: str, active: bool, notes: list[str] | None = None
) -> None:
    """Flag the resource and make its dataset reindex, so package_show reports datastore_active.

    ``notes`` are the title, unit and 「※…」 lines found around the table in the file; they are
    kept on the resource because they often say what the numbers mean.
    """
    resource = session.get(Resource, resource_id)
    if resource is None:
        return
    dataset = lock_dataset(session, resource.dataset_id)
    extras = {**(resource.extras or {}), "datastore_active": active}
    if notes is not None:
        extras["datastore_notes"] = notes
    resource.extras = extras
    if dataset is not None:
        dataset.revision = bump_revision(session)
    meta = session.get(DatastoreTable, resource_id) if active else None
    datastore_changed(session, resource_id, list(meta.fields) if meta is not None else None)
