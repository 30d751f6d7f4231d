"""Counting views and downloads, and reading the most used datasets back.

A view or download is added to this process's pending counts (one per database) and written
later by :class:`UsageFlusher` in one transaction, as increments, so several processes add up.
While no flusher runs for a database (the CLI, a test without the app's lifespan), counts are
written at once, so none is ever left behind in memory.

Counting is best effort: a failure to count never fails the page or download it belongs to.
"""

from __future__ import annotations

import logging
import threading
import weakref
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tsunagu.storage.types import utcnow
from tsunagu.usage.models import DatasetUsage

log = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0


class PendingCounts:
    """Counts of one database not yet written: dataset id → [page views, downloads]."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, list[int]] = {}
        self.flushers = 0

    def add(self, dataset_id: str, views: int, downloads: int) -> None:
        """Callers hold ``lock``."""
        pending = self.counts.setdefault(dataset_id, [0, 0])
        pending[0] += views
        pending[1] += downloads

    def take(self) -> dict[str, list[int]]:
        with self.lock:
            taken, self.counts = self.counts, {}
        return taken

    def give_back(self, batch: dict[str, list[int]]) -> None:
        with self.lock:
            for dataset_id, (views, downloads) in batch.items():
                self.add(dataset_id, views, downloads)

    def downloads(self) -> dict[str, int]:
        with self.lock:
            return {i: d for i, (_, d) in self.counts.items() if d}


# Keyed by engine: the pages, downloads and the flusher of one app share it, and a test process
# running several apps on several databases keeps their counts apart.
_pending: weakref.WeakKeyDictionary[Engine, PendingCounts] = weakref.WeakKeyDictionary()
_pending_lock = threading.Lock()


def _pending_for(engine: Engine) -> PendingCounts:
    with _pending_lock:
        pending = _pending.get(engine)
        if pending is None:
            pending = _pending[engine] = PendingCounts()
        return pending


def _engine_of(sessions: sessionmaker[Session]) -> Engine:
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    return engine


def count(sessions: sessionmaker[Session], dataset_id: str, *, download: bool) -> None:
    """Count one page view or download of ``dataset_id``."""
    pending = _pending_for(_engine_of(sessions))
    with pending.lock:
        if pending.flushers:
            pending.add(dataset_id, int(not download), int(download))
            return
    _write(sessions, {dataset_id: [int(not download), int(download)]})


def flush(sessions: sessionmaker[Session]) -> int:
    """Write this process's pending counts for the database of ``sessions``; returns how many
    datasets were written. Counts that could not be written are kept for the next flush."""
    pending = _pending_for(_engine_of(sessions))
    batch = pending.take()
    if not batch:
        return 0
    if _write(sessions, batch):
        return len(batch)
    pending.give_back(batch)
    return 0


def _write(sessions: sessionmaker[Session], batch: dict[str, list[int]]) -> bool:
    try:
        with sessions() as session:
            now = utcnow()
            # Sorted, so two processes flushing at once lock rows in the same order (PostgreSQL).
            for dataset_id in sorted(batch):
                views, downloads = batch[dataset_id]
                _add_one(session, dataset_id, views, downloads, now)
            session.commit()
        return True
    except OperationalError:
        # A busy or unreachable database: the caller keeps the counts for the next try.
        log.warning("usage counts not written yet (database busy)", exc_info=True)
        return False


def _add_one(session: Session, dataset_id: str, views: int, downloads: int, now: datetime) -> None:
    def increment() -> int:
        result = session.execute(
            update(DatasetUsage)
            .where(DatasetUsage.dataset_id == dataset_id)
            .values(
                page_views=DatasetUsage.page_views + views,
                downloads=DatasetUsage.downloads + downloads,
                updated=now,
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    if increment():
        return
    try:
        with session.begin_nested():
            session.add(
                DatasetUsage(
                    dataset_id=dataset_id, page_views=views, downloads=downloads, updated=now
                )
            )
    except IntegrityError:
        # Another process inserted the first row meanwhile (add to it), or the dataset is gone
        # (nothing to count).
        if not increment():
            log.debug("usage count dropped for missing dataset %s", dataset_id)


class UsageFlusher:
    """Writes the pending counts of one database every few seconds, and the rest at stop."""

    def __init__(
        self, sessions: sessionmaker[Session], every_seconds: float = FLUSH_SECONDS
    ) -> None:
        self.sessions = sessions
        self.every_seconds = every_seconds
        self._pending = _pending_for(_engine_of(sessions))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="usage-flusher", daemon=True)

    def start(self) -> None:
        with self._pending.lock:
            self._pending.flushers += 1
        self._thread.start()

    def stop(self) -> None:
        # Counts arriving from now on are written at once (unless another flusher still runs);
        # everything counted before is in the pending batch the last flush below writes.
        with self._pending.lock:
            self._pending.flushers -= 1
        self._stop.set()
        self._thread.join(timeout=30)
        self._flush()

    def _loop(self) -> None:
        while not self._stop.wait(self.every_seconds):
            self._flush()

    def _flush(self) -> None:
        try:
            flush(self.sessions)
        except SQLAlchemyError:
            # Kept in memory by flush() when the write failed; the thread must live on.
            log.exception("could not write usage counts")


def most_downloaded(session: Session, limit: int) -> list[str]:
    """Dataset ids by downloads, most first, this process's unwritten downloads included
    (visibility is the caller's job)."""
    rows = session.execute(
        select(DatasetUsage.dataset_id, DatasetUsage.downloads)
        .where(DatasetUsage.downloads > 0)
        .order_by(DatasetUsage.downloads.desc(), DatasetUsage.dataset_id)
        .limit(limit)
    )
    totals: dict[str, int] = {dataset_id: downloads for dataset_id, downloads in rows}
    engine = session.get_bind()
    pending = _pending_for(engine).downloads() if isinstance(engine, Engine) else {}
    if pending:
        # A pending count can lift a dataset from below the stored top into it.
        others = [i for i in pending if i not in totals]
        if others:
            rows = session.execute(
                select(DatasetUsage.dataset_id, DatasetUsage.downloads).where(
                    DatasetUsage.dataset_id.in_(others)
                )
            )
            totals.update({dataset_id: downloads for dataset_id, downloads in rows})
        for dataset_id, downloads in pending.items():
            totals[dataset_id] = totals.get(dataset_id, 0) + downloads
    ranked = sorted(totals, key=lambda i: (-totals[i], i))
    return ranked[:limit]
