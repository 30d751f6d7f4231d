"""The DCAT export validated with pyshacl against the DCAT-AP 3.0.1 mandatory, recommended and
range shapes (vendored in tests/data/dcat-ap-3.0.1; the EU controlled-vocabulary shapes are
skipped, see its README): the whole demo catalog, page by page, and edge cases (no files, no
contact point, no description, Japanese-only text, odd formats), on SQLite and PostgreSQL.

No dataset may break a mandatory or range shape (sh:Violation). A recommended property may be
missing (sh:Warning) only where the dataset itself lacks it: a dataset with every field filled
in passes with no result at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pyshacl import validate
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from support.demo_copies import DemoCopies
from support.live_server import LiveServer

SHAPES_DIR = Path(__file__).resolve().parents[1] / "data" / "dcat-ap-3.0.1"
SH = Namespace("http://www.w3.org/ns/shacl#")
FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}


@pytest.fixture(scope="module")
def shapes() -> Graph:
    graph = Graph()
    for name in ("shapes.ttl", "shapes_recommended.ttl", "range.ttl"):
        graph.parse(SHAPES_DIR / name, format="turtle")
    return graph


@pytest.fixture(scope="module")
def server(
    backend: str, demo_copies: DemoCopies, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A copy of the demo catalog."""
    live = demo_copies.start(backend, tmp_path_factory.mktemp(f"shacl-{backend}"))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def catalog(server: LiveServer) -> dict[str, Any]:
    ckan = server.ckan(server.make_user("shacl-admin", sysadmin=True))
    org = "yamaguchi-pref"
    common = {"owner_org": org, "license_id": "cc-by-4.0"}
    ckan.action.package_create(name="shacl-no-files", title="ファイルのないデータセット", **common)
    ckan.action.package_create(
        name="shacl-no-contact",
        title="問い合わせ先のないデータ",
        notes="説明だけ",
        resources=[{"name": "表", "url": "https://example.jp/a.csv", "format": "CSV"}],
        **common,
    )
    ckan.action.package_create(
        name="shacl-japanese-only",
        title="令和６年度　観光客数（速報値）＜暫定＞",
        notes="「観光」＆『統計』の\n複数行の説明。<b>タグではない</b> ＆ 記号 \" ' \\",
        tags=["観光", "統計・速報", "ｶﾀｶﾅ"],
        resources=[
            {"name": "独自形式", "url": "https://example.jp/data.dat", "format": "独自形式"},
            {"name": "リンクのみ", "url": "https://example.jp/page", "format": ""},
        ],
        **common,
    )
    ckan.action.group_create(name="shacl-kanko", title="観光")
    complete = ckan.action.package_create(
        name="shacl-complete",
        title="指定緊急避難場所一覧",
        notes="すべての推奨項目を持つデータセット",
        frequency="annual",
        spatial_codes=["350001", "352012"],
        temporal_start="2024-04-01",
        temporal_end="2025-03-31",
        contact_name="防災危機管理課",
        contact_email="bousai@pref.example.jp",
        contact_phone="083-933-0000",
        standard_id="evacuation_space",
        tags=["防災"],
        groups=[{"name": "shacl-kanko"}],
        resources=[
            {
                "name": "一覧",
                "description": "CSV",
                "url": "https://example.jp/e.csv",
                "format": "CSV",
            }
        ],
        **common,
    )
    return {"complete": complete}


def _results(data: Graph, shapes: Graph) -> list[dict[str, Any]]:
    _, report, _ = validate(data, shacl_graph=shapes, inference="none")
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        found.append(
            {
                "severity": report.value(result, SH.resultSeverity),
                "focus": report.value(result, SH.focusNode),
                "path": report.value(result, SH.resultPath),
                "message": str(report.value(result, SH.resultMessage)),
            }
        )
    return found


# A recommended property a dataset or file may lack, and the field whose absence explains it.
_EXPLAINED = {
    DCTERMS.temporal: lambda p: not (p.get("temporal_start") or p.get("temporal_end")),
    DCAT.theme: lambda p: not p.get("groups"),
    DCAT.contactPoint: lambda p: (
        not (p.get("contact_name") or p.get("contact_email") or p.get("contact_phone"))
    ),
    DCAT.distribution: lambda p: not p.get("resources"),
    DCAT.keyword: lambda p: not p.get("tags"),
    DCTERMS.spatial: lambda p: not (p.get("spatial_codes") or p.get("spatial")),
}


def _packages_by_uri(server: LiveServer) -> dict[str, dict[str, Any]]:
    found = server.ckan().action.package_search(rows=1000)["results"]
    return {f"{server.url}/dataset/{p['id']}": p for p in found}


def test_whole_demo_catalog_has_no_violations(
    server: LiveServer, catalog: dict[str, Any], shapes: Graph
) -> None:
    packages = _packages_by_uri(server)
    assert len(packages) >= 40
    resources = {
        f"{uri}#resource-{r['id']}": r for uri, p in packages.items() for r in p["resources"]
    }
    url: str | None = f"{server.url}/catalog.ttl?per_page=25"
    checked = 0
    while url:
        data = Graph().parse(data=requests.get(url, timeout=60).content, format="turtle")
        results = _results(data, shapes)
        violations = [r for r in results if r["severity"] == SH.Violation]
        assert violations == [], violations[:5]
        for warning in results:
            assert warning["severity"] == SH.Warning
            package = packages.get(str(warning["focus"]))
            if package is None:  # a file: its description or format may be missing
                resource = resources[str(warning["focus"])]
                field = {DCTERMS.description: "description", DCTERMS["format"]: "format"}
                assert not resource[field[warning["path"]]], (resource, warning)
                continue
            explains = _EXPLAINED.get(warning["path"])
            assert explains is not None and explains(package), (package["name"], warning)
        checked += len(list(data.subjects(RDF.type, DCAT.Dataset)))
        nxt = data.value(
            next(
                iter(
                    data.subjects(
                        RDF.type, URIRef("http://www.w3.org/ns/hydra/core#PagedCollection")
                    )
                )
            ),
            URIRef("http://www.w3.org/ns/hydra/core#next"),
        )
        url = str(nxt) if nxt is not None else None
    assert checked == len(packages)


@pytest.mark.parametrize("suffix", ["ttl", "rdf", "jsonld"])
def test_complete_dataset_passes_every_shape(
    server: LiveServer, catalog: dict[str, Any], shapes: Graph, suffix: str
) -> None:
    response = requests.get(f"{server.url}/dataset/shacl-complete.{suffix}", timeout=30)
    data = Graph().parse(data=response.content, format=FORMATS[suffix])
    assert _results(data, shapes) == []


@pytest.mark.parametrize("name", ["shacl-no-files", "shacl-no-contact", "shacl-japanese-only"])
def test_edge_cases_break_no_mandatory_or_range_shape(
    server: LiveServer, catalog: dict[str, Any], shapes: Graph, name: str
) -> None:
    response = requests.get(f"{server.url}/dataset/{name}.ttl", timeout=30)
    data = Graph().parse(data=response.content, format="turtle")
    results = _results(data, shapes)
    assert [r for r in results if r["severity"] != SH.Warning] == []
    missing = {r["path"] for r in results}
    expected = {
        "shacl-no-files": {DCAT.distribution, DCAT.contactPoint, DCAT.keyword, DCAT.theme},
        "shacl-no-contact": {DCAT.contactPoint, DCAT.keyword, DCAT.theme},
        # One of its files is a link with no format.
        "shacl-japanese-only": {DCAT.contactPoint, DCAT.theme, DCTERMS["format"]},
    }[name]
    # Temporal coverage and a description of each file are the other recommended properties
    # these datasets lack; nothing else is reported.
    assert expected <= missing <= expected | {DCTERMS.temporal, DCTERMS.description}


def test_catalog_node_passes_every_shape(
    server: LiveServer, catalog: dict[str, Any], shapes: Graph
) -> None:
    data = Graph().parse(
        data=requests.get(f"{server.url}/catalog.ttl?per_page=1", timeout=30).content,
        format="turtle",
    )
    catalog_node = URIRef(server.url)
    about_catalog = [r for r in _results(data, shapes) if r["focus"] == catalog_node]
    assert about_catalog == []
