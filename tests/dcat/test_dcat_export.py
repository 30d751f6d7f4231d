"""The DCAT export over HTTP on SQLite and PostgreSQL: /catalog.{ttl,rdf,jsonld} with hydra
paging and modified_since, /dataset/{name}.{ttl,rdf,jsonld}, content negotiation on
/dataset/{name}, the DCAT-AP 3 mapping of every controlled field, caching headers, and private,
draft and deleted datasets never appearing, whoever asks."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from support.live_server import LiveServer
from support.portal import Visitor
from tsunagu.dcat.vocab import DCATAP, HYDRA, VCARD

FORMATS = {
    "ttl": ("text/turtle", "turtle"),
    "rdf": ("application/rdf+xml", "xml"),
    "jsonld": ("application/ld+json", "json-ld"),
}
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"


@pytest.fixture(scope="module")
def site(server: LiveServer) -> dict[str, Any]:
    """A prefecture, a city, two categories and datasets in every state."""
    token = server.make_user("dcat-admin", sysadmin=True)
    ckan = server.ckan(token)
    ckan.action.organization_create(
        name="dcat-pref", title="山口県", kind="prefecture", local_gov_code="350001"
    )
    ckan.action.organization_create(
        name="dcat-city", title="下関市", kind="municipality", local_gov_code="352012"
    )
    ckan.action.group_create(name="bousai", title="防災")
    ckan.action.group_create(name="kosodate", title="子育て")
    full = ckan.action.package_create(
        name="dcat-evacuation",
        title="指定緊急避難場所一覧",
        notes="下関市の指定緊急避難場所です。",
        owner_org="dcat-city",
        license_id="cc-by-4.0",
        frequency="monthly",
        spatial_codes=["352012"],
        temporal_start="令和6年4月1日",
        temporal_end="2025-03-31",
        contact_name="防災危機管理課",
        contact_email="bousai@city.example.jp",
        contact_phone="083-231-1111 内線123",
        standard_id="evacuation_space",
        url="https://www.city.shimonoseki.example.jp/bousai/",
        version="2024",
        tags=["防災", "避難場所"],
        groups=[{"name": "bousai"}],
        resources=[
            {
                "name": "避難場所一覧（CSV）",
                "description": "UTF-8 の CSV です。",
                "url": "https://files.example.jp/352012_evacuation_space.csv",
                "format": "CSV",
            },
            {
                "name": "避難場所の説明ページ",
                "url": "https://www.city.shimonoseki.example.jp/bousai/list.html",
                "format": "HTML",
            },
        ],
    )
    bare = ckan.action.package_create(
        name="dcat-bare", title="リソースのないデータセット", owner_org="dcat-pref"
    )
    ckan.action.package_create(
        name="dcat-pdl",
        title="公共データ利用規約のデータ",
        notes="説明",
        owner_org="dcat-pref",
        license_id="pdl-1.0",
    )
    ckan.action.package_create(
        name="dcat-cc0",
        title="CC0 のデータ",
        notes="説明",
        owner_org="dcat-pref",
        license_id="cc0-1.0",
    )
    ckan.action.package_create(
        name="dcat-private", title="非公開", owner_org="dcat-city", private=True
    )
    ckan.action.package_create(
        name="dcat-draft", title="下書き", owner_org="dcat-city", state="draft"
    )
    ckan.action.package_create(name="dcat-deleted", title="削除済み", owner_org="dcat-city")
    ckan.action.package_delete(id="dcat-deleted")
    return {"token": token, "full": full, "bare": bare}


def _get(server: LiveServer, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(server.url + path, timeout=30, allow_redirects=False, **kwargs)


def _graph(response: requests.Response, suffix: str) -> Graph:
    assert response.status_code == 200, response.text[:300]
    media, parser = FORMATS[suffix]
    assert response.headers["content-type"].startswith(media)
    return Graph().parse(data=response.content, format=parser)


def _titles(graph: Graph) -> set[str]:
    return {str(graph.value(d, DCTERMS.title)) for d in graph.subjects(RDF.type, DCAT.Dataset)}


@pytest.mark.parametrize("suffix", ["ttl", "rdf", "jsonld"])
def test_catalog_in_each_format_lists_public_datasets_only(
    server: LiveServer, site: dict[str, Any], suffix: str
) -> None:
    graph = _graph(_get(server, f"/catalog.{suffix}"), suffix)
    titles = _titles(graph)
    assert {
        "指定緊急避難場所一覧",
        "リソースのないデータセット",
        "公共データ利用規約のデータ",
    } <= titles
    assert not {"非公開", "下書き", "削除済み"} & titles
    catalog = URIRef(server.url)
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert len(list(graph.objects(catalog, DCAT.dataset))) == len(titles)


def test_private_and_draft_stay_out_even_for_signed_in_staff(
    server: LiveServer, site: dict[str, Any]
) -> None:
    visitor = Visitor(server.url)
    assert visitor.sign_in("dcat-admin", "pw-dcat-admin-0000").status_code == 303
    assert visitor.signed_in()
    auth = {"Authorization": site["token"]}
    as_staff = visitor.get("/catalog.ttl", headers=auth)
    assert not {"非公開", "下書き"} & _titles(_graph(as_staff, "ttl"))
    for name in ("dcat-private", "dcat-draft", "dcat-deleted"):
        assert visitor.get(f"/dataset/{name}.ttl", headers=auth).status_code == 404
        negotiated = visitor.get(f"/dataset/{name}", headers={**auth, "Accept": "text/turtle"})
        assert negotiated.status_code == 404
        assert negotiated.headers["vary"].startswith("Accept")
    # The page itself still shows staff their private dataset, without RDF alternates.
    page = visitor.get("/dataset/dcat-private")
    assert page.status_code == 200 and 'rel="alternate"' not in page.text


def test_dataset_maps_to_dcat_ap_3(server: LiveServer, site: dict[str, Any]) -> None:
    graph = _graph(_get(server, "/dataset/dcat-evacuation.ttl"), "ttl")
    full = site["full"]
    dataset = URIRef(f"{server.url}/dataset/{full['id']}")
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert graph.value(dataset, DCTERMS.title) == Literal("指定緊急避難場所一覧", lang="ja")
    assert graph.value(dataset, DCTERMS.description) == Literal(
        "下関市の指定緊急避難場所です。", lang="ja"
    )
    assert graph.value(dataset, DCTERMS.identifier) == Literal(full["id"])
    assert set(graph.objects(dataset, DCAT.keyword)) == {
        Literal("防災", lang="ja"),
        Literal("避難場所", lang="ja"),
    }
    assert graph.value(dataset, DCTERMS.accrualPeriodicity) == URIRef(EU_FREQUENCY + "MONTHLY")
    assert graph.value(dataset, DCAT.landingPage) == URIRef(
        "https://www.city.shimonoseki.example.jp/bousai/"
    )
    assert graph.value(dataset, URIRef("http://www.w3.org/ns/dcat#version")) == Literal("2024")
    issued = graph.value(dataset, DCTERMS.issued)
    assert issued.datatype == XSD.dateTime and issued.toPython().tzinfo is not None
    # Publisher: the organisation as a foaf:Agent with its 全国地方公共団体コード.
    publisher = graph.value(dataset, DCTERMS.publisher)
    assert str(publisher) == f"{server.url}/organization/{full['owner_org']}"
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert graph.value(publisher, FOAF.name) == Literal("下関市", lang="ja")
    assert graph.value(publisher, DCTERMS.identifier) == Literal("352012")
    assert graph.value(publisher, DCTERMS.type) == URIRef(
        "http://purl.org/adms/publishertype/LocalAuthority"
    )
    # Contact point as a vCard.
    contact = graph.value(dataset, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in graph
    assert graph.value(contact, VCARD.fn) == Literal("防災危機管理課", lang="ja")
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:bousai@city.example.jp")
    assert graph.value(contact, VCARD.hasTelephone) == URIRef("tel:+81-83-231-1111;ext=123")
    # Theme from the category, spatial per code, temporal as a PeriodOfTime.
    theme = graph.value(dataset, DCAT.theme)
    assert str(theme) == f"{server.url}/dataset?groups=bousai"
    assert graph.value(theme, SKOS.prefLabel) == Literal("防災", lang="ja")
    place = graph.value(dataset, DCTERMS.spatial)
    assert str(place) == f"{server.url}/area/352012"
    assert graph.value(place, DCTERMS.identifier) == Literal("352012")
    assert graph.value(place, SKOS.prefLabel) == Literal("山口県下関市", lang="ja")
    assert str(graph.value(place, DCAT.bbox)).startswith("POLYGON((")
    period = graph.value(dataset, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in graph
    assert graph.value(period, DCAT.startDate) == Literal("2024-04-01", datatype=XSD.date)
    assert graph.value(period, DCAT.endDate) == Literal("2025-03-31", datatype=XSD.date)
    standard = graph.value(dataset, DCTERMS.conformsTo)
    assert (standard, RDF.type, DCTERMS.Standard) in graph
    assert graph.value(standard, DCTERMS.identifier) == Literal("evacuation_space")
    assert "指定緊急避難場所" in str(graph.value(standard, DCTERMS.title))
    assert graph.value(dataset, DCTERMS.language) == URIRef(
        "http://publications.europa.eu/resource/authority/language/JPN"
    )


def test_distributions_carry_urls_format_media_type_and_licence(
    server: LiveServer, site: dict[str, Any]
) -> None:
    graph = _graph(_get(server, "/dataset/dcat-evacuation.ttl"), "ttl")
    full = site["full"]
    dataset = URIRef(f"{server.url}/dataset/{full['id']}")
    by_title = {
        str(graph.value(d, DCTERMS.title)): d for d in graph.objects(dataset, DCAT.distribution)
    }
    csv = by_title["避難場所一覧（CSV）"]
    assert str(csv) == f"{server.url}/dataset/{full['id']}#resource-{full['resources'][0]['id']}"
    assert graph.value(csv, DCAT.accessURL) == URIRef(
        "https://files.example.jp/352012_evacuation_space.csv"
    )
    assert graph.value(csv, DCAT.downloadURL) == graph.value(csv, DCAT.accessURL)
    assert graph.value(csv, DCTERMS["format"]) == URIRef(FILE_TYPE + "CSV")
    assert graph.value(csv, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv"
    )
    assert graph.value(csv, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert graph.value(csv, DCTERMS.description) == Literal("UTF-8 の CSV です。", lang="ja")
    assert graph.value(csv, DCATAP.availability) is not None
    # A web page is where the data is reached, not a file to download.
    page = by_title["避難場所の説明ページ"]
    assert graph.value(page, DCAT.accessURL) is not None
    assert graph.value(page, DCAT.downloadURL) is None
    assert graph.value(page, DCTERMS["format"]) == URIRef(FILE_TYPE + "HTML")


@pytest.mark.parametrize(
    ("name", "uri"),
    [
        ("dcat-pdl", "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0"),
        ("dcat-cc0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ],
)
def test_licence_uris(server: LiveServer, site: dict[str, Any], name: str, uri: str) -> None:
    graph = _graph(_get(server, f"/dataset/{name}.ttl"), "ttl")
    assert (URIRef(uri), RDF.type, DCTERMS.LicenseDocument) in graph


def test_dataset_without_resources_or_notes(server: LiveServer, site: dict[str, Any]) -> None:
    graph = _graph(_get(server, "/dataset/dcat-bare.ttl"), "ttl")
    dataset = URIRef(f"{server.url}/dataset/{site['bare']['id']}")
    assert list(graph.objects(dataset, DCAT.distribution)) == []
    assert list(graph.objects(dataset, DCAT.contactPoint)) == []
    # dct:description is mandatory in DCAT-AP: the title stands in.
    assert graph.value(dataset, DCTERMS.description) == Literal(
        "リソースのないデータセット", lang="ja"
    )


@pytest.mark.parametrize("suffix", ["ttl", "rdf", "jsonld"])
def test_formats_say_the_same(server: LiveServer, site: dict[str, Any], suffix: str) -> None:
    reference = _graph(_get(server, "/dataset/dcat-evacuation.ttl"), "ttl")
    other = _graph(_get(server, f"/dataset/dcat-evacuation.{suffix}"), suffix)
    assert len(other) == len(reference)
    assert set(other.subjects(RDF.type, DCAT.Distribution)) == set(
        reference.subjects(RDF.type, DCAT.Distribution)
    )
    # By name or by id alike; .xml is RDF/XML as in ckanext-dcat.
    by_id = _get(server, f"/dataset/{site['full']['id']}.{suffix}")
    assert len(_graph(by_id, suffix)) == len(reference)
    assert (
        _get(server, "/dataset/dcat-evacuation.xml")
        .headers["content-type"]
        .startswith("application/rdf+xml")
    )


def test_unknown_suffix_and_dataset(server: LiveServer, site: dict[str, Any]) -> None:
    assert _get(server, "/dataset/dcat-evacuation.csv").status_code == 404
    assert _get(server, "/dataset/no-such-dataset.ttl").status_code == 404
    assert _get(server, "/catalog.csv").status_code == 404


# -- content negotiation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle", "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("text/html;q=0.5, text/turtle;q=0.9", "text/turtle"),
        ("text/turtle;q=0.5, text/html", "text/html"),
        ("application/ld+json;q=0.8, application/rdf+xml;q=0.9", "application/rdf+xml"),
        ("text/turtle;q=0, */*", "text/html"),
        ("*/*", "text/html"),
        ("text/*", "text/html"),
        ("application/*", "text/html"),  # application/xhtml+xml is HTML
        ("text/html, text/turtle", "text/html"),  # a tie: HTML stays the default
        ("image/png", "text/html"),
        ("", "text/html"),
        (None, "text/html"),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "text/html",
        ),  # what a browser sends
    ],
)
def test_negotiation_honours_quality(
    server: LiveServer, site: dict[str, Any], accept: str | None, expected: str
) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = _get(server, "/dataset/dcat-evacuation", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(expected)
    assert "Accept" in [v.strip() for v in response.headers["vary"].split(",")]


def test_dataset_page_links_its_alternates(server: LiveServer, site: dict[str, Any]) -> None:
    page = _get(server, "/dataset/dcat-evacuation").text
    for suffix, (media, _) in FORMATS.items():
        assert (
            f'<link rel="alternate" type="{media}" href="/dataset/dcat-evacuation.{suffix}">'
            in page
        )


# -- caching --------------------------------------------------------------------------------


def test_etag_and_not_modified(server: LiveServer, site: dict[str, Any]) -> None:
    first = _get(server, "/dataset/dcat-evacuation.ttl")
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    modified = datetime.strptime(first.headers["last-modified"], "%a, %d %b %Y %H:%M:%S GMT")
    stored = datetime.fromisoformat(site["full"]["metadata_modified"])
    assert abs((modified - stored.replace(microsecond=0)).total_seconds()) < 1
    again = _get(server, "/dataset/dcat-evacuation.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    catalog = _get(server, "/catalog.ttl")
    same = _get(server, "/catalog.ttl", headers={"If-None-Match": catalog.headers["etag"]})
    assert same.status_code == 304
    # Another format is another document.
    other = _get(server, "/catalog.jsonld", headers={"If-None-Match": catalog.headers["etag"]})
    assert other.status_code == 200


def test_a_change_changes_the_etag(server: LiveServer, site: dict[str, Any]) -> None:
    ckan = server.ckan(site["token"])
    ckan.action.package_create(name="dcat-etag", title="ETag 用", owner_org="dcat-pref")
    before = _get(server, "/catalog.ttl").headers["etag"]
    page_before = _get(server, "/dataset/dcat-etag.ttl").headers["etag"]
    ckan.action.package_patch(id="dcat-etag", notes="説明を追加")
    after = _get(server, "/catalog.ttl", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["etag"] != before
    changed = _get(server, "/dataset/dcat-etag.ttl", headers={"If-None-Match": page_before})
    assert changed.status_code == 200 and "説明を追加" in changed.text


# -- paging and modified_since ------------------------------------------------------------


def _paging(graph: Graph) -> URIRef:
    nodes = list(graph.subjects(RDF.type, HYDRA.PagedCollection))
    assert len(nodes) == 1
    return nodes[0]


def test_hydra_paging_with_both_property_names(server: LiveServer, site: dict[str, Any]) -> None:
    ckan = server.ckan(site["token"])
    total = ckan.action.package_search(rows=0)["count"]
    assert total >= 4
    seen: list[str] = []
    url: str | None = f"{server.url}/catalog.ttl?per_page=2"
    pages = 0
    while url:
        graph = _graph(requests.get(url, timeout=30), "ttl")
        node = _paging(graph)
        # The page names itself canonically (page=1 spelt out on the first page).
        assert str(node) == (url if pages else str(graph.value(node, HYDRA.first)))
        assert graph.value(node, HYDRA.totalItems).toPython() == total
        assert graph.value(node, HYDRA.itemsPerPage).toPython() == 2
        for current, legacy in (
            (HYDRA.first, HYDRA.firstPage),
            (HYDRA.last, HYDRA.lastPage),
            (HYDRA.next, HYDRA.nextPage),
            (HYDRA.previous, HYDRA.previousPage),
        ):
            assert graph.value(node, current) == graph.value(node, legacy)
        assert graph.value(node, HYDRA.first) == Literal(
            f"{server.url}/catalog.ttl?per_page=2&page=1"
        )
        assert (graph.value(node, HYDRA.previous) is None) == (pages == 0)
        seen += [str(d) for d in graph.subjects(RDF.type, DCAT.Dataset)]
        following = graph.value(node, HYDRA.next)
        url = str(following) if following is not None else None
        pages += 1
    assert pages == -(-total // 2)
    assert len(seen) == len(set(seen)) == total


def test_page_parameters_are_checked(server: LiveServer, site: dict[str, Any]) -> None:
    for query in ("page=0", "page=x", "page=-1", "per_page=0", "modified_since=yesterday"):
        response = _get(server, f"/catalog.ttl?{query}")
        assert response.status_code == 400, query
    assert _get(server, "/catalog.ttl?page=9999").status_code == 404
    # per_page is capped at 1000.
    graph = _graph(_get(server, "/catalog.ttl?per_page=5000"), "ttl")
    assert graph.value(_paging(graph), HYDRA.itemsPerPage).toPython() == 1000


def test_modified_since(server: LiveServer, site: dict[str, Any]) -> None:
    ckan = server.ckan(site["token"])
    time.sleep(0.05)
    since = datetime.now(UTC)
    time.sleep(0.05)
    ckan.action.package_create(name="dcat-recent", title="最近のデータ", owner_org="dcat-pref")
    for value in (
        since.isoformat(),  # with +00:00
        since.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        since.astimezone().isoformat(),  # another offset, the same moment
    ):
        graph = _graph(_get(server, "/catalog.ttl", params={"modified_since": value}), "ttl")
        assert _titles(graph) == {"最近のデータ"}, value
        node = _paging(graph)
        assert graph.value(node, HYDRA.totalItems).toPython() == 1
        assert "modified_since=" in str(node)
    # A date alone means from the start of that day.
    graph = _graph(_get(server, "/catalog.ttl", params={"modified_since": "2000-01-01"}), "ttl")
    assert "指定緊急避難場所一覧" in _titles(graph)


def test_area_uri_leads_to_its_datasets(server: LiveServer, site: dict[str, Any]) -> None:
    response = _get(server, "/area/352012")
    assert response.status_code == 303
    assert response.headers["location"] == "/dataset?q=spatial_codes:352012"
    assert _get(server, "/area/evil").status_code == 404
