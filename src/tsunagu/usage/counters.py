"""Counting views and downloads, and reading the most used datasets back.

Counting is best effort: a failure to count never fails the page or download it belongs to.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tsunagu.storage.types import utcnow
from tsunagu.usage.models import DatasetUsage

log = logging.getLogger(__name__)


def count(sessions: sessionmaker[Session], dataset_id: str, *, download: bool) -> None:
    column = DatasetUsage.downloads if download else DatasetUsage.page_views
    try:
        with sessions() as session:
            updated = session.execute(
                update(DatasetUsage)
                .where(DatasetUsage.dataset_id == dataset_id)
                .values({column: column + 1, DatasetUsage.updated: utcnow()})
            )
            if updated.rowcount == 0:
                session.add(
                    DatasetUsage(
                        dataset_id=dataset_id, downloads=int(download), page_views=int(not download)
                    )
                )
            session.commit()
    except (IntegrityError, OperationalError):
        # A concurrent first count or a busy database: losing one count is acceptable.
        log.debug("usage count skipped for %s", dataset_id)


def most_downloaded(session: Session, limit: int) -> list[str]:
    """Dataset ids by downloads, most first (visibility is the caller's job)."""
    return list(
        session.scalars(
            select(DatasetUsage.dataset_id)
            .where(DatasetUsage.downloads > 0)
            .order_by(DatasetUsage.downloads.desc(), DatasetUsage.dataset_id)
            .limit(limit)
        )
    )
