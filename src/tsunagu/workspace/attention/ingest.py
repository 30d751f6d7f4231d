"""Files whose latest ingest failed: the table is missing or stale until someone fixes the file.

Answered by SQL (the index knows nothing of jobs): failed jobs are few and ``ingest_job.status``
is indexed, so the query reads only them, keeping those no newer job of the same file replaced.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, exists, func, select
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
    session = scope.context.session
    by_owner = dict(
        session.execute(
            _failed(scope, Dataset.owner_org, func.count()).group_by(Dataset.owner_org)
        ).all()
    )
    rows = session.execute(
        _failed(
            scope,
            IngestJob.error,
            IngestJob.finished,
            Resource.id,
            Resource.name,
            Dataset.id,
            Dataset.name,
            Dataset.title,
            Dataset.owner_org,
        )
        .order_by(IngestJob.finished.desc(), IngestJob.id)
        .limit(scope.limit)
    ).all()
    items = [
        Item(
            title=title or name,
            message=MESSAGE,
            params={"file": resource_name or resource_id, "error": error},
            link=f"/staff/dataset/{name}#resource-{resource_id}",
            organization=scope.organization_name(owner_org),
            dataset=name,
            dataset_id=dataset_id,
            resource_id=resource_id,
            date=iso(finished),
        )
        for (
            error,
            finished,
            resource_id,
            resource_name,
            dataset_id,
            name,
            title,
            owner_org,
        ) in rows
    ]
    return Line(
        count=sum(by_owner.values()),
        items=items,
        by_organization=scope.by_name(by_owner),
    )
