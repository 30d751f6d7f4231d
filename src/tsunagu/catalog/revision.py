"""The catalog-wide revision counter.

Every write bumps it inside the writer's transaction. Because the bump takes a row lock held until
commit, revisions become visible in order, so a search index can catch up by asking for
"everything after revision N" without missing a change made by another process.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tsunagu.catalog.models import CatalogState, Dataset
from tsunagu.storage.upsert import begin_write


def bump_revision(session: Session) -> int:
    revision = session.execute(
        update(CatalogState)
        .where(CatalogState.id == 1)
        .values(revision=CatalogState.revision + 1)
        .returning(CatalogState.revision)
    ).scalar_one()
    return int(revision)


def current_revision(session: Session) -> int:
    return int(session.scalar(select(CatalogState.revision).where(CatalogState.id == 1)) or 0)


def lock_dataset(session: Session, dataset_id: str) -> Dataset | None:
    """Lock a dataset's row before a background writer changes its resources.

    Actions write the dataset row, then its resources, then the counter; a background writer
    (ingest or quality worker) that touched a resource or the counter first could deadlock with
    them on PostgreSQL, so it takes the dataset row first, in the same order.
    """
    begin_write(session)
    return session.scalars(
        select(Dataset).where(Dataset.id == dataset_id).with_for_update()
    ).first()


def lock_for_update(session: Session, dataset: Dataset) -> None:
    """Lock a dataset an action is about to change, and read it (and what the session already
    loaded) afresh: another writer may have committed since it was loaded.

    PostgreSQL: ``SELECT … FOR UPDATE`` on its row. SQLite: the database write lock
    (see storage.upsert.begin_write)."""
    begin_write(session)
    if not (session.new or session.dirty or session.deleted):
        # Nothing of this request is pending yet, so nothing is lost by reading every object
        # again (a resource loaded before the lock, for instance).
        session.expire_all()
    session.refresh(dataset, with_for_update=True)
