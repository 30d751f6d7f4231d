"""The catalog-wide revision counter.

Every write bumps it inside the writer's transaction. Because the bump takes a row lock held until
commit, revisions become visible in order, so a search index can catch up by asking for
"everything after revision N" without missing a change made by another process.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tsunagu.catalog.models import CatalogState


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
