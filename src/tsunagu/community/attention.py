"""The 要対応 line "data requests waiting": open requests (受付, 検討中) for the organisations in
scope, and, for the prefecture's ICT office, the requests no organisation has been given yet.

The line appears only while requests wait: an organisation that never receives one is not
shown an empty line. Requests are public, so the line shows nothing a member could not read on
the public list; the contact address stays on the request's staff page.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from tsunagu.community.data_requests import OPEN, support_counts
from tsunagu.community.models import DataRequest
from tsunagu.community.rights import TRIAGE_KIND
from tsunagu.workspace.attention.registry import attention_source
from tsunagu.workspace.attention.scope import Item, Line, Scope

UNASSIGNED = (
    "担当の組織が決まっていません（受付から {days} 日）。担当する組織を割り当ててください。"
)
RECEIVED = (
    "受け付けてから {days} 日たちました（賛同 {supporters} 件）。検討して、状況を知らせてください。"
)
REVIEWING = (
    "検討中です（受付から {days} 日、賛同 {supporters} 件）。公開したらデータセットを結び付けて"
    "「公開済」に、できない場合は理由を添えて「対応不可」にしてください。"
)


def _triage_ids(scope: Scope) -> list[str]:
    return sorted(org.id for org in scope.organizations.values() if org.kind == TRIAGE_KIND)


@attention_source(
    "data_requests",
    label="回答を待っているデータ要望",
    order=80,
    messages=(UNASSIGNED, RECEIVED, REVIEWING),
)
def data_requests(scope: Scope) -> Line | None:
    triage = _triage_ids(scope)
    if scope.everything:
        whose = DataRequest.id.is_not(None)
    else:
        mine = [DataRequest.organization_id.in_(sorted(scope.organizations))]
        if triage:
            mine.append(DataRequest.organization_id.is_(None))
        whose = or_(*mine)
    waiting = and_(DataRequest.state == "active", DataRequest.status.in_(OPEN), whose)
    session = scope.context.session
    by_owner: dict[str | None, int] = {
        org: int(n)
        for org, n in session.execute(
            select(DataRequest.organization_id, func.count())
            .where(waiting)
            .group_by(DataRequest.organization_id)
        )
    }
    count = sum(by_owner.values())
    if not count:
        return None
    oldest = list(
        session.scalars(
            select(DataRequest)
            .where(waiting)
            .order_by(DataRequest.created.asc(), DataRequest.id)
            .limit(scope.limit)
        )
    )
    supporters = support_counts(scope.context, [r.id for r in oldest])
    items = []
    for request in oldest:
        message = (
            UNASSIGNED
            if request.organization_id is None
            else RECEIVED
            if request.status == "received"
            else REVIEWING
        )
        created = request.created.isoformat()
        items.append(
            Item(
                title=request.title,
                message=message,
                params={
                    "days": scope.days_since(created),
                    "supporters": supporters.get(request.id, 0),
                },
                link=f"/staff/requests/{request.id}",
                organization=scope.organization_name(request.organization_id),
                date=created[:10],
            )
        )
    # Unassigned requests are the prefecture office's to place.
    if None in by_owner and triage:
        by_owner[triage[0]] = by_owner.get(triage[0], 0) + by_owner.pop(None)
    return Line(
        count=count,
        items=items,
        by_organization=scope.by_name(by_owner),
        more="/staff/requests",
    )
