"""Files whose latest ingest failed: the table is missing or stale until someone fixes the file.

Answered by SQL (the index knows nothing of jobs): failed jobs are few and ``ingest_job.status``
is indexed, so the query reads only them, keeping those no newer job of the same file replaced;
one pass gives the counts and the newest few (the error texts are read for those few only).
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import aliased

from tsunagu.catalog.dictize import iso
from tsunagu.catalog.models import Dataset, Resource
from tsunagu.datastore.models import IngestJob
from tsunagu.workspace.attention.registry import attention_source
from tsunagu.workspace.attention.scope import Item, Line, Scope

MESSAGE = "ファイル「{file}」を取り込めませんでした：{error}"


def _failed(scope: Scope, *columns: Any) -> Select[Any]:
    newer = aliased(IngestJob)
    return (
        select(*columns)
        .select_from(IngestJob)
        .join(Resource, Resource.id == IngestJob.resource_id)
        .join(Dataset, Dataset.id == Resource.dataset_id)
        .where(
            IngestJob.status == "error",
            Resource.state == "active",
            scope.readable_datasets(),
            ~exists().where(
                and_(newer.resource_id == IngestJob.resource_id, newer.created > IngestJob.created)
            ),
        )
    )


@attention_source(
    "ingest_errors", label="取り込みに失敗したファイル", order=20, messages=(MESSAGE,)
)
def ingest_errors(scope: Scope) -> Line:
    # One pass over the failures: the counts per organisation and the newest few from it.
    rows = scope.context.session.execute(
        _failed(
            scope,
            IngestJob.finished,
            IngestJob.id,
            Resource.id,
            Resource.name,
            Dataset.id,
            Dataset.name,
            Dataset.title,
            Dataset.owner_org,
        )
    ).all()
    by_owner: dict[str | None, int] = {}
    for row in rows:
        by_owner[row[7]] = by_owner.get(row[7], 0) + 1
    newest = heapq.nlargest(scope.limit, rows, key=lambda r: (r[0] or datetime.min, r[1]))
    errors = dict(
        scope.context.session.execute(
            select(IngestJob.id, IngestJob.error).where(IngestJob.id.in_([r[1] for r in newest]))
        ).all()
    )
    items = [
        Item(
            title=title or name,
            message=MESSAGE,
            params={"file": resource_name or resource_id, "error": errors.get(job_id, "")},
            link=f"/staff/dataset/{name}#resource-{resource_id}",
            organization=scope.organization_name(owner_org),
            dataset=name,
            dataset_id=dataset_id,
            resource_id=resource_id,
            date=iso(finished),
        )
        for (
            finished,
            job_id,
            resource_id,
            resource_name,
            dataset_id,
            name,
            title,
            owner_org,
        ) in newest
    ]
    return Line(count=len(rows), items=items, by_organization=scope.by_name(by_owner))
