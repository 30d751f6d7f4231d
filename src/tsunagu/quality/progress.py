"""Whether a resource's current file still waits for its check.

The check of an uploaded or linked table runs after its ingest, on a quality worker: until the
stored result is the current file's, a client polling `resource_validation_show` must read
`pending` or `running`, never an empty report that looks like "no findings"."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.catalog.models import Resource
from tsunagu.datastore.models import IngestJob
from tsunagu.jobs.models import Job
from tsunagu.jobs.queue import ACTIVE, active_job
from tsunagu.quality.check_queue import KIND
from tsunagu.quality.models import ResourceQuality
from tsunagu.quality.service import is_table_file, signature


def has_current_result(record: ResourceQuality | None, resource: Resource) -> bool:
    return (
        record is not None
        and record.checked is not None
        and record.signature == signature(resource)
    )


def waiting_state(session: Session, resource: Resource) -> tuple[str, str | None] | None:
    """("pending" | "running", job id or None) while a check of the resource's file is queued,
    running or about to be queued; None when none is on its way.

    Read this before the stored result: a check commits its result in the commit that marks its
    job finished, so on PostgreSQL (each statement sees the latest commits) a job seen finished
    here means the result is there for the read that follows."""
    job = active_job(session, KIND, resource.id)
    if job is not None:
        return job.status, job.id
    if not is_table_file(resource):
        return None
    ingest = session.execute(
        select(IngestJob.status, IngestJob.started)
        .where(IngestJob.resource_id == resource.id)
        .order_by(IngestJob.created.desc())
        .limit(1)
    ).first()
    if ingest is None:
        return None
    status, started = ingest
    if status in ACTIVE:
        return "pending", None  # the ingest hands the file to the quality queue when it ends
    if status == "complete" and started is not None:
        # A finished load is marked complete just before it queues the check.
        since = session.execute(
            select(Job.status, Job.id)
            .where(Job.kind == KIND, Job.object_id == resource.id, Job.created >= started)
            .order_by(Job.created.desc())
            .limit(1)
        ).first()
        if since is None:
            return "pending", None
        if since[0] in ACTIVE:
            return since[0], since[1]
    return None
