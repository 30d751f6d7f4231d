"""sitemap.xml (a sitemap index, paged for large catalogs) and robots.txt over HTTP, on SQLite
and PostgreSQL: public datasets and organisation pages only, lastmod from metadata_modified,
staff and account pages kept out of crawlers' way."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from support.live_server import LiveServer
from support.portal import Visitor
from tsunagu.web.views import sitemap

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(scope="module")
def site(server: LiveServer) -> dict[str, Any]:
    token = server.make_user("sitemap-admin", sysadmin=True)
    ckan = server.ckan(token)
    ckan.action.organization_create(
        name="sm-pref", title="山口県", kind="prefecture", local_gov_code="350001"
    )
    ckan.action.organization_create(
        name="sm-city", title="下関市", kind="municipality", local_gov_code="352012"
    )
    public = [
        ckan.action.package_create(name=f"sm-open-{n}", title=f"公開 {n}", owner_org="sm-pref")
        for n in range(7)
    ]
    ckan.action.package_create(name="sm-private", title="非公開", owner_org="sm-city", private=True)
    ckan.action.package_create(name="sm-draft", title="下書き", owner_org="sm-city", state="draft")
    ckan.action.package_create(name="sm-deleted", title="削除", owner_org="sm-city")
    ckan.action.package_delete(id="sm-deleted")
    return {"token": token, "public": public}


def _xml(response: requests.Response) -> ET.Element:
    assert response.status_code == 200, response.text[:200]
    assert response.headers["content-type"].startswith("application/xml")
    return ET.fromstring(response.content)


def _get(server: LiveServer, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(server.url + path, timeout=30, **kwargs)


def _locs(root: ET.Element, tag: str) -> list[str]:
    return [e.text or "" for e in root.findall(f"s:{tag}/s:loc", NS)]


def test_robots_txt(server: LiveServer) -> None:
    response = _get(server, "/robots.txt")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "User-agent: *" in lines
    assert {"Disallow: /staff", "Disallow: /user", "Allow: /"} <= set(lines)
    assert f"Sitemap: {server.url}/sitemap.xml" in lines
    assert not any(line == "Disallow: /dataset" or line == "Disallow: /" for line in lines)


def test_sitemap_index_lists_public_datasets_with_lastmod(
    server: LiveServer, site: dict[str, Any]
) -> None:
    index = _xml(_get(server, "/sitemap.xml"))
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    files = _locs(index, "sitemap")
    assert files == [
        f"{server.url}/sitemap-organizations.xml",
        f"{server.url}/sitemap-datasets-1.xml",
    ]
    urlset = _xml(requests.get(files[1], timeout=30))
    entries = {
        u.findtext("s:loc", namespaces=NS): u.findtext("s:lastmod", namespaces=NS)
        for u in urlset.findall("s:url", NS)
    }
    expected = {f"{server.url}/dataset/{p['name']}": p for p in site["public"]}
    assert expected.keys() <= entries.keys()
    for loc, package in expected.items():
        stated = datetime.fromisoformat(str(entries[loc]))
        stored = datetime.fromisoformat(package["metadata_modified"]).replace(tzinfo=UTC)
        assert stated == stored.replace(microsecond=0)
    assert not [
        loc for loc in entries if loc.rsplit("/", 1)[-1] in ("sm-private", "sm-draft", "sm-deleted")
    ]


def test_private_datasets_stay_out_for_staff_too(server: LiveServer, site: dict[str, Any]) -> None:
    visitor = Visitor(server.url)
    visitor.sign_in("sitemap-admin", "pw-sitemap-admin-0000")
    assert visitor.signed_in()
    page = visitor.get("/sitemap-datasets-1.xml", headers={"Authorization": site["token"]})
    assert "sm-private" not in page.text and "sm-draft" not in page.text


def test_organisation_pages(server: LiveServer, site: dict[str, Any]) -> None:
    urlset = _xml(_get(server, "/sitemap-organizations.xml"))
    locs = _locs(urlset, "url")
    assert locs[0] == f"{server.url}/organization"
    assert {f"{server.url}/organization/sm-pref", f"{server.url}/organization/sm-city"} <= set(locs)


def test_large_catalogs_are_split_into_files(
    server: LiveServer, site: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sitemap, "DATASETS_PER_FILE", 3)
    total = server.ckan().action.package_search(rows=0)["count"]
    files = _locs(_xml(_get(server, "/sitemap.xml")), "sitemap")[1:]
    assert len(files) == -(-total // 3)
    seen: list[str] = []
    for url in files:
        locs = _locs(_xml(requests.get(url, timeout=30)), "url")
        assert 1 <= len(locs) <= 3
        seen += locs
    assert len(seen) == len(set(seen)) == total
    for path in (
        f"/sitemap-datasets-{len(files) + 1}.xml",
        "/sitemap-datasets-0.xml",
        "/sitemap-datasets-x.xml",
    ):
        assert _get(server, path).status_code == 404
