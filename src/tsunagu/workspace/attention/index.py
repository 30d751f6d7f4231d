"""Sources that the search index answers: one query per line gives the count, the count per
organisation (a facet on owner_org) and the first items, with the caller's visibility (private
datasets and drafts only where the caller may read them). Each filter is a bitmap or a range
over what the other filters left, so a line costs milliseconds at 100,000 datasets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tsunagu.search.interface import SearchQuery
from tsunagu.workspace.attention.scope import Scope

# The package fields the lines show; the index returns only these.
FIELDS = [
    "id",
    "name",
    "title",
    "owner_org",
    "state",
    "private",
    "metadata_modified",
    "next_update_due",
    "frequency",
    "frequency_label",
    "quality_stars",
    "quality_score",
    "resources",
]


@dataclass
class Found:
    count: int
    by_owner: dict[str, int]  # organisation id → count
    results: list[dict[str, Any]]


def search(
    scope: Scope, fq: list[str], *, sort: str, rows: int | None = None, facet: bool = True
) -> Found:
    owner = scope.owner_fq()
    parts = ([owner] if owner else []) + fq
    query = SearchQuery(
        fq=" AND ".join(f"({part})" for part in parts),
        rows=scope.limit if rows is None else rows,
        sort=sort,
        facet_fields=["owner_org"] if facet else [],
        facet_limit=-1,
        # The scope's visibility, worked out once for all its lines (package_search would ask
        # the database for the caller's memberships on every call).
        visibility=scope.visibility,
        fl=FIELDS,
    )
    result = scope.context.services.search.search(query)
    return Found(result.count, dict(result.facets.get("owner_org", {})), list(result.results))


def staff_page(package: dict[str, Any], anchor: str = "") -> str:
    return f"/staff/dataset/{package['name']}" + (f"#{anchor}" if anchor else "")


def table_link(scope: Scope, **filters: str) -> str:
    """The staff dataset table filtered to the same datasets (as far as its filters go)."""
    params = dict(filters)
    if len(scope.organizations) == 1 and not scope.everything:
        params["organization"] = next(iter(scope.organizations.values())).name
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return "/staff/datasets" + (f"?{query}" if query else "")
