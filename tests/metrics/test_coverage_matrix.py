"""The coverage matrix on the demo catalog (山口県 and its municipalities), cell by cell, on
SQLite and PostgreSQL: coverage_matrix_show, /dashboard/coverage.json, .csv and the page.

What each cell must hold comes from what the demo loader creates: the public datasets of that
municipality declaring that 自治体標準オープンデータセット (the demo content's
``standard_id``), plus those whose file the quality check found to follow it (each resource's
``quality.standard``, read back with package_show once every check has run). Private demo
datasets (山口市's 介護サービス事業所) must leave their cell empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
import requests

from support.demo_copies import DemoCopies
from support.live_server import LiveServer
from tsunagu.demo.content import demo_catalog
from tsunagu.quality.standards import list_standards

Cells = dict[tuple[str, str], set[str]]  # (municipality name, standard id) → dataset names


@pytest.fixture(scope="module")
def demo(
    backend: str, demo_copies: DemoCopies, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    live = demo_copies.start(backend, tmp_path_factory.mktemp(f"coverage-{backend}"))
    yield live
    live.stop()


def _municipalities() -> list[tuple[str, str, str]]:
    """(name, title, code) of the demo municipalities, in code order."""
    found = [
        (o.name, o.title, o.local_gov_code)
        for o in demo_catalog().organizations
        if o.kind == "municipality"
    ]
    return sorted(found, key=lambda o: (o[2], o[0]))


@pytest.fixture(scope="module")
def expected(demo: LiveServer) -> Cells:
    catalog = demo_catalog()
    municipal = {name for name, _t, _c in _municipalities()}
    cells: Cells = {(m, s.id): set() for m in municipal for s in list_standards()}
    for d in catalog.datasets:
        if d.organization not in municipal or d.private:
            continue
        if d.standard_id:
            cells[(d.organization, d.standard_id)].add(d.name)
        package = demo.act("package_show", {"id": d.name})
        for resource in package["resources"]:
            found = (resource.get("quality") or {}).get("standard")
            if found:
                cells[(d.organization, found)].add(d.name)
    return cells


def test_the_demo_has_what_the_matrix_is_tested_on(expected: Cells) -> None:
    """The demo declares standards for most municipalities, keeps one standard dataset private
    and has cells that only a file's check fills; the test below then means something."""
    catalog = demo_catalog()
    declared = {(d.organization, d.standard_id) for d in catalog.datasets if d.standard_id}
    assert sum(1 for names in expected.values() if names) >= 30
    assert ("yamaguchi-city", "care_service") in declared
    assert expected[("yamaguchi-city", "care_service")] == set()  # private in the demo
    assert expected[("shimonoseki-city", "evacuation_space")] == {
        "shimonoseki-city-evacuation-space"
    }


def test_every_cell_holds_the_public_datasets_following_its_standard(
    demo: LiveServer, expected: Cells
) -> None:
    matrix = demo.ckan().action.coverage_matrix_show()
    standards = list_standards()
    assert [s["id"] for s in matrix["standards"]] == [s.id for s in standards]
    assert [s["number"] for s in matrix["standards"]] == [s.number for s in standards]
    rows = matrix["municipalities"]
    assert [(r["name"], r["title"], r["local_gov_code"]) for r in rows] == _municipalities()
    for row in rows:
        assert [c["standard"] for c in row["cells"]] == [s.id for s in standards]
        for cell in row["cells"]:
            names = {d["name"] for d in cell["datasets"]}
            assert names == expected[(row["name"], cell["standard"])], (row["name"], cell)
            assert cell["count"] == len(names)
            for shown in cell["datasets"]:
                assert shown["url"] == f"{demo.url}/dataset/{shown['name']}"
                assert shown["title"] == demo.act("package_show", {"id": shown["name"]})["title"]
        assert row["covered"] == sum(1 for c in row["cells"] if c["datasets"])
    by_standard = {
        s.id: sum(1 for m, *_ in _municipalities() if expected[(m, s.id)]) for s in standards
    }
    assert {s["id"]: s["municipalities"] for s in matrix["standards"]} == by_standard
    assert matrix["covered"] == sum(1 for names in expected.values() if names)
    assert matrix["cells"] == len(rows) * len(standards)
    # The metrics agree with the matrix.
    for standard in standards[:3]:
        value = demo.ckan().action.metric_show(
            key="standard_coverage", params={"standard": standard.id}
        )["value"]
        assert value == by_standard[standard.id]


def test_coverage_json_and_csv(demo: LiveServer, expected: Cells) -> None:
    answer = demo.ckan().action.coverage_matrix_show()
    got = requests.get(f"{demo.url}/dashboard/coverage.json", timeout=60)
    assert got.status_code == 200 and got.json() == answer
    download = requests.get(f"{demo.url}/dashboard/coverage.csv", timeout=60)
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    text = download.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text[1:])))
    standards = list_standards()
    assert lines[0] == [
        "団体コード",
        "市区町村",
        *(f"{s.number} {s.title}" for s in standards),
        "公開済みの標準データセット数",
    ]
    municipalities = _municipalities()
    assert [(line[0], line[1]) for line in lines[1:]] == [(c, t) for _n, t, c in municipalities]
    for line, (name, _title, _code) in zip(lines[1:], municipalities, strict=True):
        counts = [str(len(expected[(name, s.id)])) for s in standards]
        assert line[2:-1] == counts, name
        assert line[-1] == str(sum(1 for s in standards if expected[(name, s.id)]))


class _MatrixCells(HTMLParser):
    """The links of each cell of the coverage matrix table: rows of (row header link, cells)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[list[str]]]] = []
        self._in_matrix = self._in_body = False
        self._cell: list[str] | None = None
        self._header: str | None = None
        self._in_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and "coverage-matrix" in (found.get("class") or ""):
            self._in_matrix = True
        elif self._in_matrix and tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append(("", []))
        elif self._in_body and tag == "th":
            self._in_th = True
        elif self._in_body and tag == "td":
            self._cell = []
            self.rows[-1][1].append(self._cell)
        elif self._in_body and tag == "a":
            href = found.get("href") or ""
            if self._in_th:
                self.rows[-1] = (href, self.rows[-1][1])
            elif self._cell is not None:
                self._cell.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_matrix = self._in_body = False
        elif tag == "th":
            self._in_th = False
        elif tag == "td":
            self._cell = None


def test_the_page_links_every_cell_to_its_datasets(demo: LiveServer, expected: Cells) -> None:
    page = requests.get(f"{demo.url}/dashboard/coverage", timeout=60)
    assert page.status_code == 200
    parser = _MatrixCells()
    parser.feed(page.text)
    municipalities = _municipalities()
    assert [href for href, _cells in parser.rows] == [
        f"/organization/{name}" for name, *_ in municipalities
    ]
    standards = list_standards()
    for (_href, cells), (name, *_rest) in zip(parser.rows, municipalities, strict=True):
        # One cell per standard dataset, then the row's total (no links).
        assert len(cells) == len(standards) + 1
        for cell, standard in zip(cells, standards, strict=False):
            wanted = {f"/dataset/{d}" for d in expected[(name, standard.id)]}
            assert set(cell) == wanted, (name, standard.id)
    assert "<caption" in page.text and 'scope="col"' in page.text and 'scope="row"' in page.text


def test_private_and_draft_datasets_never_fill_a_cell(demo: LiveServer) -> None:
    """A municipality's new private and draft datasets declaring a standard it lacks leave the
    cell empty; publishing one fills it."""
    before = demo.ckan().action.coverage_matrix_show()
    row = next(r for r in before["municipalities"] if r["name"] == "hofu-city")
    empty = next(c["standard"] for c in row["cells"] if not c["datasets"])
    for suffix, extra in (("private", {"private": True}), ("draft", {"state": "draft"})):
        demo.act(
            "package_create",
            {
                "name": f"hofu-coverage-{suffix}",
                "title": f"防府市 {suffix}",
                "owner_org": "hofu-city",
                "standard_id": empty,
                **extra,
            },
        )

    def cell(answer: dict[str, Any]) -> list[dict[str, Any]]:
        found = next(r for r in answer["municipalities"] if r["name"] == "hofu-city")
        return next(c["datasets"] for c in found["cells"] if c["standard"] == empty)

    try:
        assert cell(demo.ckan().action.coverage_matrix_show()) == []
        demo.act("package_patch", {"id": "hofu-coverage-private", "private": False})
        assert [d["name"] for d in cell(demo.ckan().action.coverage_matrix_show())] == [
            "hofu-coverage-private"
        ]
    finally:  # the demo is the module's: the other tests expect it as loaded
        for suffix in ("private", "draft"):
            demo.act("dataset_purge", {"id": f"hofu-coverage-{suffix}"})
