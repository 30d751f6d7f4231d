"""A source's jobs as the API shows them: counts, every error, and CKAN's names beside ours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tsunagu.context import Context
from tsunagu.harvest.models import HarvestError, HarvestJob
from tsunagu.jobs.models import Job

# ckanext-harvest's job statuses, for clients that read them.
CKAN_STATUS = {
    "pending": "New",
    "running": "Running",
    "complete": "Finished",
    "error": "Finished",
    "cancelled": "Aborted",
}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def job_dict(context: Context, job: HarvestJob) -> dict[str, Any]:
    running = context.session.get(Job, job.id)
    counts = {
        "added": job.added,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "withdrawn": job.withdrawn,
        "errored": job.errored,
    }
    return {
        "id": job.id,
        "source_id": job.source_id,
        "status": CKAN_STATUS.get(job.status, job.status),
        "job_status": job.status,
        "mode": job.mode,
        "listed": job.listed,
        "created": _iso(job.created),
        "gather_started": _iso(job.started),
        "gather_finished": _iso(job.gather_finished),
        "finished": _iso(job.finished),
        "message": job.message,
        "counts": counts,
        # As ckanext-harvest reports them (withdrawn datasets are its "deleted").
        "stats": {
            "added": job.added,
            "updated": job.updated,
            "not modified": job.unchanged,
            "deleted": job.withdrawn,
            "errored": job.errored,
        },
        "progress": (running.progress or {}) if running is not None else {},
        "cancel_requested": bool(running and running.cancel_requested),
    }


def error_dicts(
    context: Context, job_id: str, *, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    stmt = (
        select(HarvestError)
        .where(HarvestError.job_id == job_id)
        .order_by(HarvestError.id)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        {
            "key": e.key,
            "title": e.title,
            "stage": e.stage,
            "message": e.message,
            "created": _iso(e.created),
        }
        for e in context.session.scalars(stmt)
    ]


def error_summary(context: Context, job_id: str, stages: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = context.session.execute(
        select(HarvestError.message, func.count().label("error_count"))
        .where(HarvestError.job_id == job_id, HarvestError.stage.in_(stages))
        .group_by(HarvestError.message)
        .order_by(func.count().desc())
    )
    return [{"message": m, "error_count": n} for m, n in rows]
