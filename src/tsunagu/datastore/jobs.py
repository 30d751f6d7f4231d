"""Ingest jobs: queued in the database inside the action that changed the resource, run by a
background worker thread in each app process (claiming a job is an atomic UPDATE, so several
processes can share the queue)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from tsunagu.catalog.models import Resource
from tsunagu.context import Context, Services
from tsunagu.datastore import tables
from tsunagu.datastore.models import DatastoreTable, IngestJob, log_entry
from tsunagu.events import on_resource_deleted, on_resource_saved
from tsunagu.jobs.runner import JobWorker
from tsunagu.storage.types import utcnow

log = logging.getLogger(__name__)

TABULAR_FORMATS = {"CSV", "TSV", "TXT", "XLSX", "XLS", "XLSM", "ODS", "JSON", "GEOJSON"}
ACTIVE = ("pending", "running")
STALE_AFTER = timedelta(minutes=5)


def signature(resource: Resource) -> str:
    """What identifies the file's content: a new upload or a new URL means a new ingest."""
    return f"{resource.url_type}|{resource.url}|{resource.hash}|{resource.last_modified}"


def is_tabular(resource: Resource) -> bool:
    return resource.format.upper() in TABULAR_FORMATS and bool(resource.url)


def latest_job(context: Context, resource_id: str) -> IngestJob | None:
    return context.session.scalar(
        select(IngestJob)
        .where(IngestJob.resource_id == resource_id)
        .order_by(IngestJob.created.desc())
        .limit(1)
    )


def submit(
    context: Context, resource: Resource, options: dict[str, Any] | None = None
) -> IngestJob:
    """Queue an ingest; an already queued one for the same resource is reused."""
    job = latest_job(context, resource.id)
    options = {**(options or {}), "signature": signature(resource)}
    if "sheet" not in options and job is not None and job.options.get("sheet"):
        options["sheet"] = job.options["sheet"]  # the sheet staff chose stays chosen
    if job is not None and job.status == "pending":
        job.options = options
        return job
    job = IngestJob(
        resource_id=resource.id,
        options=options,
        log=[log_entry("info", "取り込みを受け付けました")],
    )
    context.session.add(job)
    context.session.flush()
    return job


@on_resource_saved
def _queue_changed_tabular_resource(context: Context, resource: Resource) -> None:
    if not is_tabular(resource):
        return
    job = latest_job(context, resource.id)
    if job is not None and job.options.get("signature") == signature(resource):
        return
    submit(context, resource)


@on_resource_deleted
def _drop_table_of_deleted_resource(context: Context, resource: Resource) -> None:
    # As in CKAN: a deleted resource's datastore table goes with it.
    meta = context.session.get(DatastoreTable, resource.id)
    if meta is not None:
        tables.drop(context.session.connection(), meta.table_name)
        context.session.delete(meta)
    for job in context.session.scalars(
        select(IngestJob).where(IngestJob.resource_id == resource.id, IngestJob.status == "pending")
    ):
        job.status = "error"
        job.error = "リソースが削除されました"


def claim_next(services: Services) -> str | None:
    with services.sessions() as session:
        candidates = session.scalars(
            select(IngestJob.id)
            .where(IngestJob.status == "pending")
            .order_by(IngestJob.created)
            .limit(5)
        ).all()
        for job_id in candidates:
            claimed = session.execute(
                update(IngestJob)
                .where(IngestJob.id == job_id, IngestJob.status == "pending")
                .values(status="running", started=utcnow(), heartbeat=utcnow(), rows_done=0)
            )
            session.commit()
            if claimed.rowcount == 1:
                return job_id
    return None


class IngestWorker(JobWorker):
    """Runs queued ingest jobs in a background thread until stopped; ingest has its own table
    (IngestJob), so it claims and recovers there rather than in `job`."""

    kind = "ingest"

    def prepare(self) -> None:
        # A job left "running" by a process that died (no heartbeat for a while) is queued again.
        stale = utcnow() - STALE_AFTER
        with self.services.sessions() as session:
            session.execute(
                update(IngestJob)
                .where(
                    IngestJob.status == "running",
                    (IngestJob.heartbeat < stale)
                    | (IngestJob.heartbeat.is_(None) & (IngestJob.started < stale)),
                )
                .values(status="pending")
            )
            session.commit()
        from tsunagu.datastore.pipeline import index_missing_full_text

        index_missing_full_text(self.services)

    def claim(self) -> str | None:
        return claim_next(self.services)

    def run(self, job_id: str) -> None:
        from tsunagu.datastore.pipeline import run_job

        run_job(self.services, job_id)
