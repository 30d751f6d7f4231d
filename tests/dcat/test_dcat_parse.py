"""DCAT read into package dicts (dcat/parse.py, dcat/paging.py) for the DCAT harvester: the
three syntaxes, hydra paging in its current and legacy names, loop guards, stable identity,
controlled fields mapped back to Tsunagu's codes (free text kept), and bad input as a clear
error on the page or on the one record it concerns.

These read documents written here, in the shapes ckanext-dcat, udata and Tsunagu write; the
round trip through a live server's own export is in test_dcat_harvest.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph

from tsunagu.dcat.paging import FetchedPage, PageWalk
from tsunagu.dcat.parse import DcatReadError, DcatRecord, parse_page

PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix schema: <http://schema.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""

FULL = (
    PREFIXES
    + """
<https://other.example.jp/dataset/aed> a dcat:Dataset ;
    dct:title "AED設置箇所一覧"@ja, "AED locations"@en ;
    dct:description "市内の AED の設置場所です。"@ja ;
    dct:identifier "aed-001" ;
    dct:issued "2023-04-01T00:00:00Z"^^xsd:dateTime ;
    dct:modified "2024-05-01T09:30:00Z"^^xsd:dateTime ;
    dcat:keyword "AED"@ja, "医療（救急）"@ja, "健康/福祉"@ja ;
    dcat:theme <https://other.example.jp/dataset?groups=kenko> ;
    dcat:landingPage <https://city.example.jp/aed.html> ;
    dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/MONTHLY> ;
    dct:spatial <https://other.example.jp/area/352012>,
        <http://data.e-stat.go.jp/lod/sac/C35202-19700401> ;
    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2024-04-01"^^xsd:date ;
                   dcat:endDate "2025-03-31"^^xsd:date ] ;
    dct:conformsTo <https://other.example.jp/api/3/action/quality_standard_show?id=aed> ;
    dct:publisher <https://other.example.jp/organization/abc> ;
    dcat:contactPoint [ a vcard:Organization ; vcard:fn "健康推進課"@ja ;
        vcard:hasEmail <mailto:kenko@city.example.jp> ;
        vcard:hasTelephone <tel:+81-83-231-1111;ext=45> ] ;
    dcat:distribution <https://other.example.jp/dataset/aed#csv>, _:page .

<https://other.example.jp/dataset?groups=kenko> skos:prefLabel "健康"@ja .
<https://other.example.jp/organization/abc> a foaf:Agent ; foaf:name "下関市"@ja ;
    dct:identifier "352012" .

<https://other.example.jp/dataset/aed#csv> a dcat:Distribution ;
    dct:title "AED一覧（CSV）"@ja ;
    dct:description "CSV 形式"@ja ;
    dcat:accessURL <https://files.example.jp/aed.csv> ;
    dcat:downloadURL <https://files.example.jp/aed-download.csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
    dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
    dct:modified "2024-04-30T12:00:00Z"^^xsd:dateTime ;
    dct:license <http://creativecommons.org/licenses/by/4.0/deed.ja> .

_:page a dcat:Distribution ;
    dcat:accessURL <https://city.example.jp/aed.html> ;
    dcat:mediaType "text/html" .
"""
)


def _page(body: str | bytes, **kwargs: Any) -> Any:
    data = body.encode() if isinstance(body, str) else body
    return parse_page(data, url=kwargs.pop("url", "https://other.example.jp/catalog.ttl"), **kwargs)


def _one(body: str, **kwargs: Any) -> DcatRecord:
    page = _page(body, **kwargs)
    assert len(page.records) == 1, page.records
    return page.records[0]


def _extras(package: dict[str, Any]) -> dict[str, str]:
    return {e["key"]: e["value"] for e in package["extras"]}


def test_full_dataset_maps_back_to_tsunagu_fields() -> None:
    record = _one(FULL, content_type="text/turtle")
    assert record.error == ""
    assert record.key == "https://other.example.jp/dataset/aed"
    assert record.modified == "2024-05-01T09:30:00+00:00"  # rdflib normalises xsd:dateTime
    package = record.package
    assert package is not None
    assert package["title"] == "AED設置箇所一覧"  # Japanese preferred to English
    assert package["notes"] == "市内の AED の設置場所です。"
    # Characters a tag cannot hold become spaces; Japanese stays.
    assert sorted(t["name"] for t in package["tags"]) == ["AED", "健康 福祉", "医療 救急"]
    assert package["license_id"] == "cc-by-4.0"  # from the distribution's deed.ja URI
    assert package["frequency"] == "monthly"
    assert package["spatial_codes"] == ["352012", "352021"]  # site URI and e-Stat 標準地域コード
    assert (package["temporal_start"], package["temporal_end"]) == ("2024-04-01", "2025-03-31")
    assert package["standard_id"] == "aed"
    assert package["groups"] == [{"name": "kenko", "title": "健康"}]
    assert package["url"] == "https://city.example.jp/aed.html"
    assert package["contact_name"] == "健康推進課"
    assert package["contact_email"] == "kenko@city.example.jp"
    assert package["contact_phone"] == "083-231-1111 内線45"
    extras = _extras(package)
    assert extras["uri"] == "https://other.example.jp/dataset/aed"
    assert extras["identifier"] == "aed-001"
    assert extras["issued"] == "2023-04-01T00:00:00+00:00"
    assert extras["publisher_name"] == "下関市"
    assert extras["publisher_identifier"] == "352012"
    assert extras["publisher_uri"] == "https://other.example.jp/organization/abc"
    assert "license_original" not in extras
    csv = next(r for r in package["resources"] if r.get("uri", "").endswith("#csv"))
    assert csv == {
        "name": "AED一覧（CSV）",
        "description": "CSV 形式",
        "url": "https://files.example.jp/aed-download.csv",  # downloadURL before accessURL
        "format": "CSV",
        "mimetype": "text/csv",
        "uri": "https://other.example.jp/dataset/aed#csv",
        "last_modified": "2024-04-30T12:00:00+00:00",
    }
    html = next(r for r in package["resources"] if "uri" not in r)
    assert html["url"] == "https://city.example.jp/aed.html"
    assert html["format"] == "HTML" and html["name"] == "aed.html"


def _as(body: str, fmt: str) -> bytes:
    graph = Graph().parse(data=body, format="turtle")
    if fmt == "json-ld":
        return graph.serialize(format="json-ld").encode()
    return graph.serialize(format=fmt, encoding="utf-8")


@pytest.mark.parametrize(
    ("fmt", "content_type", "url"),
    [
        ("xml", "application/rdf+xml", "https://x.example.jp/catalog.rdf"),
        ("json-ld", "application/ld+json", "https://x.example.jp/catalog.jsonld"),
        ("xml", "", "https://x.example.jp/catalog.rdf"),  # by suffix
        ("json-ld", "", "https://x.example.jp/catalog"),  # by the first bytes
        ("xml", "application/octet-stream", "https://x.example.jp/feed"),
    ],
)
def test_rdf_xml_and_json_ld_read_the_same(fmt: str, content_type: str, url: str) -> None:
    reference = _one(FULL, content_type="text/turtle").package
    other = _one(_as(FULL, fmt).decode(), content_type=content_type, url=url).package
    assert other is not None and reference is not None
    assert {k: v for k, v in other.items() if k != "resources"} == {
        k: v for k, v in reference.items() if k != "resources"
    }
    assert sorted(r["url"] for r in other["resources"]) == sorted(
        r["url"] for r in reference["resources"]
    )


# -- paging ---------------------------------------------------------------------------------


def _catalog_page(n: int, next_predicate: str | None, target: str | None, cls: str) -> str:
    paging = ""
    if next_predicate and target:
        paging = f'<https://src.example.jp/catalog.ttl?page={n}> a hydra:{cls} ; hydra:{next_predicate} "{target}" ; hydra:totalItems 6 .'
    return (
        PREFIXES
        + f"""
<https://src.example.jp/dataset/{n}a> a dcat:Dataset ; dct:title "データ {n}a" .
<https://src.example.jp/dataset/{n}b> a dcat:Dataset ; dct:title "データ {n}b" .
{paging}
"""
    )


class Source:
    """Pages served from a dict, counting fetches (no network in these unit tests)."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages
        self.fetched: list[str] = []

    def __call__(self, url: str) -> FetchedPage:
        self.fetched.append(url)
        return FetchedPage(url=url, content=self.pages[url].encode(), content_type="text/turtle")


def _url(n: int) -> str:
    return f"https://src.example.jp/catalog.ttl?page={n}"


@pytest.mark.parametrize(
    ("predicate", "cls"),
    [
        ("next", "PartialCollectionView"),  # current Hydra
        ("nextPage", "PagedCollection"),  # legacy, as older ckanext-dcat and udata write
        ("next", "PagedCollection"),
    ],
)
def test_walks_every_page_in_both_property_names(predicate: str, cls: str) -> None:
    source = Source(
        {
            _url(1): _catalog_page(1, predicate, _url(2), cls),
            _url(2): _catalog_page(2, predicate, "catalog.ttl?page=3", cls),  # relative link
            _url(3): _catalog_page(3, None, None, cls),
        }
    )
    walk = PageWalk(_url(1), source)
    keys = [r.key for page in walk for r in page.records]
    assert len(keys) == 6 and walk.complete and walk.stopped_because == ""
    assert source.fetched == [_url(1), _url(2), _url(3)]


def test_current_name_wins_over_legacy() -> None:
    body = (
        PREFIXES
        + f"""<{_url(1)}> a hydra:PagedCollection ;
            hydra:next "{_url(2)}" ; hydra:nextPage "{_url(9)}" ."""
    )
    assert _page(body).next_url == _url(2)


@pytest.mark.parametrize(
    ("pages", "reason"),
    [
        # A next link pointing to the page itself.
        ({1: 1}, "itself"),
        # A loop back to an earlier page (ckanext-dcat#260).
        ({1: 2, 2: 3, 3: 1}, "loops back"),
    ],
)
def test_loop_guards_stop_the_walk(pages: dict[int, int], reason: str) -> None:
    source = Source(
        {
            _url(n): _catalog_page(n, "next", _url(target), "PagedCollection")
            for n, target in pages.items()
        }
    )
    walk = PageWalk(_url(1), source)
    read = list(walk)
    assert len(read) == len(pages)
    assert not walk.complete and reason in walk.stopped_because
    assert len(source.fetched) == len(pages)  # no page fetched twice


def test_repeated_content_under_new_urls_stops() -> None:
    # Page 2 and 3 answer the same document (a server ignoring ?page=) with ever-new next links.
    same = _catalog_page(2, "next", _url(3), "PagedCollection")
    source = Source(
        {
            _url(1): _catalog_page(1, "next", _url(2), "PagedCollection"),
            _url(2): same,
            _url(3): same,
        }
    )
    walk = PageWalk(_url(1), source)
    assert len(list(walk)) == 2
    assert not walk.complete and "前と同じ" in walk.stopped_because


def test_too_many_pages_stops() -> None:
    source = Source(
        {_url(n): _catalog_page(n, "next", _url(n + 1), "PagedCollection") for n in range(1, 20)}
    )
    walk = PageWalk(_url(1), source, max_pages=5)
    assert len(list(walk)) == 5
    assert not walk.complete and "5" in walk.stopped_because


def test_next_link_must_be_http() -> None:
    source = Source({_url(1): _catalog_page(1, "next", "file:///etc/passwd", "PagedCollection")})
    walk = PageWalk(_url(1), source)
    assert len(list(walk)) == 1
    assert not walk.complete and "http" in walk.stopped_because
    assert source.fetched == [_url(1)]


# -- identity and records ----------------------------------------------------------------


def test_identity_is_the_uri_or_the_identifier_never_the_title() -> None:
    body = (
        PREFIXES
        + """
<https://src.example.jp/dataset/1> a dcat:Dataset ; dct:title "同じ題名" ; dct:identifier "id-1" .
[] a dcat:Dataset ; dct:title "同じ題名" ; dct:identifier "id-2" .
[] a dcat:Dataset ; dct:title "識別子なし" .
"""
    )
    records = {r.key: r for r in _page(body).records}
    assert records["https://src.example.jp/dataset/1"].package is not None
    assert records["id-2"].package is not None
    no_key = records[""]
    assert no_key.package is None and "identifier" in no_key.error


def test_bad_records_are_errors_on_themselves_only() -> None:
    many = " , ".join(f"<https://src.example.jp/d/big#r{i}>" for i in range(30))
    body = (
        PREFIXES
        + f"""
<https://src.example.jp/d/ok> a dcat:Dataset ; dct:title "正常" .
<https://src.example.jp/d/untitled> a dcat:Dataset ; dct:description "題名なし" .
<https://src.example.jp/d/big> a dcat:Dataset ; dct:title "多すぎ" ; dcat:distribution {many} .
"""
    )
    records = {r.key.rsplit("/", 1)[-1]: r for r in _page(body, max_resources=10).records}
    assert records["ok"].package is not None and records["ok"].error == ""
    assert records["untitled"].package is None and "dct:title" in records["untitled"].error
    assert records["big"].package is None and "30" in records["big"].error


def test_duplicate_ids_within_a_page() -> None:
    body = (
        PREFIXES
        + """
[] a dcat:Dataset ; dct:title "一つ目" ; dct:identifier "dup" .
[] a dcat:Dataset ; dct:title "二つ目" ; dct:identifier "dup" .
"""
    )
    records = _page(body).records
    assert [r.key for r in records] == ["dup", "dup"]
    assert sum(1 for r in records if r.package is not None) == 1
    assert sum(1 for r in records if "Duplicate" in r.error) == 1


# -- controlled fields ----------------------------------------------------------------------


def _dataset(extra: str) -> str:
    return PREFIXES + f'<https://s.example.jp/d/1> a dcat:Dataset ; dct:title "t" ; {extra} .'


@pytest.mark.parametrize(
    ("extra", "license_id", "original"),
    [
        ("dct:license <https://creativecommons.org/licenses/by/4.0/>", "cc-by-4.0", None),
        ("dct:license <http://creativecommons.org/licenses/by/4.0>", "cc-by-4.0", None),
        ("dct:license <http://spdx.org/licenses/CC-BY-4.0>", "cc-by-4.0", None),
        (
            "dct:license <http://publications.europa.eu/resource/authority/licence/CC0>",
            "cc0-1.0",
            None,
        ),
        (
            "dct:license <https://www.digital.go.jp/resources/open_data/public_data_license_v1.0>",
            "pdl-1.0",
            None,
        ),
        ('dct:license [ rdfs:label "クリエイティブ・コモンズ 表示 4.0 国際" ]', "cc-by-4.0", None),
        ('dct:license [ dct:title "公共データ利用規約（第1.0版）" ]', "pdl-1.0", None),
        ('dct:rights "CC BY 4.0"', "cc-by-4.0", None),
        # Free text that names no licence we know is kept, not guessed.
        (
            'dct:rights "出典を明記すれば自由に利用できます"',
            "",
            "出典を明記すれば自由に利用できます",
        ),
        ('dct:license [ rdfs:label "CC BY 2.1 JP" ]', "", "CC BY 2.1 JP"),
        ("dct:license <https://example.jp/terms.html>", "", "https://example.jp/terms.html"),
        ('dct:license [ rdfs:label "CC BY-NC 4.0" ]', "", "CC BY-NC 4.0"),
    ],
)
def test_licences(extra: str, license_id: str, original: str | None) -> None:
    package = _one(_dataset(extra)).package
    assert package is not None
    assert package["license_id"] == license_id
    assert _extras(package).get("license_original") == original


@pytest.mark.parametrize(
    ("extra", "code", "original"),
    [
        (
            "dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/ANNUAL>",
            "annual",
            None,
        ),
        (
            "dct:accrualPeriodicity <https://publications.europa.eu/resource/authority/frequency/ANNUAL_2>",
            "semiannual",
            None,
        ),
        ("dct:accrualPeriodicity <http://purl.org/cld/freq/monthly>", "monthly", None),
        ('dct:accrualPeriodicity "毎年度"', "annual", None),
        ('dct:accrualPeriodicity [ skos:prefLabel "随時"@ja ]', "as_needed", None),
        ('dct:accrualPeriodicity "年3回"', "", "年3回"),
        (
            "dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/BIENNIAL>",
            "",
            "http://publications.europa.eu/resource/authority/frequency/BIENNIAL",
        ),
    ],
)
def test_frequencies(extra: str, code: str, original: str | None) -> None:
    package = _one(_dataset(extra)).package
    assert package is not None
    assert package["frequency"] == code
    assert _extras(package).get("frequency_original") == original


@pytest.mark.parametrize(
    ("extra", "codes", "label"),
    [
        ('dct:spatial [ a dct:Location ; dct:identifier "352012" ]', ["352012"], ""),
        ('dct:spatial [ a dct:Location ; dct:identifier "35201" ]', ["352012"], ""),  # 5 digits
        ('dct:spatial [ skos:prefLabel "山口県下関市"@ja ]', ["352012"], ""),
        ('dct:spatial "下関市・宇部市"', ["352012", "352021"], ""),
        ('dct:spatial "下関市彦島地区"', [], "下関市彦島地区"),
        ('dct:spatial [ dct:identifier "999999" ; skos:prefLabel "どこか"@ja ]', [], "どこか"),
    ],
)
def test_places(extra: str, codes: list[str], label: str) -> None:
    package = _one(_dataset(extra)).package
    assert package is not None
    assert package["spatial_codes"] == codes
    assert package["spatial"] == label


@pytest.mark.parametrize(
    ("extra", "start", "end"),
    [
        (
            'dct:temporal [ schema:startDate "2020-01-01" ; schema:endDate "2020-12-31" ]',
            "2020-01-01",
            "2020-12-31",
        ),
        ('dct:temporal "2019/2021"', "2019-01-01", "2021-12-31"),
        ('dct:temporal [ dcat:startDate "2024-04"^^xsd:gYearMonth ]', "2024-04-01", ""),
        (
            'dct:temporal [ dcat:startDate "2022-01-01T00:00:00Z"^^xsd:dateTime ], [ dcat:endDate "2023-02"^^xsd:gYearMonth ]',
            "2022-01-01",
            "2023-02-28",
        ),
        (
            'dct:temporal [ dcat:startDate "2025-01-01" ; dcat:endDate "2024-01-01" ]',
            "2025-01-01",
            "",
        ),
    ],
)
def test_temporal(extra: str, start: str, end: str) -> None:
    package = _one(_dataset(extra)).package
    assert package is not None
    assert (package["temporal_start"], package["temporal_end"]) == (start, end)


def test_contact_values_tsunagu_would_refuse_are_kept_aside() -> None:
    extra = (
        'dcat:contactPoint [ vcard:fn "窓口" ; vcard:hasEmail "not-an-address" ; '
        'vcard:hasTelephone [ vcard:hasValue "tel:12" ] ]'
    )
    package = _one(_dataset(extra)).package
    assert package is not None
    assert package["contact_name"] == "窓口"
    assert "contact_email" not in package and "contact_phone" not in package
    assert _extras(package)["contact_email_original"] == "not-an-address"
    assert _extras(package)["contact_phone_original"] == "12"


def test_standard_by_title_and_unknown_conformance_kept() -> None:
    extra = (
        'dct:conformsTo [ dct:title "自治体標準オープンデータセット 03 指定緊急避難場所"@ja ], '
        "<https://example.jp/spec/other>"
    )
    package = _one(_dataset(extra)).package
    assert package is not None and package["standard_id"] == "evacuation_space"
    other = _one(_dataset("dct:conformsTo <https://example.jp/spec/other>")).package
    assert other is not None and other["standard_id"] == ""
    assert _extras(other)["conforms_to"] == "https://example.jp/spec/other"


def test_japanese_only_text_and_empty_description() -> None:
    body = _dataset('dct:description "t"@ja ; dcat:keyword "ひなんじょ", "ー・ー"')
    package = _one(body).package
    assert package is not None
    assert package["notes"] == ""  # a description repeating the title is no description
    assert [t["name"] for t in package["tags"]] == ["ひなんじょ", "ー・ー"]


# -- bad documents --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (FULL[:-40], "text/turtle", "Malformed Turtle"),
        (
            "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><oops",
            "application/rdf+xml",
            "Malformed RDF/XML",
        ),
        (
            '{"@context": {"dct": "http://purl.org/dc/terms/"}, "@graph": [',
            "application/ld+json",
            "Malformed JSON-LD",
        ),
        ("<!DOCTYPE html><html><body>メンテナンス中</body></html>", "text/html", "HTML"),
        ("<html><body>Login</body></html>", "text/turtle", "HTML"),
        ("", "text/turtle", "Empty"),
    ],
)
def test_unreadable_page_is_one_clear_error(body: str, content_type: str, expected: str) -> None:
    with pytest.raises(DcatReadError) as caught:
        _page(body, content_type=content_type, url="https://bad.example.jp/catalog.x")
    assert expected in str(caught.value)
    assert "https://bad.example.jp/catalog.x" in str(caught.value)


def test_remote_json_ld_context_is_never_fetched_by_rdflib() -> None:
    document = {
        "@context": "https://127.0.0.1:9/never-fetched.jsonld",
        "@id": "https://s.example.jp/d/1",
        "@type": "http://www.w3.org/ns/dcat#Dataset",
    }
    with pytest.raises(DcatReadError) as caught:
        _page(json.dumps(document), content_type="application/ld+json")
    assert "never-fetched" in str(caught.value)
    # Through a loader (the harvester passes the guarded fetcher), it is used.
    asked: list[str] = []

    def loader(url: str) -> dict[str, Any]:
        asked.append(url)
        return {"@context": {"dct": "http://purl.org/dc/terms/", "title": "dct:title"}}

    document["title"] = "文脈つき"
    page = _page(json.dumps(document), content_type="application/ld+json", context_loader=loader)
    assert asked == ["https://127.0.0.1:9/never-fetched.jsonld"]
    assert page.records[0].title == "文脈つき"


def test_xml_external_entities_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "file://{secret}"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="https://s.example.jp/d/1"><dct:title>&xxe;</dct:title></dcat:Dataset>
</rdf:RDF>"""
    try:
        page = _page(body, content_type="application/rdf+xml")
    except DcatReadError:
        return  # refusing the document is as good
    assert all("TOP-SECRET" not in r.title for r in page.records)
