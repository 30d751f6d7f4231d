"""Queueing quality checks (jobs of kind "quality" in the `job` table) for worker.py to run.

The ingest, bulk operations and staff queue a check here and go on; a queued check of a linked
file gets a private copy of the file, as the ingest's own copy is deleted when its job ends.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tsunagu.catalog.models import Resource
from tsunagu.context import Services
from tsunagu.events import IngestOutcome
from tsunagu.jobs.models import Job
from tsunagu.jobs.queue import enqueue

KIND = "quality"


def _title(resource: Resource | None, resource_id: str) -> str:
    name = (resource.name or resource.url) if resource is not None else ""
    return f"品質チェック: {name or resource_id}"


def remove_copy(options: dict[str, Any] | None) -> None:
    """Delete the private copy a job's options point at (if any)."""
    workdir = (options or {}).get("workdir")
    if workdir:
        shutil.rmtree(str(workdir), ignore_errors=True)


def queue_check(
    session: Session,
    resource_id: str,
    *,
    path: Path | None = None,
    workdir: Path | None = None,
    sheet: str | None = None,
    if_stale: bool = False,
    fetch_link: bool = False,
) -> Job:
    """Queue a check of the resource's file (`path`, a private copy, or the stored upload or
    link when None). `if_stale` skips it when the current file already has a result; a linked
    file with no `path` is fetched only with `fetch_link` (a check staff asked for)."""
    resource = session.get(Resource, resource_id)
    options: dict[str, Any] = {
        "path": str(path) if path else None,
        "workdir": str(workdir) if workdir else None,
        "sheet": sheet,
        "if_stale": if_stale,
        "fetch_link": fetch_link,
    }
    job, previous = enqueue(
        session, KIND, object_id=resource_id, title=_title(resource, resource_id), options=options
    )
    if previous and previous.get("workdir") != options["workdir"]:
        remove_copy(previous)  # the waiting job now checks the newer file
    return job


def hand_over(services: Services, outcome: IngestOutcome, *, stored_upload: bool) -> str:
    """Queue the check of a file the ingest just read; returns the job's id."""
    path = workdir = None
    if not stored_upload:
        workdir = Path(tempfile.mkdtemp(prefix="tsunagu-quality-"))
        path = workdir / outcome.path.name
        shutil.copyfile(outcome.path, path)
    try:
        with services.sessions() as session:
            job = queue_check(
                session, outcome.resource_id, path=path, workdir=workdir, sheet=outcome.sheet
            )
            session.commit()
            return job.id
    except BaseException:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
