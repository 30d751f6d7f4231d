"""A resource's datastore_active flag, which package_show and the portal read."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tsunagu.catalog.models import Dataset, Resource
from tsunagu.catalog.revision import bump_revision


def mark_active(session: Session, resource_id: str, active: bool) -> None:
    """Flag the resource and make its dataset reindex, so package_show reports datastore_active."""
    resource = session.get(Resource, resource_id)
    if resource is None:
        return
    resource.extras = {**(resource.extras or {}), "datastore_active": active}
    dataset = session.get(Dataset, resource.dataset_id)
    if dataset is not None:
        dataset.revision = bump_revision(session)
