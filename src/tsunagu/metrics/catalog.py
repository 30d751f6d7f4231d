"""The catalog's own metrics, answered by the search index: public datasets, organisations
publishing, municipalities covering each 自治体標準オープンデータセット, datasets meeting a
quality level.

Each value is one index query (a count, or a facet on owner_org), whatever the catalog's size.
The queries see what an anonymous visitor sees: public, active datasets only (the index's
default visibility), never drafts, private or deleted ones.
"""

from __future__ import annotations

from typing import Any

from tsunagu.context import Context
from tsunagu.metrics.registry import Param, metric
from tsunagu.quality.standards import list_standards
from tsunagu.search.interface import SearchQuery, SearchResult

KIND_FQ = {
    "prefecture": "(kind:prefecture OR kind:prefectural_department)",
    "municipality": "kind:municipality",
}


def scope_fq(params: dict[str, Any]) -> list[str]:
    """Filters for the kind and organisation parameters (absent ones filter nothing)."""
    fq: list[str] = []
    kind_fq = KIND_FQ.get(str(params.get("kind") or "all"))
    if kind_fq:
        fq.append(kind_fq)
    if params.get("organization"):
        fq.append(f'owner_org:"{params["organization"]}"')
    return fq


def follows_fq(standard_id: str) -> str:
    """Datasets following a standard dataset: declared by staff (``standard_id``) or found by a
    file's check (``quality_standard``)."""
    return f'(standard_id:"{standard_id}" OR quality_standard:"{standard_id}")'


def public_search(context: Context, fq: list[str], facet: str | None = None) -> SearchResult:
    """Count (and facet) the public, active datasets matching every filter."""
    search = context.services.search
    search.refresh(context.session)
    return search.search(
        SearchQuery(
            fq=" AND ".join(f"({part})" for part in fq),
            rows=0,
            facet_fields=[facet] if facet else [],
            facet_limit=-1,
        )
    )


def publishing_organizations(context: Context, fq: list[str]) -> dict[str, int]:
    """Organisation id → public datasets, for organisations with at least one."""
    return dict(public_search(context, fq, "owner_org").facets.get("owner_org", {}))


_SCOPE = (Param.kind(), Param.organization(required=False))


@metric(
    "datasets_public",
    label="公開データセット数",
    unit="件",
    params=_SCOPE,
    description="公開中のデータセットの数（非公開・下書き・削除済みは数えない）。",
    headline=({"kind": "all"}, {"kind": "prefecture"}, {"kind": "municipality"}),
    order=10,
)
def datasets_public(context: Context, params: dict[str, Any]) -> float:
    return float(public_search(context, scope_fq(params)).count)


@metric(
    "organizations_publishing",
    label="データセットを公開している組織数",
    unit="団体",
    params=(Param.kind(),),
    description="公開中のデータセットが1件以上ある組織の数。kind=municipality で公開市区町村数。",
    headline=({"kind": "all"}, {"kind": "municipality"}),
    order=20,
)
def organizations_publishing(context: Context, params: dict[str, Any]) -> float:
    return float(len(publishing_organizations(context, scope_fq(params))))


@metric(
    "standard_coverage",
    label="自治体標準オープンデータセットを公開している市区町村数",
    unit="団体",
    params=(Param.standard(),),
    description=(
        "指定した自治体標準オープンデータセットに沿った公開データセット"
        "（登録された標準データセット、またはファイルの検査で判定されたもの）がある市区町村の数。"
    ),
    headline=tuple({"standard": s.id} for s in list_standards()),
    order=30,
)
def standard_coverage(context: Context, params: dict[str, Any]) -> float:
    fq = [KIND_FQ["municipality"], follows_fq(str(params["standard"]))]
    return float(len(publishing_organizations(context, fq)))


@metric(
    "standard_coverage_cells",
    label="自治体標準オープンデータセットの公開数（市区町村×データセット）",
    unit="件",
    params=(),
    description="カバレッジ表で公開済みのセルの数: 市区町村と標準データセットの組み合わせの数。",
    headline=({},),
    order=31,
)
def standard_coverage_cells(context: Context, params: dict[str, Any]) -> float:
    total = 0
    for standard in list_standards():
        fq = [KIND_FQ["municipality"], follows_fq(standard.id)]
        total += len(publishing_organizations(context, fq))
    return float(total)


@metric(
    "datasets_min_stars",
    label="一定の★（5つ星オープンデータ）以上の公開データセット数",
    unit="件",
    params=(
        Param("min_stars", "★の数（以上）", "int", required=True, minimum=1, maximum=5),
        *_SCOPE,
    ),
    description="5つ星オープンデータの段階が指定した★以上の公開データセットの数。",
    headline=({"min_stars": 3, "kind": "all"},),
    order=40,
)
def datasets_min_stars(context: Context, params: dict[str, Any]) -> float:
    fq = [f"quality_stars:[{int(params['min_stars'])} TO *]", *scope_fq(params)]
    return float(public_search(context, fq).count)


@metric(
    "datasets_min_score",
    label="品質スコアが一定以上の公開データセット数",
    unit="件",
    params=(
        Param("min_score", "品質スコア（以上）", "int", required=True, minimum=0, maximum=100),
        *_SCOPE,
    ),
    description="品質スコア（0〜100）が指定した値以上の公開データセットの数。",
    headline=({"min_score": 80, "kind": "all"},),
    order=41,
)
def datasets_min_score(context: Context, params: dict[str, Any]) -> float:
    fq = [f"quality_score:[{int(params['min_score'])} TO *]", *scope_fq(params)]
    return float(public_search(context, fq).count)
