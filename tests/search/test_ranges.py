"""Range filters over many documents take the field's values in order (search/ranges.py) and
must find exactly what comparing every document's value finds, bounds and empty values included;
the order follows documents added, changed and removed."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest

from tsunagu.search.documents import build_document
from tsunagu.search.evaluate import RANGE_WALK_LIMIT
from tsunagu.search.interface import SearchQuery, Visibility
from tsunagu.search.memory_index import MemoryIndex

COUNT = RANGE_WALK_LIMIT * 2 + 123


def _package(i: int, rng: random.Random) -> dict[str, Any]:
    day = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
    return {
        "id": f"id-{i}",
        "name": f"ds-{i:05d}",
        "title": f"データ {i}",
        "state": "active",
        "private": False,
        "owner_org": "org-a" if i % 3 else "org-b",
        "metadata_modified": f"{day.isoformat()}T{rng.randrange(24):02d}:00:00.000000",
        "next_update_due": (day + timedelta(days=45)).isoformat() if i % 4 else None,
        "quality_score": rng.choice([0, 8, 30, 49, 50, 51, 84, 100]),
        "num_tags": 0,
        "resources": [{"id": f"r-{i}-{n}", "name": "x"} for n in range(i % 3)],
        "tags": [],
        "groups": [],
        "extras": [],
        "organization": {},
    }


@pytest.fixture(scope="module")
def catalog() -> tuple[MemoryIndex, dict[str, dict[str, Any]]]:
    rng = random.Random(7)
    index = MemoryIndex("http://testserver")
    packages = {}
    for i in range(COUNT):
        package = _package(i, rng)
        packages[package["name"]] = package
        index._add(build_document(package))
    return index, packages


def _found(index: MemoryIndex, fq: str) -> set[str]:
    result = index.search(
        SearchQuery(fq=fq, rows=COUNT, fl=["name"], visibility=Visibility(all_private=True))
    )
    assert result.count == len(result.results)
    return {r["name"] for r in result.results}


def _expected(
    packages: dict[str, dict[str, Any]], field: str, low: Any, high: Any, inclusive: bool
) -> set[str]:
    out = set()
    for name, package in packages.items():
        value = package.get(field)
        if field == "num_resources":
            value = len(package["resources"])
        if value in (None, ""):
            continue
        if low is not None and (value < low or (value == low and not inclusive)):
            continue
        if high is not None and (value > high or (value == high and not inclusive)):
            continue
        out.add(name)
    return out


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [
        ("next_update_due", None, "2025-03-01"),
        ("next_update_due", "2024-06-15", "2025-01-31"),
        ("next_update_due", "2099-01-01", None),
        ("metadata_modified", "2024-05-01T00:00:00", None),
        ("quality_score", None, 49),
        ("quality_score", 50, 84),
        ("num_resources", 1, None),
    ],
)
@pytest.mark.parametrize("inclusive", [True, False])
def test_ordered_range_finds_what_a_walk_finds(
    catalog: tuple[MemoryIndex, dict[str, dict[str, Any]]],
    field: str,
    low: Any,
    high: Any,
    inclusive: bool,
) -> None:
    index, packages = catalog
    opening, closing = ("[", "]") if inclusive else ("{", "}")
    fq = f"{field}:{opening}{'*' if low is None else low} TO {'*' if high is None else high}{closing}"
    found = _found(index, fq)
    assert found == _expected(packages, field, low, high, inclusive)
    # Within a small candidate set (one organisation's few), each value is compared instead.
    small = {n for n, p in packages.items() if p["owner_org"] == "org-b" and n < "ds-00600"}
    assert len(small) < RANGE_WALK_LIMIT
    names = " OR ".join(f"name:{n}" for n in sorted(small))
    assert _found(index, f"({names}) AND {fq}") == found & small


def test_the_order_follows_changes_to_the_index() -> None:
    rng = random.Random(11)
    index = MemoryIndex("http://testserver")
    packages = [_package(i, rng) for i in range(RANGE_WALK_LIMIT + 10)]
    for package in packages:
        package["quality_score"] = 80
        index._add(build_document(package))
    assert _found(index, "quality_score:[* TO 49]") == set()
    low = {**packages[5], "quality_score": 10}
    index._remove(low["id"])
    index._add(build_document(low))
    assert _found(index, "quality_score:[* TO 49]") == {low["name"]}
    index._remove(low["id"])
    assert _found(index, "quality_score:[* TO 49]") == set()
