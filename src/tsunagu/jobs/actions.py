"""job_list, job_show, job_cancel, job_clear: CKAN's background-job actions over both queues,
the ingest jobs (queue "ingest", table ingest_job) and the jobs in the `job` table (queue = the
job's kind, e.g. "quality"). Sysadmins only, as in CKAN."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.lookup import require_id
from tsunagu.catalog.models import Resource
from tsunagu.context import Context
from tsunagu.datastore.models import IngestJob
from tsunagu.errors import NotFound, ValidationError, require
from tsunagu.jobs.models import Job
from tsunagu.jobs.queue import ACTIVE, FINISHED
from tsunagu.registry import action
from tsunagu.storage.types import utcnow

INGEST = "ingest"
STATUSES = (*ACTIVE, *FINISHED)
MAX_LIMIT = 1000


def _iso(value: datetime | None) -> str | None:
    # CKAN's dictize_job writes seconds without a fraction.
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value else None


def _ingest_dict(job: IngestJob, resource_name: str) -> dict[str, Any]:
    return {
        "id": job.id,
        "title": f"取り込み: {resource_name or job.resource_id}",
        "created": _iso(job.created),
        "queue": INGEST,
        "status": job.status,
        "object_id": job.resource_id,
        "progress": {"rows_done": job.rows_done},
        "error": job.error or None,
        "started": _iso(job.started),
        "finished": _iso(job.finished),
        "last_updated": _iso(job.heartbeat or job.finished or job.created),
        "cancel_requested": bool((job.options or {}).get("cancel_requested")),
    }


def _job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "title": job.title,
        "created": _iso(job.created),
        "queue": job.kind,
        "status": job.status,
        "object_id": job.object_id,
        "progress": job.progress or {},
        "error": job.error or None,
        "started": _iso(job.started),
        "finished": _iso(job.finished),
        "last_updated": _iso(job.heartbeat or job.finished or job.created),
        "cancel_requested": job.cancel_requested,
    }


def _string_list(data: dict[str, Any], key: str, errors: validation.Errors) -> list[str] | None:
    """A list of strings, as CKAN's list_of_strings (a JSON list or a comma list also do)."""
    value = data.get(key)
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        try:
            value = orjson.loads(value) if value.lstrip().startswith("[") else value.split(",")
        except orjson.JSONDecodeError:
            value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        validation.add(errors, key, "文字列のリストで指定してください (Not a list of strings)")
        return None
    return [v.strip() for v in value if v.strip()]


def _queues(context: Context) -> list[str]:
    kinds = context.session.scalars(select(Job.kind).distinct()).all()
    return [INGEST, *sorted(k for k in kinds if k != INGEST)]


def _resource_names(context: Context, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = context.session.execute(select(Resource.id, Resource.name).where(Resource.id.in_(ids)))
    return {rid: name for rid, name in rows}


@action("job_list")
def job_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """List background jobs, oldest first (sysadmins only).

    :param queues: queues to list (``ingest``, ``quality`` …); all when not given
    :type queues: list of strings
    :param status: statuses to list (pending, running, complete, error, cancelled);
        default pending and running, the jobs still to do as CKAN lists them
    :type status: list of strings
    :param limit: at most this many jobs (default 100, at most 1000)
    :type limit: int
    :returns: jobs as ``{id, title, created, queue, status, progress, object_id, error,
        started, finished, last_updated, cancel_requested}``
    :rtype: list of dictionaries
    """
    authz.require_sysadmin(context)
    errors: validation.Errors = {}
    queues = _string_list(data, "queues", errors)
    statuses = _string_list(data, "status", errors) or list(ACTIVE)
    limit, _ = validation.paging(data, errors, default_limit=100, max_limit=MAX_LIMIT)
    for status in statuses:
        if status not in STATUSES:
            validation.add(
                errors, "status", f"不明な状態です: {status} (Unknown status, one of {STATUSES})"
            )
    require(errors)
    limit = limit or 100
    found: list[tuple[datetime, dict[str, Any]]] = []
    if queues is None or INGEST in queues:
        ingest = context.session.scalars(
            select(IngestJob)
            .where(IngestJob.status.in_(statuses))
            .order_by(IngestJob.created)
            .limit(limit)
        ).all()
        names = _resource_names(context, {j.resource_id for j in ingest})
        found += [(j.created, _ingest_dict(j, names.get(j.resource_id, ""))) for j in ingest]
    kinds = [q for q in queues or [] if q != INGEST]
    if queues is None or kinds:
        stmt = select(Job).where(Job.status.in_(statuses))
        if queues is not None:
            stmt = stmt.where(Job.kind.in_(kinds))
        others = context.session.scalars(stmt.order_by(Job.created).limit(limit)).all()
        found += [(j.created, _job_dict(j)) for j in others]
    found.sort(key=lambda pair: pair[0])
    return [job for _, job in found[:limit]]


def _find(context: Context, job_id: str) -> IngestJob | Job:
    job = context.session.get(Job, job_id) or context.session.get(IngestJob, job_id)
    if job is None:
        raise NotFound("ジョブが見つかりません (Job not found)")
    return job


def _show(context: Context, job: IngestJob | Job) -> dict[str, Any]:
    if isinstance(job, IngestJob):
        names = _resource_names(context, {job.resource_id})
        return _ingest_dict(job, names.get(job.resource_id, ""))
    return _job_dict(job)


@action("job_show")
def job_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Show a background job of any queue (sysadmins only).

    :param id: the job's id
    :type id: string
    :rtype: dictionary (as in ``job_list``)
    """
    authz.require_sysadmin(context)
    return _show(context, _find(context, require_id(data)))


@action("job_cancel", write=True)
def job_cancel(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Cancel a background job (sysadmins only): a pending job is cancelled at once and never
    runs; a running job is asked to stop and ends as ``cancelled`` at the next point it can
    stop (an ingest between batches, keeping the published table; a quality check before its
    result is stored). A job already finished cannot be cancelled (409).

    :param id: the job's id
    :type id: string
    :returns: the job, as ``job_show`` shows it after the request
    :rtype: dictionary
    """
    authz.require_sysadmin(context)
    job = _find(context, require_id(data))
    if job.status not in ACTIVE:
        raise ValidationError(
            {"id": [f"このジョブは終わっています: {job.status} (Job has already finished)"]}
        )
    if job.status == "pending":
        job.status = "cancelled"
        job.finished = utcnow()
        _forget_copy(job)
    elif isinstance(job, IngestJob):
        job.options = {**(job.options or {}), "cancel_requested": True}
    else:
        job.cancel_requested = True
    context.session.flush()
    return _show(context, job)


def _forget_copy(job: IngestJob | Job) -> None:
    if isinstance(job, Job) and job.kind == "quality":
        from tsunagu.quality.check_queue import remove_copy  # the jobs layer knows no kind

        remove_copy(job.options)


@action("job_clear", write=True)
def job_clear(context: Context, data: dict[str, Any]) -> list[str]:
    """Cancel every pending job of the given queues, or of all queues (sysadmins only). Jobs
    already running are not affected, as in CKAN.

    :param queues: the queues to clear; all when not given
    :type queues: list of strings
    :returns: the names of the cleared queues
    :rtype: list of strings
    """
    authz.require_sysadmin(context)
    errors: validation.Errors = {}
    queues = _string_list(data, "queues", errors)
    require(errors)
    names = queues if queues is not None else _queues(context)
    now = utcnow()
    if INGEST in names:
        for ingest in context.session.scalars(
            select(IngestJob).where(IngestJob.status == "pending")
        ):
            ingest.status, ingest.finished = "cancelled", now
    kinds = [n for n in names if n != INGEST]
    if kinds:
        for job in context.session.scalars(
            select(Job).where(Job.kind.in_(kinds), Job.status == "pending")
        ):
            job.status, job.finished = "cancelled", now
            _forget_copy(job)
    context.session.flush()
    return names
