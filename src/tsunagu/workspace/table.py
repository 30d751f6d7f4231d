"""The staff dataset table: its filters, sort and paging, answered by package_search.

The table lists the datasets the caller works on: every dataset of their organisations and
their collaborations, private ones and drafts included (everything for a sysadmin). It asks the
search index with ``include_private`` and ``include_drafts``, so the index's visibility rules
decide what may be seen, never a query row by row: a filtered page costs a few bitmap
operations at 100,000 datasets. Every filter is an ``fq`` clause an API client can send as well
(docs/api.md, "The staff dataset table").

Filter values come from a shareable GET URL, so a value that is not one of the choices is
ignored rather than refused: a stale bookmark still opens the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from tsunagu.catalog import authz
from tsunagu.context import Context
from tsunagu.rawjson import RawJSON
from tsunagu.search.documents import has_quality_errors

STATES = ("active", "draft")
VISIBILITIES = ("public", "private")
# "0": no star at all; "N": at least N stars.
STAR_CHOICES = ("0", "1", "2", "3", "4", "5")
PAGE_SIZES = (25, 50, 100)
DEFAULT_ROWS = 50
# Column → the index's sort field. "relevance" only means something with a search word.
SORTS = {
    "relevance": "score",
    "title": "title_string",
    "stars": "quality_stars",
    "score": "quality_score",
    "due": "next_update_due",
    "modified": "metadata_modified",
}
DIRECTIONS = ("asc", "desc")
# Organisation names, format names and standard ids: quoted into fq, so only plain values.
_VALUE = re.compile(r"^[\w.\-/+]{1,100}$")
FACETS = ["res_format"]


@dataclass(frozen=True)
class TableQuery:
    q: str = ""
    state: str = ""
    visibility: str = ""
    organization: str = ""
    res_format: str = ""
    standard: str = ""
    stars: str = ""
    overdue: bool = False
    errors: bool = False
    sort: str = "modified"
    direction: str = "desc"
    page: int = 1
    rows: int = DEFAULT_ROWS

    @property
    def start(self) -> int:
        return (self.page - 1) * self.rows

    @property
    def filtered(self) -> bool:
        return bool(
            self.q
            or self.state
            or self.visibility
            or self.organization
            or self.res_format
            or self.standard
            or self.stars
            or self.overdue
            or self.errors
        )


def _choice(value: str, choices: tuple[str, ...] | Mapping[str, str]) -> str:
    return value if value in choices else ""


def _plain(value: str) -> str:
    return value if _VALUE.match(value) else ""


def _positive(value: str, default: int) -> int:
    try:
        number = int(value)
    except ValueError:
        return default
    return number if number >= 1 else default


def parse(params: Mapping[str, str]) -> TableQuery:
    """The table's query from URL parameters; anything not understood falls back to the default."""

    def get(key: str) -> str:
        return str(params.get(key) or "").strip()

    q = get("q")[:200]
    sort = _choice(get("sort"), SORTS) or ("relevance" if q else "modified")
    if sort == "relevance" and not q:
        sort = "modified"
    rows = _positive(get("rows"), DEFAULT_ROWS)
    return TableQuery(
        q=q,
        state=_choice(get("state"), STATES),
        visibility=_choice(get("visibility"), VISIBILITIES),
        organization=_plain(get("organization")),
        res_format=_plain(get("res_format")).upper(),
        standard=_plain(get("standard")),
        stars=_choice(get("stars"), STAR_CHOICES),
        overdue=get("overdue") in ("1", "true", "on"),
        errors=get("errors") in ("1", "true", "on"),
        sort=sort,
        direction=_choice(get("dir"), DIRECTIONS) or default_direction(sort),
        page=min(_positive(get("page"), 1), 100_000),
        rows=rows if rows in PAGE_SIZES else DEFAULT_ROWS,
    )


def filter_queries(query: TableQuery) -> list[str]:
    """The fq clauses of the filters (ANDed by package_search's fq_list)."""
    fq: list[str] = []
    if query.organization:
        fq.append(f'organization:"{query.organization}"')
    if query.state:
        fq.append(f"state:{query.state}")
    if query.visibility:
        fq.append(f"capacity:{query.visibility}")
    if query.res_format:
        fq.append(f'res_format:"{query.res_format}"')
    if query.standard:
        # Declared by staff (standard_id) or found by a file's check (quality_standard).
        fq.append(f'standard_id:"{query.standard}" OR quality_standard:"{query.standard}"')
    if query.stars == "0":
        fq.append("quality_stars:0")
    elif query.stars:
        # Exact values rather than a range: each is one bitmap, a range scans every document.
        fq.append(" OR ".join(f"quality_stars:{n}" for n in range(int(query.stars), 6)))
    if query.errors:
        fq.append("quality_errors:true")
    if query.overdue:
        # Last, so the date comparison only walks what the other filters left.
        fq.append("next_update_due:[* TO NOW]")
    return fq


def staff_scope(context: Context) -> str | None:
    """The datasets a caller manages, as an fq clause: those of their organisations (any role)
    and those they collaborate on; None (no limit) for a sysadmin. Other organisations' public
    datasets are visible to everyone but are not the caller's work, so the table leaves them
    out."""
    if context.is_sysadmin:
        return None
    clauses = [f'owner_org:"{o}"' for o in sorted(authz.member_organization_ids(context))]
    clauses += [f'id:"{d}"' for d in sorted(authz.collaborations(context))]
    return " OR ".join(clauses) or "id:__none__"


def search_data(query: TableQuery, scope: str | None) -> dict[str, Any]:
    """package_search's parameters for one page of the table, limited to ``scope``."""
    sort = f"{SORTS[query.sort]} {query.direction}"
    if query.sort != "modified":
        sort += ", metadata_modified desc"
    return {
        "q": query.q,
        "fq_list": ([scope] if scope else []) + filter_queries(query),
        "include_private": True,
        "include_drafts": True,
        "rows": query.rows,
        "start": query.start,
        "sort": sort,
        "facet.field": FACETS,
        "facet.limit": 100,
    }


def url_params(query: TableQuery, **changes: Any) -> dict[str, str]:
    """The URL parameters that give this query (defaults left out), with some changed."""
    changed = replace(query, **changes)
    defaults = parse({"q": changed.q})
    out: dict[str, str] = {}
    for key, value in (
        ("q", changed.q),
        ("state", changed.state),
        ("visibility", changed.visibility),
        ("organization", changed.organization),
        ("res_format", changed.res_format),
        ("standard", changed.standard),
        ("stars", changed.stars),
        ("overdue", "1" if changed.overdue else ""),
        ("errors", "1" if changed.errors else ""),
        ("sort", changed.sort if changed.sort != defaults.sort else ""),
        ("dir", changed.direction if changed.direction != default_direction(changed.sort) else ""),
        ("page", str(changed.page) if changed.page != 1 else ""),
        ("rows", str(changed.rows) if changed.rows != DEFAULT_ROWS else ""),
    ):
        if value:
            out[key] = value
    return out


def default_direction(sort: str) -> str:
    """Newest, best and most overdue first unless asked otherwise; titles A→Z."""
    return "asc" if sort in ("title", "due") else "desc"


@dataclass(frozen=True)
class TableRow:
    id: str
    name: str
    title: str
    organization: str
    organization_title: str
    state: str
    private: bool
    formats: list[str]
    stars: int
    score: int
    next_update_due: str
    overdue: bool
    has_errors: bool
    modified: str


def table_rows(results: list[Mapping[str, Any]], today: str | None = None) -> list[TableRow]:
    today = today or datetime.now(UTC).date().isoformat()
    rows = []
    for found in results:
        # Search results are ready-made JSON: decoded once here, not key by key.
        package = orjson.loads(found.raw) if isinstance(found, RawJSON) else found
        org = package.get("organization") or {}
        resources = list(package.get("resources") or [])
        due = str(package.get("next_update_due") or "")
        rows.append(
            TableRow(
                id=str(package["id"]),
                name=str(package["name"]),
                title=str(package.get("title") or package["name"]),
                organization=str(org.get("name") or ""),
                organization_title=str(org.get("title") or org.get("name") or ""),
                state=str(package.get("state") or "active"),
                private=bool(package.get("private")),
                formats=sorted({str(r["format"]).upper() for r in resources if r.get("format")}),
                stars=int(package.get("quality_stars") or 0),
                score=int(package.get("quality_score") or 0),
                next_update_due=due,
                overdue=bool(due) and due <= today,
                has_errors=has_quality_errors(resources),
                modified=str(package.get("metadata_modified") or ""),
            )
        )
    return rows
