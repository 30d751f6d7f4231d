"""How a batch looks to staff and to API clients: the preview's rows, and once applied, each
draft with the loading of its tables (read live from the ingest jobs, so the page's progress
needs nothing but this)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from tsunagu.catalog.models import Dataset, Organization, Resource
from tsunagu.context import Context
from tsunagu.datastore.jobs import is_tabular
from tsunagu.datastore.models import IngestJob
from tsunagu.jobs.models import Job
from tsunagu.workspace.batch.models import UploadBatch
from tsunagu.workspace.batch.service import CANCELLED

# Batch states in which nothing more will happen to the batch itself.
SETTLED = ("applied", "failed", "discarded")
# What clients see of a staged file (its storage key stays inside).
_FILE_KEYS = ("name", "size", "format", "origin", "path", "columns", "read_error")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _ingest(context: Context, resource_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Resource id → {"status", "error"}: "none" for files that are not tables."""
    if not resource_ids:
        return {}
    resources = {
        r.id: r
        for r in context.session.scalars(select(Resource).where(Resource.id.in_(resource_ids)))
    }
    latest: dict[str, IngestJob] = {}
    for job in context.session.scalars(
        select(IngestJob).where(IngestJob.resource_id.in_(resource_ids)).order_by(IngestJob.created)
    ):
        latest[job.resource_id] = job  # the newest wins
    out = {}
    for rid in resource_ids:
        resource = resources.get(rid)
        job = latest.get(rid)
        if resource is None or resource.state != "active":
            out[rid] = {"status": "deleted", "error": ""}
        elif job is None:
            out[rid] = {"status": "pending" if is_tabular(resource) else "none", "error": ""}
        else:
            out[rid] = {"status": job.status, "error": job.error or ""}
    return out


def _rows(context: Context, batch: UploadBatch) -> tuple[list[dict[str, Any]], dict[str, int]]:
    plan_rows = list((batch.plan or {}).get("rows", []))
    made = {r["label"]: r for r in (batch.result or {}).get("rows", [])}
    resource_ids = [res["id"] for r in made.values() for res in r.get("resources", [])]
    ingest = _ingest(context, resource_ids)
    dataset_ids = [r["dataset_id"] for r in made.values()]
    states = (
        dict(
            context.session.execute(
                select(Dataset.id, Dataset.state).where(Dataset.id.in_(dataset_ids))
            ).all()
        )
        if dataset_ids
        else {}
    )
    tally = {"tables": 0, "loaded": 0, "failed": 0, "datasets": len(made)}
    rows = []
    for row in plan_rows:
        shown = dict(row)
        outcome = made.get(row["label"])
        if outcome is not None:
            resources = []
            for res in outcome.get("resources", []):
                state = ingest.get(res["id"], {"status": "none", "error": ""})
                resources.append({**res, "ingest": state["status"], "error": state["error"]})
                if state["status"] not in ("none", "deleted"):
                    tally["tables"] += 1
                    tally["loaded"] += state["status"] == "complete"
                    tally["failed"] += state["status"] == "error"
            shown["result"] = {
                "outcome": outcome["outcome"],
                "dataset_id": outcome["dataset_id"],
                "name": outcome["name"],
                "title": outcome["title"],
                "state": states.get(outcome["dataset_id"], "deleted"),
                "resources": resources,
            }
        rows.append(shown)
    return rows, tally


def batch_dict(context: Context, batch: UploadBatch) -> dict[str, Any]:
    plan = batch.plan or {}
    org = context.session.get(Organization, batch.owner_org)
    rows, tally = _rows(context, batch)
    job = context.session.get(Job, batch.job_id) if batch.job_id else None
    state, error = batch.state, batch.error or None
    if state in ("queued", "applying") and job is not None and job.status == "cancelled":
        # Cancelled while waiting (job_cancel): the worker never ran it, nothing was made.
        state, error = "failed", CANCELLED
    settled = state in SETTLED
    tables_done = tally["loaded"] + tally["failed"] == tally["tables"]
    return {
        "id": batch.id,
        "owner_org": batch.owner_org,
        "organization": {"name": org.name, "title": org.title} if org else None,
        "state": state,
        "mode": batch.mode,
        "title": plan.get("title", ""),
        "created": _iso(batch.created),
        "modified": _iso(batch.modified),
        "applied": _iso(batch.applied),
        "error": error,
        "sheet": plan.get("sheet"),
        "files": [{k: f.get(k) for k in _FILE_KEYS} for f in plan.get("files", [])],
        "rows": rows,
        "counts": plan.get("counts", {}),
        "warnings": plan.get("warnings", []),
        "ready": bool(plan.get("ready")) and state == "preview",
        "job": {"id": job.id, "status": job.status, "error": job.error or None} if job else None,
        "progress": {
            **tally,
            "rows": len(rows),
            # Everything that will happen has: drafts made (or the batch failed) and every table
            # loaded or failed to load.
            "done": settled and (state != "applied" or tables_done),
        },
    }


def batch_summary(context: Context, batch: UploadBatch) -> dict[str, Any]:
    """A line of batch_list: no rows."""
    plan = batch.plan or {}
    return {
        "id": batch.id,
        "owner_org": batch.owner_org,
        "state": batch.state,
        "mode": batch.mode,
        "created": _iso(batch.created),
        "applied": _iso(batch.applied),
        "sheet": (plan.get("sheet") or {}).get("name"),
        "counts": plan.get("counts", {}),
        "error": batch.error or None,
    }
