"""ダウンロード数: the usage counters' downloads of public datasets (usage/), summed in SQL.

The counters are running totals per dataset, so the value is the total so far; its daily
snapshots give the downloads of each day as differences. usage/ may replace this with its
per-day analytics (same key) when they exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tsunagu.catalog.models import Dataset, Organization
from tsunagu.context import Context
from tsunagu.metrics.registry import Param, by_organization, metric
from tsunagu.usage.models import DatasetUsage

_KINDS = {
    "prefecture": ("prefecture", "prefectural_department"),
    "municipality": ("municipality",),
}


@metric(
    "downloads",
    label="ダウンロード数（累計）",
    unit="回",
    params=(Param.kind(), Param.organization(required=False)),
    description="公開中のデータセットのファイルがダウンロードされた回数の累計。",
    headline=({"kind": "all"},),
    order=60,
    scorecard=True,
)
def downloads(context: Context, params: dict[str, Any]) -> float:
    query = select(func.coalesce(func.sum(DatasetUsage.downloads), 0))
    query = _public(query, params)
    if params.get("organization"):
        query = query.where(Dataset.owner_org == params["organization"])
    return float(context.session.scalar(query) or 0)


@by_organization("downloads")
def downloads_by_organization(context: Context, params: dict[str, Any]) -> dict[str, float]:
    query = select(Dataset.owner_org, func.sum(DatasetUsage.downloads))
    query = _public(query, params).group_by(Dataset.owner_org)
    return {str(org): float(n or 0) for org, n in context.session.execute(query) if org}


def _public(query: Any, params: dict[str, Any]) -> Any:
    """Usage rows of public, active datasets (of the organisations of ``kind``)."""
    query = query.join(Dataset, Dataset.id == DatasetUsage.dataset_id).where(
        Dataset.state == "active", Dataset.private.is_(False)
    )
    kinds = _KINDS.get(str(params.get("kind") or "all"))
    if kinds:
        query = query.join(Organization, Organization.id == Dataset.owner_org).where(
            Organization.kind.in_(kinds)
        )
    return query
