"""Datasets rated below what their organisation asks for: fewer ★ than its minimum (a
dataset's ★ is its best file's, so "at least ★3" means "available in an open format") or a
lower score (the mean of its files') than its minimum. Organisations set the two numbers
(``organization_attention_update``); one without them has no such line.

Organisations sharing a threshold are asked in one index query, so a prefecture-wide view
costs one query per distinct threshold. Stars are matched as exact values (one bitmap each);
the score range and the "has files" range run last, over what is left."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tsunagu.workspace.attention import index
from tsunagu.workspace.attention.registry import attention_source
from tsunagu.workspace.attention.scope import Item, Line, Scope, Threshold

MESSAGES = {
    (True, True): "★{stars}・{score} 点で、組織の基準（★{min_stars} 以上・{min_score} 点以上）を"
    "下回っています。",
    (True, False): "★{stars} で、組織の基準（★{min_stars} 以上）を下回っています。",
    (False, True): "{score} 点で、組織の基準（{min_score} 点以上）を下回っています。",
}


def _below(threshold: Threshold) -> str:
    clauses = [f"quality_stars:{n}" for n in range(threshold.min_stars)]
    if threshold.min_score > 0:
        clauses.append(f"quality_score:[* TO {threshold.min_score - 1}]")
    return " OR ".join(clauses)


def _weakest(package: dict[str, Any]) -> dict[str, Any] | None:
    """The file that pulls the rating down most: the fix starts there."""
    rated = [r for r in package.get("resources") or [] if isinstance(r.get("quality"), dict)]
    if not rated:
        return None
    return min(
        rated, key=lambda r: (r["quality"].get("score") or 0, r["quality"].get("stars") or 0)
    )


@attention_source(
    "low_rating",
    label="組織の基準より★・点数が低いデータ",
    order=60,
    messages=tuple(MESSAGES.values()),
)
def low_rating(scope: Scope) -> Line | None:
    groups: dict[Threshold, list[str]] = defaultdict(list)
    for org_id in scope.organizations:
        threshold = scope.thresholds.get(org_id)
        if threshold is not None and threshold.active:
            groups[threshold].append(org_id)
    if not groups:
        return None
    count = 0
    by_owner: dict[str, int] = {}
    found: list[tuple[dict[str, Any], Threshold]] = []
    for threshold, org_ids in sorted(groups.items(), key=lambda g: sorted(g[1])):
        owners = " OR ".join(f'owner_org:"{org_id}"' for org_id in sorted(org_ids))
        result = index.search(
            scope,
            [owners, _below(threshold), "num_resources:[1 TO *]"],
            sort="quality_score asc, quality_stars asc",
        )
        count += result.count
        for org_id, n in result.by_owner.items():
            by_owner[org_id] = by_owner.get(org_id, 0) + n
        found += [(package, threshold) for package in result.results]
    found.sort(key=lambda f: (f[0].get("quality_score") or 0, f[0].get("quality_stars") or 0))
    items = []
    for package, threshold in found[: scope.limit]:
        weakest = _weakest(package)
        items.append(
            Item(
                title=str(package.get("title") or package["name"]),
                message=MESSAGES[(threshold.min_stars > 0, threshold.min_score > 0)],
                params={
                    "stars": package.get("quality_stars") or 0,
                    "score": package.get("quality_score") or 0,
                    "min_stars": threshold.min_stars,
                    "min_score": threshold.min_score,
                },
                link=index.staff_page(package, f"resource-{weakest['id']}" if weakest else ""),
                organization=scope.organization_name(package.get("owner_org")),
                dataset=package["name"],
                dataset_id=package["id"],
                resource_id=weakest["id"] if weakest else None,
            )
        )
    return Line(count=count, items=items, by_organization=scope.by_name(by_owner))
