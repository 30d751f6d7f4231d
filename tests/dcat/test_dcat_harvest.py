"""Harvesting a Tsunagu server's DCAT export from a second Tsunagu over real HTTP, as a DCAT
source (harvest/harvesters/dcat.py): the second catalog is equivalent to the first's public
part, in each syntax and across hydra pages; re-harvests see changes, renames, additions and
deletions; and a bad DCAT source (malformed RDF, HTML, paging that loops, a page that breaks
half way) never loses published data. The harvesting server runs on SQLite and PostgreSQL;
the exporting one on SQLite; the bad sources are static files served on 127.0.0.1."""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import ckanapi
import pytest

from support.harvest import extras_of, harvest, harvesting_server
from support.live_server import LiveServer

_serial = itertools.count(1)
FIELDS = (
    "name",
    "title",
    "notes",
    "license_id",
    "url",
    "version",
    "frequency",
    "spatial_codes",
    "temporal_start",
    "temporal_end",
    "contact_name",
    "contact_email",
    "contact_phone",
    "standard_id",
)


@pytest.fixture(scope="module")
def remote(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The exporting Tsunagu: a prefecture and a city, public datasets, a private one, a draft."""
    live = LiveServer(data_dir=tmp_path_factory.mktemp(f"dcat-remote-{backend}")).start()
    live.act(
        "organization_create",
        {"name": "pref", "title": "山口県", "kind": "prefecture", "local_gov_code": "350001"},
    )
    live.act(
        "organization_create",
        {"name": "city", "title": "下関市", "kind": "municipality", "local_gov_code": "352012"},
    )
    live.act("group_create", {"name": "bousai", "title": "防災"})
    live.act(
        "package_create",
        {
            "name": "evacuation",
            "title": "指定緊急避難場所一覧",
            "notes": "下関市の**指定緊急避難場所**です。",
            "owner_org": "city",
            "license_id": "cc-by-4.0",
            "frequency": "monthly",
            "spatial_codes": ["352012"],
            "temporal_start": "2024-04-01",
            "temporal_end": "2025-03-31",
            "contact_name": "防災危機管理課",
            "contact_email": "bousai@city.example.jp",
            "contact_phone": "083-231-1111 内線123",
            "standard_id": "evacuation_space",
            "url": "https://www.city.shimonoseki.example.jp/bousai/",
            "version": "第2版",
            "tags": ["防災", "避難場所"],
            "groups": [{"name": "bousai"}],
            "resources": [
                {
                    "name": "一覧（CSV）",
                    "description": "UTF-8",
                    "url": "https://files.example.jp/352012_evacuation_space.csv",
                    "format": "CSV",
                },
                {"name": "説明", "url": "https://www.city.example.jp/list.html", "format": "HTML"},
            ],
        },
    )
    live.act(
        "package_create", {"name": "bare", "title": "ファイルのないデータ", "owner_org": "pref"}
    )
    live.act(
        "package_create",
        {
            "name": "pdl-data",
            "title": "公共データ利用規約のデータ",
            "notes": "県の統計",
            "owner_org": "pref",
            "license_id": "pdl-1.0",
            "frequency": "annual",
            "spatial_codes": ["350001", "352021"],
            "resources": [
                {"name": "表", "url": "https://files.example.jp/t.xlsx", "format": "XLSX"}
            ],
        },
    )
    for n in range(4):
        live.act(
            "package_create",
            {
                "name": f"stat-{n}",
                "title": f"統計表 その{n}",
                "owner_org": "pref",
                "tags": ["統計"],
            },
        )
    live.act(
        "package_create",
        {"name": "secret", "title": "非公開のデータ", "owner_org": "city", "private": True},
    )
    live.act(
        "package_create",
        {"name": "drafted", "title": "下書きのデータ", "owner_org": "city", "state": "draft"},
    )
    yield live
    live.stop()


@pytest.fixture(scope="module")
def local(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = harvesting_server(backend, tmp_path_factory.mktemp(f"dcat-local-{backend}"))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin(local: LiveServer) -> ckanapi.RemoteCKAN:
    return local.ckan(local.make_user("dcat-harvest-admin", sysadmin=True))


def dcat_source(admin: ckanapi.RemoteCKAN, url: str, **config: Any) -> tuple[str, str]:
    """A new organisation here and a DCAT source filling it; (source name, organisation)."""
    n = next(_serial)
    owner = f"harvested-{n}"
    admin.action.organization_create(name=owner, title="収集先")
    name = f"dcat-src-{n}"
    admin.action.harvest_source_create(
        name=name,
        title="山口県オープンデータ（DCAT）",
        url=url,
        source_type="dcat",
        owner_org=owner,
        config={"withdraw_after_days": 0, "id_check_hours": 0, **config},
    )
    return name, owner


@pytest.fixture
def remote_source(admin: ckanapi.RemoteCKAN) -> Iterator[Callable[..., tuple[str, str]]]:
    """dcat_source for a test harvesting the remote: what its sources harvested is purged after
    it. A copy takes the remote dataset's name only while no dataset here holds that name, and
    the test of an equivalent catalog checks the names."""
    owners: list[str] = []

    def make(url: str, **config: Any) -> tuple[str, str]:
        source, owner = dcat_source(admin, url, **config)
        owners.append(owner)
        return source, owner

    yield make
    for owner in owners:
        found = admin.action.package_search(
            fq=f"organization:{owner}", rows=1000, include_private=True, include_drafts=True
        )["results"]
        for package in found:
            admin.action.dataset_purge(id=package["id"])


def by_uri(admin: ckanapi.RemoteCKAN, owner: str) -> dict[str, dict[str, Any]]:
    found = admin.action.package_search(
        fq=f"organization:{owner}", rows=1000, include_private=True
    )["results"]
    return {extras_of(p)["uri"]: p for p in found}


def public_remote(remote: LiveServer) -> dict[str, dict[str, Any]]:
    found = remote.ckan().action.package_search(rows=1000)["results"]
    return {f"{remote.url}/dataset/{p['id']}": p for p in found}


def _files(package: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(r["name"], r["description"], r["url"], r["format"]) for r in package["resources"]]


def test_harvesting_the_export_gives_an_equivalent_catalog(
    remote: LiveServer,
    local: LiveServer,
    admin: ckanapi.RemoteCKAN,
    remote_source: Callable[..., tuple[str, str]],
) -> None:
    # Three datasets a page: the harvester follows hydra:next through every page.
    source, owner = remote_source(f"{remote.url}/catalog.ttl?per_page=3")
    job = harvest(admin, source)
    expected = public_remote(remote)
    assert len(expected) == 7
    assert job["job_status"] == "complete", job
    assert job["errors"] == []
    assert job["listed"] is True
    assert job["counts"] == {"added": 7, "updated": 0, "unchanged": 0, "withdrawn": 0, "errored": 0}
    found = by_uri(admin, owner)
    assert set(found) == set(expected)
    for uri, original in expected.items():
        copy = found[uri]
        for field in FIELDS:
            assert copy[field] == original[field], (original["name"], field)
        assert sorted(t["name"] for t in copy["tags"]) == sorted(
            t["name"] for t in original["tags"]
        )
        assert _files(copy) == _files(original)
        assert copy["organization"]["name"] == owner
        extras = extras_of(copy)
        assert extras["harvest_original_url"] == uri
        assert extras["identifier"] == original["id"]
        assert extras["publisher_name"] == original["organization"]["title"]
    assert "非公開のデータ" not in {p["title"] for p in found.values()}
    assert "下書きのデータ" not in {p["title"] for p in found.values()}
    evacuation = found[next(u for u, p in expected.items() if p["name"] == "evacuation")]
    assert extras_of(evacuation)["publisher_identifier"] == "352012"
    assert evacuation["contact_phone"] == "083-231-1111 内線123"


@pytest.mark.parametrize("suffix", ["rdf", "jsonld"])
def test_rdf_xml_and_json_ld_exports_harvest_alike(
    remote: LiveServer,
    admin: ckanapi.RemoteCKAN,
    remote_source: Callable[..., tuple[str, str]],
    suffix: str,
) -> None:
    source, owner = remote_source(f"{remote.url}/catalog.{suffix}?per_page=4")
    job = harvest(admin, source)
    assert job["job_status"] == "complete" and job["errors"] == []
    assert job["counts"]["added"] == 7
    found = by_uri(admin, owner)
    for uri, original in public_remote(remote).items():
        assert found[uri]["title"] == original["title"]
        assert found[uri]["spatial_codes"] == original["spatial_codes"]
        assert _files(found[uri]) == _files(original)


def test_reharvests_follow_changes_renames_additions_and_deletions(
    remote: LiveServer, admin: ckanapi.RemoteCKAN, remote_source: Callable[..., tuple[str, str]]
) -> None:
    source, owner = remote_source(f"{remote.url}/catalog.ttl?per_page=2")
    harvest(admin, source)
    before = by_uri(admin, owner)
    again = harvest(admin, source)
    assert again["counts"]["added"] + again["counts"]["updated"] == 0
    assert again["counts"]["unchanged"] == 7

    remote.act("package_patch", {"id": "stat-0", "title": "統計表 その0（改訂）"})
    remote.act("package_patch", {"id": "stat-1", "name": "stat-one"})
    made = remote.act(
        "package_create", {"name": "aed", "title": "AED設置場所", "owner_org": "city"}
    )
    gone = remote.act("package_show", {"id": "stat-2"})
    remote.act("package_delete", {"id": "stat-2"})
    job = harvest(admin, source)
    assert job["job_status"] == "complete" and job["errors"] == []
    assert job["counts"]["added"] == 1 and job["counts"]["updated"] == 2
    assert job["counts"]["withdrawn"] == 1
    after = by_uri(admin, owner)
    stat0 = remote.act("package_show", {"id": "stat-0"})
    changed = after[f"{remote.url}/dataset/{stat0['id']}"]
    assert changed["title"] == "統計表 その0（改訂）"
    assert changed["id"] == before[f"{remote.url}/dataset/{stat0['id']}"]["id"]
    # Renamed at the source: the same dataset here (identity is the URI, not the name).
    stat1 = remote.act("package_show", {"id": "stat-one"})
    assert (
        after[f"{remote.url}/dataset/{stat1['id']}"]["id"]
        == before[f"{remote.url}/dataset/{stat1['id']}"]["id"]
    )
    assert after[f"{remote.url}/dataset/{made['id']}"]["title"] == "AED設置場所"
    withdrawn = after[f"{remote.url}/dataset/{gone['id']}"]
    assert withdrawn["private"] is True and withdrawn["state"] == "active"  # not deleted


def test_incremental_harvest_asks_for_changes_only(
    remote: LiveServer, admin: ckanapi.RemoteCKAN, remote_source: Callable[..., tuple[str, str]]
) -> None:
    source, owner = remote_source(
        f"{remote.url}/catalog.ttl?per_page=5", modified_since=True, id_check_hours=24
    )
    first = harvest(admin, source)
    assert first["mode"] == "full" and first["listed"] is True
    count = first["counts"]["added"]
    job = harvest(admin, source)
    # Asked with modified_since (the last good start minus an hour, so here everything again);
    # an incremental walk lists nothing, so nothing can be withdrawn by it.
    assert job["mode"] == "incremental" and job["listed"] is False
    assert job["counts"]["unchanged"] == count and job["errors"] == []
    assert len(by_uri(admin, owner)) == count


# -- bad sources ----------------------------------------------------------------------------

PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
"""


class _Quiet(SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".ttl": "text/turtle",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A static file server on 127.0.0.1: (its folder, its URL)."""
    folder = tmp_path_factory.mktemp("dcat-files")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _page(base: str, stem: str, n: int, next_n: int | None) -> str:
    datasets = "\n".join(
        f'<https://src.example.jp/{stem}/{n}-{i}> a dcat:Dataset ; dct:title "{stem} {n}-{i}" .'
        for i in range(2)
    )
    paging = ""
    if next_n is not None:
        paging = (
            f"<{base}/{stem}-{n}.ttl> a hydra:PagedCollection ; "
            f'hydra:next "{base}/{stem}-{next_n}.ttl" ; hydra:nextPage "{base}/{stem}-{next_n}.ttl" .'
        )
    return PREFIXES + datasets + "\n" + paging


def test_malformed_first_page_fails_the_job_and_keeps_what_was_published(
    files: tuple[Path, str], admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    (folder / "good.ttl").write_text(_page(base, "good", 1, None))
    source, owner = dcat_source(admin, f"{base}/good.ttl")
    assert harvest(admin, source)["counts"]["added"] == 2
    (folder / "good.ttl").write_text(
        PREFIXES + "<https://src.example.jp/x> a dcat:Dataset ; dct:title "
    )
    job = harvest(admin, source)
    assert job["job_status"] == "error"
    assert "Malformed Turtle" in job["message"] and f"{base}/good.ttl" in job["message"]
    assert job["counts"]["withdrawn"] == 0
    assert all(p["private"] is False for p in by_uri(admin, owner).values())


def test_html_instead_of_rdf(files: tuple[Path, str], admin: ckanapi.RemoteCKAN) -> None:
    folder, base = files
    (folder / "portal.html").write_text("<!DOCTYPE html><html><body>メンテナンス中</body></html>")
    source, _ = dcat_source(admin, f"{base}/portal.html")
    job = harvest(admin, source)
    assert job["job_status"] == "error" and "HTML" in job["message"]


def test_paging_that_loops_back_stops_and_withdraws_nothing(
    files: tuple[Path, str], admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    for n, following in ((1, 2), (2, 3), (3, 1)):
        (folder / f"loop-{n}.ttl").write_text(_page(base, "loop", n, following))
    source, owner = dcat_source(admin, f"{base}/loop-1.ttl")
    job = harvest(admin, source)
    assert job["job_status"] == "complete"
    assert job["counts"]["added"] == 6 and job["listed"] is False
    assert any("loops back" in e["message"] for e in job["errors"])
    # Next time page 3 is gone from the loop's end: still nothing withdrawn, since the walk
    # is incomplete whenever it is stopped.
    (folder / "loop-2.ttl").write_text(_page(base, "loop", 2, 2))
    again = harvest(admin, source)
    assert again["counts"]["withdrawn"] == 0
    assert any("itself" in e["message"] for e in again["errors"])
    assert len(by_uri(admin, owner)) == 6


def test_a_page_breaking_half_way_keeps_the_pages_before(
    files: tuple[Path, str], admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    (folder / "half-1.ttl").write_text(_page(base, "half", 1, 2))
    (folder / "half-2.ttl").write_text("<rdf:RDF><broken")
    source, owner = dcat_source(admin, f"{base}/half-1.ttl")
    job = harvest(admin, source)
    assert job["job_status"] == "complete" and job["listed"] is False
    assert job["counts"]["added"] == 2
    assert any("2 ページ目" in e["message"] and "half-2.ttl" in e["message"] for e in job["errors"])
    assert len(by_uri(admin, owner)) == 2


def test_bad_records_are_errors_on_those_records(
    files: tuple[Path, str], admin: ckanapi.RemoteCKAN
) -> None:
    folder, base = files
    many = ", ".join(f"<https://src.example.jp/big#r{i}>" for i in range(1001))
    (folder / "records.ttl").write_text(
        PREFIXES
        + """
<https://src.example.jp/ok> a dcat:Dataset ; dct:title "正常なデータ" ;
    dct:rights "出典を明記すれば自由に利用できます" .
<https://src.example.jp/untitled> a dcat:Dataset .
[] a dcat:Dataset ; dct:title "識別子なし" .
"""
        + f'<https://src.example.jp/big> a dcat:Dataset ; dct:title "多すぎ" ; dcat:distribution {many} .\n'
    )
    source, owner = dcat_source(admin, f"{base}/records.ttl")
    job = harvest(admin, source)
    assert job["job_status"] == "complete"
    assert job["counts"]["added"] == 1 and job["counts"]["errored"] == 3
    messages = " ".join(e["message"] for e in job["errors"])
    assert "dct:title" in messages and "1001" in messages and "identifier" in messages
    made = by_uri(admin, owner)["https://src.example.jp/ok"]
    # A free-text licence is kept as the source wrote it, not guessed.
    assert made["license_id"] == ""
    assert extras_of(made)["harvest_license"] == "出典を明記すれば自由に利用できます"


def test_config_is_checked(admin: ckanapi.RemoteCKAN) -> None:
    admin.action.organization_create(name="dcat-config-org", title="設定")
    with pytest.raises(ckanapi.ValidationError) as caught:
        admin.action.harvest_source_create(
            name="dcat-bad-config",
            url="https://example.jp/catalog.ttl",
            source_type="dcat",
            owner_org="dcat-config-org",
            config={"rdf_format": "yaml", "max_pages": 0, "modified_since": "yes", "other": 1},
        )
    expected = {f"config.{key}" for key in ("rdf_format", "max_pages", "modified_since", "other")}
    assert expected <= set(caught.value.error_dict)
