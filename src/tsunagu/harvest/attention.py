"""The 要対応 line "harvest sources with problems": sources of the organisations in scope whose
latest finished job failed or could not harvest some records, each linking to that job's page,
where every error is listed.

The line appears only while some source has a problem. Sources are seen by members of their
organisation (as harvest_source_show allows), so nothing here reaches anyone else.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from tsunagu.catalog.dictize import iso
from tsunagu.harvest.models import HarvestError, HarvestJob, HarvestSource
from tsunagu.workspace.attention.registry import attention_source
from tsunagu.workspace.attention.scope import Item, Line, Scope

FAILED = "最新の収集が失敗しました：{error}"
ERRORS = "最新の収集で {errors} 件を集められませんでした（例：{error}）"
_FINISHED = ("complete", "error")


@attention_source("harvest_errors", label="問題のあった収集元", order=75, messages=(FAILED, ERRORS))
def harvest_errors(scope: Scope) -> Line | None:
    session = scope.context.session
    latest = (
        select(HarvestJob.source_id, func.max(HarvestJob.created).label("created"))
        .where(HarvestJob.status.in_(_FINISHED))
        .group_by(HarvestJob.source_id)
        .subquery()
    )
    in_scope = (
        HarvestSource.state == "active"
        if scope.everything
        else and_(
            HarvestSource.state == "active",
            HarvestSource.owner_org.in_(sorted(scope.organizations)),
        )
    )
    rows = session.execute(
        select(HarvestSource, HarvestJob)
        .join(latest, latest.c.source_id == HarvestSource.id)
        .join(
            HarvestJob,
            and_(
                HarvestJob.source_id == latest.c.source_id, HarvestJob.created == latest.c.created
            ),
        )
        .where(in_scope, or_(HarvestJob.status == "error", HarvestJob.errored > 0))
        .order_by(HarvestJob.finished.desc(), HarvestSource.name)
    ).all()
    if not rows:
        return None
    by_owner: dict[str | None, int] = {}
    for source, _job in rows:
        by_owner[source.owner_org] = by_owner.get(source.owner_org, 0) + 1
    items = []
    for source, job in rows[: scope.limit]:
        first = session.scalar(
            select(HarvestError.message)
            .where(HarvestError.job_id == job.id)
            .order_by(HarvestError.id)
            .limit(1)
        )
        error = (job.message if job.status == "error" else first) or first or ""
        items.append(
            Item(
                title=source.title or source.name,
                message=FAILED if job.status == "error" else ERRORS,
                params={"errors": job.errored, "error": error[:200]},
                link=f"/staff/harvest/{source.name}/job/{job.id}",
                organization=scope.organization_name(source.owner_org),
                date=iso(job.finished),
            )
        )
    return Line(count=len(rows), items=items, by_organization=scope.by_name(by_owner))
