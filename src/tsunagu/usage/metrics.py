"""Usage figures for the indicators (metrics/registry.py): page views, downloads and API use of
public datasets over a period, for the whole catalog, a kind of organisation or one organisation.

Each value is one indexed sum over the organisation or site rows of usage_daily, which count
public datasets only. Days are Japan time. ``downloads`` (metrics/downloads.py) stays the
all-time running total; these are per period, so a plan's yearly figure (年間ダウンロード数) is
the snapshot of ``period: fiscal_year`` on the last day of the fiscal year.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, func, select

from tsunagu.catalog.models import Organization
from tsunagu.context import Context
from tsunagu.metrics.registry import Param, metric
from tsunagu.usage.counters import today
from tsunagu.usage.models import ORGANIZATION, SITE, UsageDaily

PERIODS: tuple[tuple[str, str], ...] = (
    ("fiscal_year", "今年度（4月1日から集計時点まで）"),
    ("last_30_days", "直近30日（前日まで）"),
    ("yesterday", "前日"),
    ("all", "累計（集計を始めてから）"),
)
_KINDS = {
    "prefecture": ("prefecture", "prefectural_department"),
    "municipality": ("municipality",),
}
_PARAMS = (
    Param.kind(),
    Param.organization(required=False),
    Param("period", "期間", "choice", default="fiscal_year", choices=PERIODS),
)
_HEADLINE = ({"kind": "all", "period": "fiscal_year"},)


def period_range(period: str, day: dt.date) -> tuple[dt.date | None, dt.date]:
    """The first and last day a period counts on ``day`` (no first day: since the start)."""
    yesterday = day - dt.timedelta(days=1)
    if period == "yesterday":
        return yesterday, yesterday
    if period == "last_30_days":
        return day - dt.timedelta(days=30), yesterday
    if period == "fiscal_year":
        start_year = day.year if day.month >= 4 else day.year - 1
        return dt.date(start_year, 4, 1), day
    return None, day


def usage_sum(
    context: Context, params: dict[str, Any], columns: tuple[str, ...], day: dt.date | None = None
) -> float:
    """The sum of ``columns`` over the period and scope of ``params``."""
    since, until = period_range(str(params.get("period") or "fiscal_year"), day or today())
    if since is not None and since > until:
        return 0.0
    sums = [func.coalesce(func.sum(getattr(UsageDaily, c)), 0) for c in columns]
    total: ColumnElement[Any] = sums[0]
    for more in sums[1:]:
        total = total + more
    query = select(total).where(UsageDaily.day <= until)
    if since is not None:
        query = query.where(UsageDaily.day >= since)
    kinds = _KINDS.get(str(params.get("kind") or "all"))
    if params.get("organization") or kinds:
        query = query.where(UsageDaily.kind == ORGANIZATION)
        if params.get("organization"):
            query = query.where(UsageDaily.object_id == params["organization"])
        if kinds:
            query = query.join(Organization, Organization.id == UsageDaily.object_id).where(
                Organization.kind.in_(kinds)
            )
    else:
        query = query.where(UsageDaily.kind == SITE)
    return float(context.session.scalar(query) or 0)


@metric(
    "page_views",
    label="閲覧数（ページビュー）",
    unit="回",
    params=_PARAMS,
    description="公開中のデータセットのページがブラウザで見られた回数（ボットを除く）。",
    headline=_HEADLINE,
    order=61,
)
def page_views(context: Context, params: dict[str, Any]) -> float:
    return usage_sum(context, params, ("page_views",))


@metric(
    "downloads_period",
    label="ダウンロード数（期間）",
    unit="回",
    params=_PARAMS,
    description=(
        "公開中のデータセットのファイルとデータストアの書き出しがダウンロードされた回数"
        "（ブラウザとプログラムから、ボットを除く）。"
    ),
    headline=_HEADLINE,
    order=62,
)
def downloads_period(context: Context, params: dict[str, Any]) -> float:
    return usage_sum(context, params, ("downloads",))


@metric(
    "api_use",
    label="API 利用数",
    unit="回",
    params=_PARAMS,
    description=(
        "プログラムからの利用の回数: API での package_show / resource_show と、"
        "プログラムによるダウンロード（ボットを除く）。"
    ),
    order=63,
)
def api_use(context: Context, params: dict[str, Any]) -> float:
    return usage_sum(context, params, ("api_views", "api_downloads"))
