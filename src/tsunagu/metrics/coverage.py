"""The coverage matrix: municipalities × 自治体標準オープンデータセット.

A cell holds the public datasets of that municipality that follow that standard dataset,
declared by staff (the dataset's ``standard_id``) or found by a file's check (a resource's
``quality_standard``). One index query per standard dataset gives every municipality's datasets
for it at once (about fifteen queries whatever the catalog's size). Public, active datasets
only: a draft or private dataset never fills a cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from tsunagu.catalog.models import Organization
from tsunagu.context import Context
from tsunagu.metrics.catalog import KIND_FQ, follows_fq
from tsunagu.quality.standards import Standard, list_standards
from tsunagu.search.interface import SearchQuery

# More datasets than one municipality publishes for one standard dataset, by far.
_ROWS = 100_000


@dataclass
class Cell:
    standard: Standard
    datasets: list[dict[str, str]] = field(default_factory=list)  # name, title


@dataclass
class Row:
    organization: Organization
    cells: list[Cell]

    @property
    def covered(self) -> int:
        return sum(1 for cell in self.cells if cell.datasets)


@dataclass
class Matrix:
    standards: list[Standard]
    rows: list[Row]

    def covered_by_standard(self) -> dict[str, int]:
        return {
            s.id: sum(1 for row in self.rows if row.cells[i].datasets)
            for i, s in enumerate(self.standards)
        }

    @property
    def covered(self) -> int:
        return sum(row.covered for row in self.rows)


def municipalities(context: Context) -> list[Organization]:
    return list(
        context.session.scalars(
            select(Organization)
            .where(Organization.kind == "municipality", Organization.state == "active")
            .order_by(Organization.local_gov_code, Organization.name)
        )
    )


def coverage_matrix(context: Context) -> Matrix:
    search = context.services.search
    search.refresh(context.session)
    standards = list_standards()
    orgs = municipalities(context)
    # standard id → organisation id → datasets
    found: dict[str, dict[str, list[dict[str, str]]]] = {}
    for standard in standards:
        result = search.search(
            SearchQuery(
                fq=f"({KIND_FQ['municipality']}) AND {follows_fq(standard.id)}",
                rows=_ROWS,
                sort="title_string asc",
                fl=["name", "title", "owner_org"],
            )
        )
        cells: dict[str, list[dict[str, str]]] = {}
        for package in result.results:
            cells.setdefault(str(package.get("owner_org")), []).append(
                {"name": str(package["name"]), "title": str(package.get("title") or "")}
            )
        found[standard.id] = cells
    rows = [Row(org, [Cell(s, found[s.id].get(org.id, [])) for s in standards]) for org in orgs]
    return Matrix(standards, rows)


def standard_dict(standard: Standard) -> dict[str, str]:
    return {"id": standard.id, "number": standard.number, "title": standard.title}


def matrix_dict(matrix: Matrix, site_url: str) -> dict[str, Any]:
    """The matrix as the API and the JSON download give it."""
    by_standard = matrix.covered_by_standard()
    return {
        "standards": [
            {**standard_dict(s), "municipalities": by_standard[s.id]} for s in matrix.standards
        ],
        "municipalities": [
            {
                "id": row.organization.id,
                "name": row.organization.name,
                "title": row.organization.title,
                "local_gov_code": row.organization.local_gov_code,
                "covered": row.covered,
                "cells": [
                    {
                        "standard": cell.standard.id,
                        "count": len(cell.datasets),
                        "datasets": [
                            {**d, "url": f"{site_url}/dataset/{d['name']}"} for d in cell.datasets
                        ],
                    }
                    for cell in row.cells
                ],
            }
            for row in matrix.rows
        ],
        "covered": matrix.covered,
        "cells": len(matrix.rows) * len(matrix.standards),
    }


def matrix_csv_rows(matrix: Matrix) -> list[list[str]]:
    """One line per municipality: its code and name, then the number of public datasets
    following each standard dataset, then how many standard datasets it covers."""
    header = ["団体コード", "市区町村", *(f"{s.number} {s.title}" for s in matrix.standards)]
    lines = [[*header, "公開済みの標準データセット数"]]
    for row in matrix.rows:
        lines.append(
            [
                row.organization.local_gov_code or "",
                row.organization.title or row.organization.name,
                *(str(len(cell.datasets)) for cell in row.cells),
                str(row.covered),
            ]
        )
    return lines
