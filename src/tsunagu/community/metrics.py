"""The catalog metrics community feeds (metrics/registry.py): 活用事例数 and
回答済みのデータ要望数. Both are indexed SQL counts of public facts: approved use cases, and
requests answered on the public list (taken-down ones are not counted).

Per organisation, a use case counts for each organisation whose public dataset it uses (once per
organisation, however many of its datasets it uses); a request counts for the organisation it
is assigned to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select

from tsunagu.catalog.models import Dataset, Organization
from tsunagu.community.data_requests import ANSWERED
from tsunagu.community.models import DataRequest, Showcase, ShowcasePackage
from tsunagu.context import Context
from tsunagu.metrics.registry import Param, metric

# metrics/registry.KINDS → organisation.kind values
_KINDS = {
    "prefecture": ("prefecture", "prefectural_department"),
    "municipality": ("municipality",),
}
OUTCOMES = (
    ("answered", "回答済み（公開済と対応不可）"),
    ("published", "公開済"),
    ("declined", "対応不可"),
)


def _organizations(params: dict[str, Any]) -> ColumnElement[bool] | None:
    """The condition on ``Organization`` the parameters ask for; None: any organisation."""
    if params.get("organization"):
        return Organization.id == params["organization"]
    kinds = _KINDS.get(str(params.get("kind") or "all"))
    return Organization.kind.in_(kinds) if kinds else None


@metric(
    "showcases",
    label="活用事例数",
    unit="件",
    params=(Param.kind(), Param.organization(required=False)),
    description=(
        "公開が承認された活用事例の数。組織や組織の種類を指定すると、その組織の公開中の"
        "データセットを使っている活用事例の数。"
    ),
    headline=({"kind": "all"},),
    order=70,
    scorecard=True,
)
def showcases(context: Context, params: dict[str, Any]) -> float:
    query = select(func.count()).select_from(Showcase).where(Showcase.state == "active")
    organizations = _organizations(params)
    if organizations is not None:
        uses = (
            select(ShowcasePackage.showcase_id)
            .join(Dataset, Dataset.id == ShowcasePackage.dataset_id)
            .join(Organization, Organization.id == Dataset.owner_org)
            .where(
                ShowcasePackage.showcase_id == Showcase.id,
                Dataset.state == "active",
                Dataset.private.is_(False),
                organizations,
            )
        )
        query = query.where(exists(uses))
    return float(context.session.scalar(query) or 0)


@metric(
    "data_requests_answered",
    label="回答済みのデータ要望数",
    unit="件",
    params=(
        Param.kind(),
        Param.organization(required=False),
        Param("outcome", "回答", "choice", default="answered", choices=OUTCOMES),
    ),
    description=(
        "データ要望のうち、担当の組織が回答したもの（公開済と対応不可。どちらかだけも選べます）"
        "の数。組織を指定すると、その組織が担当する要望の数。"
    ),
    headline=({"kind": "all", "outcome": "answered"},),
    order=80,
    scorecard=True,
)
def data_requests_answered(context: Context, params: dict[str, Any]) -> float:
    outcome = str(params.get("outcome") or "answered")
    statuses = ANSWERED if outcome == "answered" else (outcome,)
    query = (
        select(func.count())
        .select_from(DataRequest)
        .where(DataRequest.state == "active", DataRequest.status.in_(statuses))
    )
    organizations = _organizations(params)
    if organizations is not None:
        query = query.join(
            Organization, and_(Organization.id == DataRequest.organization_id, organizations)
        )
    return float(context.session.scalar(query) or 0)
