"""Data requests (データ要望, ニーズ調査): their statuses, the dict every door shows, and the
queries behind the public list and the staff's 要対応 line.

A request goes 受付 (received) → 検討中 (reviewing) → 公開済 (published, linked to the dataset
that answers it) or 対応不可 (declined, with a public reason). Staff may reopen an answered
request; it then loses its dataset link and its answered date.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from tsunagu.catalog import authz
from tsunagu.catalog.dictize import iso, organization_summary
from tsunagu.catalog.models import Dataset, Organization
from tsunagu.community import rights
from tsunagu.community.models import DataRequest, DataRequestSupport
from tsunagu.context import Context
from tsunagu.errors import NotFound

STATUSES = {
    "received": "受付",
    "reviewing": "検討中",
    "published": "公開済",
    "declined": "対応不可",
}
OPEN = ("received", "reviewing")
ANSWERED = ("published", "declined")
SORTS = {
    "newest": (DataRequest.created.desc(), DataRequest.id),
    "oldest": (DataRequest.created.asc(), DataRequest.id),
    "updated": (DataRequest.modified.desc(), DataRequest.id),
}
MAX_TITLE = 200
MAX_DESCRIPTION = 5000


def find(context: Context, ref: str) -> DataRequest:
    """An active request (a deleted one only for those who may handle it)."""
    request = context.session.get(DataRequest, ref)
    if request is None or (
        request.state == "deleted" and not rights.can_handle_request(context, request)
    ):
        raise NotFound(f"データ要望が見つかりません (Data request not found): {ref}")
    return request


def support_counts(context: Context, ids: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = context.session.execute(
        select(DataRequestSupport.request_id, func.count())
        .where(DataRequestSupport.request_id.in_(wanted))
        .group_by(DataRequestSupport.request_id)
    )
    return {request_id: int(n) for request_id, n in rows}


def supported_by(context: Context, supporter: str | None, ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(ids))
    if supporter is None or not wanted:
        return set()
    return set(
        context.session.scalars(
            select(DataRequestSupport.request_id).where(
                DataRequestSupport.supporter == supporter,
                DataRequestSupport.request_id.in_(wanted),
            )
        )
    )


def _dataset_summary(context: Context, dataset: Dataset | None) -> dict[str, Any] | None:
    if dataset is None or not authz.can_read_dataset(
        context,
        dataset.owner_org,
        dataset.private,
        dataset.state,
        dataset.creator_user_id,
        dataset.id,
    ):
        return None
    return {"id": dataset.id, "name": dataset.name, "title": dataset.title or dataset.name}


def request_dicts(
    context: Context, requests: list[DataRequest], supporter: str | None = None
) -> list[dict[str, Any]]:
    """The requests as the caller may see them: the contact only for those who answer them."""
    ids = [r.id for r in requests]
    counts = support_counts(context, ids)
    mine = supported_by(context, supporter, ids)
    org_ids = sorted({r.organization_id for r in requests if r.organization_id})
    orgs = {
        org.id: org
        for org in context.session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
    }
    dataset_ids = sorted({r.dataset_id for r in requests if r.dataset_id})
    datasets = {
        d.id: d for d in context.session.scalars(select(Dataset).where(Dataset.id.in_(dataset_ids)))
    }
    out = []
    for request in requests:
        org = orgs.get(request.organization_id or "")
        shown: dict[str, Any] = {
            "id": request.id,
            "title": request.title,
            "description": request.description,
            "status": request.status,
            "status_label": STATUSES.get(request.status, request.status),
            "organization_id": request.organization_id,
            "organization": organization_summary(org) if org is not None else None,
            "dataset": _dataset_summary(context, datasets.get(request.dataset_id or ""))
            if request.status == "published"
            else None,
            "answer": request.answer,
            "supporters": counts.get(request.id, 0),
            "supported": request.id in mine,
            "state": request.state,
            "created": iso(request.created),
            "modified": iso(request.modified),
            "answered": iso(request.answered),
        }
        if rights.can_see_contact(context, request):
            shown["contact_email"] = request.contact_email
        out.append(shown)
    return out


def request_dict(
    context: Context, request: DataRequest, supporter: str | None = None
) -> dict[str, Any]:
    return request_dicts(context, [request], supporter)[0]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_condition(q: str) -> ColumnElement[bool]:
    """Every word of ``q`` in the title or the description (case-insensitive)."""
    return and_(
        *(
            or_(
                DataRequest.title.ilike(_like(word), escape="\\"),
                DataRequest.description.ilike(_like(word), escape="\\"),
            )
            for word in q.split()
        )
    )


def handled_condition(context: Context) -> ColumnElement[bool]:
    """The requests the caller answers: everything for the triage office and sysadmins, else
    those assigned to the organisations where the caller is an editor or admin."""
    if rights.is_triager(context):
        return DataRequest.id.is_not(None)
    editors = sorted(authz.member_organization_ids(context, "editor"))
    return DataRequest.organization_id.in_(editors)


def list_query(
    context: Context,
    *,
    statuses: list[str],
    organization_id: str | None,
    unassigned: bool,
    q: str,
    handled: bool,
    include_deleted: bool = False,
) -> Select[tuple[DataRequest]]:
    query = select(DataRequest)
    if not include_deleted:
        query = query.where(DataRequest.state == "active")
    if statuses:
        query = query.where(DataRequest.status.in_(statuses))
    if organization_id is not None:
        query = query.where(DataRequest.organization_id == organization_id)
    if unassigned:
        query = query.where(DataRequest.organization_id.is_(None))
    if q:
        query = query.where(text_condition(q))
    if handled:
        query = query.where(handled_condition(context))
    return query


def supporters_order() -> Any:
    """Most supported first: the count as a correlated subquery (lists are one page long)."""
    return (
        select(func.count())
        .select_from(DataRequestSupport)
        .where(DataRequestSupport.request_id == DataRequest.id)
        .scalar_subquery()
        .desc()
    )
