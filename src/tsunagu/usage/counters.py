"""Counting views and downloads, and reading the most used datasets back.

A use (:func:`record`) is added to this process's pending counts (one set per database) and
written later by :class:`UsageFlusher` in one transaction, as increments, so several processes
add up: the dataset's running totals (``dataset_usage``) and one row per day for the dataset,
the resource, and, for a public dataset, its organisation and the whole site (``usage_daily``).
While no flusher runs for a database (the CLI, a test without the app's lifespan), counts are
written at once, so none is ever left behind in memory.

Nothing about the client is kept, in memory or in the database: the caller has already decided
whether and how to count (usage/clients.py); what is pending is ids and numbers.

Counting is best effort: a failure to count never fails the page or download it belongs to.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tsunagu.catalog.models import Dataset
from tsunagu.storage.types import utcnow
from tsunagu.usage.clients import Client
from tsunagu.usage.models import DATASET, ORGANIZATION, RESOURCE, SITE, DatasetUsage, UsageDaily

log = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0
JST = dt.timezone(dt.timedelta(hours=9))
# The counted columns of usage_daily, in the order of a pending row's numbers.
COLUMNS = ("page_views", "api_views", "downloads", "api_downloads")
DailyKey = tuple[str, str, dt.date]  # (kind, object id, day)
_CHUNK = 500  # ids per IN list


_JST_SECONDS = 9 * 3600
_day_cache: tuple[int, dt.date] = (0, dt.date.min)


def today() -> dt.date:
    """The day a use is counted on: the catalog serves Japanese public bodies (JST). From the
    clock's day number, so the date is built once a day rather than once a request."""
    global _day_cache
    number = (int(time.time()) + _JST_SECONDS) // 86400
    cached_number, cached_day = _day_cache
    if number != cached_number:
        cached_day = dt.date(1970, 1, 1) + dt.timedelta(days=number)
        _day_cache = (number, cached_day)
    return cached_day


class Subject(NamedTuple):
    """What was used: a dataset (of an organisation, public or not) and maybe one resource.
    (A named tuple: one is made on every counted request.)"""

    dataset_id: str
    organization_id: str | None
    public: bool
    resource_id: str | None = None


@dataclass
class Batch:
    """Counts not yet written: dataset id → [page views, downloads] (the running totals), and
    (kind, object id, day) → the numbers of COLUMNS."""

    totals: dict[str, list[int]] = field(default_factory=dict)
    daily: dict[DailyKey, list[int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.totals or self.daily)

    def add_total(self, dataset_id: str, views: int, downloads: int) -> None:
        pending = self.totals.get(dataset_id)
        if pending is None:
            self.totals[dataset_id] = [views, downloads]
        else:
            pending[0] += views
            pending[1] += downloads

    def add_daily(self, key: DailyKey, numbers: list[int] | tuple[int, ...]) -> None:
        pending = self.daily.get(key)
        if pending is None:
            self.daily[key] = list(numbers)
        else:
            for i, n in enumerate(numbers):
                pending[i] += n

    def add_one(self, key: DailyKey, columns: tuple[int, ...]) -> None:
        """One use: 1 more in each of ``columns`` (indexes into COLUMNS) of a daily row."""
        pending = self.daily.get(key)
        if pending is None:
            pending = self.daily[key] = [0, 0, 0, 0]
        for i in columns:
            pending[i] += 1

    def merge(self, other: Batch) -> None:
        for dataset_id, (views, downloads) in other.totals.items():
            self.add_total(dataset_id, views, downloads)
        for key, numbers in other.daily.items():
            self.add_daily(key, numbers)


# The columns (indexes into COLUMNS) one use adds 1 to, by (download, client).
_STEPS: dict[tuple[bool, Client], tuple[int, ...]] = {
    (False, "browser"): (0,),  # page_views
    (False, "program"): (1,),  # api_views
    (True, "browser"): (2,),  # downloads
    (True, "program"): (2, 3),  # downloads, api_downloads
}


def _add_use(batch: Batch, subject: Subject, download: bool, client: Client, day: dt.date) -> None:
    step = _STEPS[(download, client)]
    # The running totals keep what the home page ranked by before: page views in a browser,
    # downloads by anyone but bots.
    if download or client == "browser":
        batch.add_total(subject.dataset_id, int(not download), int(download))
    batch.add_one((DATASET, subject.dataset_id, day), step)
    if subject.resource_id:
        batch.add_one((RESOURCE, subject.resource_id, day), step)
    if subject.public:
        if subject.organization_id:
            batch.add_one((ORGANIZATION, subject.organization_id, day), step)
        batch.add_one((SITE, "", day), step)


class PendingCounts:
    """The counts of one database not yet written."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.batch = Batch()
        self.flushers = 0

    def take(self) -> Batch:
        with self.lock:
            taken, self.batch = self.batch, Batch()
        return taken

    def give_back(self, batch: Batch) -> None:
        with self.lock:
            batch.merge(self.batch)
            self.batch = batch

    def downloads(self) -> dict[str, int]:
        with self.lock:
            return {i: d for i, (_, d) in self.batch.totals.items() if d}


# Keyed by engine: the pages, downloads and the flusher of one app share it, and a test process
# running several apps on several databases keeps their counts apart.
_pending: weakref.WeakKeyDictionary[Engine, PendingCounts] = weakref.WeakKeyDictionary()
_pending_lock = threading.Lock()


def _pending_for(engine: Engine) -> PendingCounts:
    pending = _pending.get(engine)  # once made, found without the lock
    if pending is not None:
        return pending
    with _pending_lock:
        pending = _pending.get(engine)
        if pending is None:
            pending = _pending[engine] = PendingCounts()
        return pending


def _engine_of(sessions: sessionmaker[Session]) -> Engine:
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    return engine


def record(
    sessions: sessionmaker[Session],
    subject: Subject,
    *,
    download: bool,
    client: Client,
    day: dt.date | None = None,
) -> None:
    """Count one use of ``subject``: a view (a page, or package_show / resource_show) or a
    download, by a browser or a program, on ``day`` (today in Japan unless given)."""
    day = day or today()
    pending = _pending_for(_engine_of(sessions))
    with pending.lock:
        if pending.flushers:
            _add_use(pending.batch, subject, download, client, day)
            return
    batch = Batch()
    _add_use(batch, subject, download, client, day)
    _write(sessions, batch)


def flush(sessions: sessionmaker[Session]) -> int:
    """Write this process's pending counts for the database of ``sessions``; returns how many
    rows they were for (a dataset gone meanwhile is dropped). Counts that could not be written
    are kept for the next flush."""
    pending = _pending_for(_engine_of(sessions))
    batch = pending.take()
    if not batch:
        return 0
    if _write(sessions, batch):
        return len(batch.totals) + len(batch.daily)
    pending.give_back(batch)
    return 0


def _write(sessions: sessionmaker[Session], batch: Batch) -> bool:
    try:
        with sessions() as session:
            _add_totals(session, batch.totals)
            _add_daily(session, batch.daily)
            session.commit()
        return True
    except OperationalError:
        # A busy or unreachable database: the caller keeps the counts for the next try.
        log.warning("usage counts not written yet (database busy)", exc_info=True)
        return False


def _insert(session: Session, table: Table) -> Any:
    """An INSERT that can take ON CONFLICT … DO UPDATE (SQLite or PostgreSQL)."""
    insert: Any = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table)


def _add_totals(session: Session, totals: dict[str, list[int]]) -> None:
    """The running totals, one upsert per dataset in one statement (executemany); a dataset
    that is gone meanwhile has nothing to count."""
    if not totals:
        return
    ids = sorted(totals)
    existing: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        existing.update(session.scalars(select(Dataset.id).where(Dataset.id.in_(chunk))))
    now = utcnow()
    # Sorted, so two processes flushing at once lock rows in the same order (PostgreSQL).
    rows = [
        {"dataset_id": i, "page_views": totals[i][0], "downloads": totals[i][1], "updated": now}
        for i in ids
        if i in existing
    ]
    if not rows:
        return
    table: Table = DatasetUsage.__table__  # type: ignore[assignment]
    statement = _insert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.dataset_id],
        set_={
            "page_views": table.c.page_views + statement.excluded.page_views,
            "downloads": table.c.downloads + statement.excluded.downloads,
            "updated": statement.excluded.updated,
        },
    )
    session.connection().execute(statement, rows)


def _add_daily(session: Session, daily: dict[DailyKey, list[int]]) -> None:
    """One upsert per row adding the numbers (INSERT … ON CONFLICT DO UPDATE), so a row another
    process created meanwhile is added to, never replaced; all in one statement."""
    if not daily:
        return
    table: Table = UsageDaily.__table__  # type: ignore[assignment]
    statement = _insert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.kind, table.c.object_id, table.c.day],
        set_={name: table.c[name] + statement.excluded[name] for name in COLUMNS},
    )
    rows = [
        {
            "kind": kind,
            "object_id": object_id,
            "day": day,
            **dict(zip(COLUMNS, numbers, strict=True)),
        }
        for (kind, object_id, day), numbers in sorted(daily.items())
    ]
    session.connection().execute(statement, rows)


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


def pending_copy(session: Session) -> Batch:
    """A copy of this process's counts not yet written to the database of ``session``."""
    engine = session.get_bind()
    copy = Batch()
    if isinstance(engine, Engine):
        pending = _pending_for(engine)
        with pending.lock:
            copy.merge(pending.batch)
    return copy
