"""Short-word postings rebuilt in the background after API writes.

An ingest builds a table's postings (datastore/postings.py; on SQLite postings_sqlite.py) at its
end, and any later write invalidates them in the same transaction (the table's triggers). Each
write action (datastore_create with records, datastore_upsert, datastore_delete with filters)
therefore queues a job of kind ``datastore_postings`` for the table in its own transaction; while
the job waits, later writes reuse it (`jobs.queue.enqueue`) and move its ``written`` time on, so a
burst of 1,000 upserts queues one job. A `PostingsWorker` takes a job only once the table has had
no write for ``Settings.datastore_postings_quiet_seconds`` and rebuilds the postings then.

A write during the rebuild goes through, and can never leave postings marked valid that miss
it: it deletes the reading mark `postings.build` set before its read, so the build leaves its
postings unmarked (SQLite: does not put them in place), and the write has queued the next
rebuild. A failed rebuild leaves the postings invalid and q exact on the full-text index; a
table dropped or replaced meanwhile ends the job with nothing to do.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from tsunagu.context import Services
from tsunagu.datastore import fulltext, postings
from tsunagu.datastore.models import DatastoreTable
from tsunagu.jobs.models import Job
from tsunagu.jobs.queue import (
    active_job,
    claim_next,
    enqueue,
    finish,
    finish_in,
    prune_finished,
    recover_stale,
)
from tsunagu.jobs.runner import Heartbeat, JobWorker
from tsunagu.storage.types import utcnow

log = logging.getLogger(__name__)

KIND = "datastore_postings"
TITLE = "短い語の索引の再作成 (Rebuild short-word postings)"
# The waiting jobs looked at per claim (one per recently written table).
CLAIM_CANDIDATES = 50
KEEP_FINISHED = timedelta(days=7)


def request_rebuild(session: Session, meta: DatastoreTable) -> None:
    """After a write to the table, in the writer's transaction: queue (or move on) the rebuild
    of its postings. Nothing for a table too big for postings."""
    if meta.row_count > postings.MAX_ROWS:
        return
    # Concurrent writes to one table would otherwise both find no waiting job and queue two:
    # they take turns on the table's row (which every write action changes anyway, so the lock
    # comes in the order they already take it), held until the writer commits.
    session.execute(
        select(DatastoreTable.resource_id)
        .where(DatastoreTable.resource_id == meta.resource_id)
        .with_for_update()
    )
    enqueue(
        session,
        KIND,
        object_id=meta.resource_id,
        title=TITLE,
        options={"table": meta.table_name, "written": utcnow().isoformat()},
    )


def queue_missing(services: Services) -> int:
    """Queue a rebuild for each table whose full-text index is built but whose postings are
    not valid and not waiting for one: tables loaded before this kind of postings existed (on
    SQLite, all of them until then), a build that failed, or one a stopped process never ran.
    Returns how many were queued; the worker builds them once the quiet period has passed."""
    with services.sessions() as session:
        connection = session.connection()
        missing = [
            meta
            for meta in session.scalars(
                select(DatastoreTable).where(DatastoreTable.row_count <= postings.MAX_ROWS)
            )
            if fulltext.coverage(connection, meta.table_name) is fulltext.Coverage.ALL_WORDS
            and not postings.valid(connection, meta.table_name)
            and active_job(session, KIND, meta.resource_id) is None
        ]
        for meta in missing:
            request_rebuild(session, meta)
        session.commit()
    return len(missing)


def state(session: Session, meta: DatastoreTable) -> str:
    """datastore_info's short_word_postings: ``valid`` (q's short words count from them),
    ``pending`` (a rebuild waits for writes to go quiet), ``rebuilding``, or ``none``."""
    if postings.valid(session.connection(), meta.table_name):
        return "valid"
    job = active_job(session, KIND, meta.resource_id)
    if job is None:
        return "none"
    return "rebuilding" if job.status == "running" else "pending"


def claim_quiet(services: Services, quiet_seconds: float) -> str | None:
    """Take the oldest waiting job whose table has had no write for ``quiet_seconds``."""
    cutoff = utcnow() - timedelta(seconds=quiet_seconds)
    return claim_next(
        services,
        KIND,
        ready=lambda options: _written(options) <= cutoff,
        candidates=CLAIM_CANDIDATES,
    )


def _written(options: object) -> datetime:
    value = options.get("written") if isinstance(options, dict) else None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.min  # not known: due at once


def run_job(services: Services, job_id: str) -> str:
    """Rebuild the postings of the job's table if they are still missing or invalid; returns
    how the job ended."""
    with services.sessions() as session:
        job = session.get(Job, job_id)
        resource_id = job.object_id if job is not None else None
        meta = session.get(DatastoreTable, resource_id) if resource_id is not None else None
        table = meta.table_name if meta is not None else None
    if resource_id is None or table is None:
        # Dropped (whole-table datastore_delete, resource deleted) before the job ran.
        finish(services, job_id, "complete")
        return "complete"
    try:
        with Heartbeat(services, job_id, kind=KIND), services.sessions() as session:
            # Builders of one table take turns with the ingest's (pipeline.index_postings),
            # and read the table's record again once it is their turn.
            postings.take_building_turn(session, table)
            outcome = _rebuild(session, session.get(DatastoreTable, resource_id), table)
            finish_in(session, job_id, "complete")
            session.commit()
    except Exception as error:  # q stays exact on the ngram index; the job says why
        if _table_gone(services, resource_id, table):
            finish(services, job_id, "complete")
            return "complete"
        log.exception("short-word postings rebuild of %s failed", table)
        finish(
            services,
            job_id,
            "error",
            "短い語の索引を作れませんでした。q は全文検索の索引で答えます "
            f"(Short-word postings failed; q uses the full-text index): {error}",
        )
        return "error"
    log.info("short-word postings of %s: %s", table, outcome)
    return "complete"


def _rebuild(session: Session, meta: DatastoreTable | None, table: str) -> str:
    if meta is None or meta.table_name != table:
        # Dropped, or replaced by an ingest (whose own build gives the new table postings).
        return "table gone"
    if meta.row_count > postings.MAX_ROWS:
        return "over the size limit"
    connection = session.connection()
    if postings.valid(connection, table):
        return "already valid"
    return f"rebuilt ({postings.build(connection, table)} grams)"


def _table_gone(services: Services, resource_id: str, table: str) -> bool:
    """Whether the job's table was dropped or replaced while the job ran (then a failure is
    only that: nothing is left to build)."""
    with services.sessions() as session:
        meta = session.get(DatastoreTable, resource_id)
        if meta is None or meta.table_name != table:
            return True
        return not inspect(session.connection()).has_table(table)


class PostingsWorker(JobWorker):
    """Rebuilds the postings of tables whose writes have gone quiet."""

    kind = KIND

    def __init__(self, services: Services, poll_seconds: float = 1.0) -> None:
        super().__init__(services, poll_seconds)

    def prepare(self) -> None:
        recover_stale(self.services, KIND)
        # One job per table per burst of writes: kept a week for job_list, not the default month.
        prune_finished(self.services, KIND, keep=KEEP_FINISHED)

    def begin(self) -> None:
        # In the worker's thread: a catalog of many tables does not hold up the start. A
        # failure only leaves those tables on the full-text index, so the worker goes on.
        try:
            queued = queue_missing(self.services)
        except Exception:
            log.exception("could not queue the short-word postings of tables without them")
            return
        if queued:
            log.info("short-word postings queued for %d table(s) without them", queued)

    def claim(self) -> str | None:
        return claim_quiet(self.services, self.services.settings.datastore_postings_quiet_seconds)

    def run(self, job_id: str) -> None:
        run_job(self.services, job_id)
