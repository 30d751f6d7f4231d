"""What search.ckan.jp's crawler (NII-CPS-Center/xckan, xckan/model/site.py) calls, sent exactly
as it sends them (urllib, the same query strings), on SQLite and PostgreSQL:

1. ``package_list`` with no parameters: the complete list of public dataset names, un-paged;
2. ``package_show?id=`` with a name (as the crawler does) or an id;
3. ``package_search`` with ``fq=(metadata_modified:["<since>" TO *] OR
   metadata_created:["<since>" TO *])``, ``rows=100`` and ``start`` moved by what it has read,
   until ``count``;

and ``metadata_modified`` kept truthful: a resource change moves it, a page view, a download, a
follow, a datastore load or a quality check does not."""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from typing import Any

import ckanapi
import pytest
import requests

from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.usage.counters import flush


def crawler_get(server: LiveServer, action: str, query: str = "") -> Any:
    """As Site.get_* do: urlopen(get_api() + action [+ '?' + query], timeout=10)."""
    url = f"{server.url}/api/3/action/{action}" + (f"?{query}" if query else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
    return json.loads(body.decode("utf-8"))


def crawler_updated(server: LiveServer, from_str: str, rows: int = 100) -> dict[str, Any]:
    """Site.get_updated_package_list: page until count, start = len(results)."""
    start, count = 0, None
    results: list[dict[str, Any]] = []
    result: dict[str, Any] = {}
    while count is None or start < count:
        query = {
            "fq": (
                f'(metadata_modified:["{from_str}" TO *] OR metadata_created:["{from_str}" TO *])'
            ),
            "start": start,
            "rows": rows,
        }
        result = crawler_get(server, "package_search", urllib.parse.urlencode(query))
        assert result["success"] is True
        results += result["result"]["results"]
        start = len(results)
        count = result["result"]["count"]
        if not result["result"]["results"]:
            break
    result["result"]["results"] = results
    return result


@pytest.fixture(scope="module")
def ckan(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("crawl-admin", sysadmin=True))
    ckan.action.organization_create(name="crawl-city", title="下関市")
    return ckan


def _create(ckan: ckanapi.RemoteCKAN, name: str, **fields: Any) -> dict[str, Any]:
    return ckan.action.package_create(
        name=name, title=fields.pop("title", "データ"), owner_org="crawl-city", **fields
    )


def _pause() -> None:
    # The crawler states times to the second: changes a second apart are told apart.
    time.sleep(1.1)


def test_package_list_is_complete_and_unpaged(server: LiveServer, ckan: ckanapi.RemoteCKAN) -> None:
    for n in range(150):
        server.act(
            "package_create",
            {"name": f"crawl-bulk-{n:03d}", "title": f"一覧 {n}", "owner_org": "crawl-city"},
        )
    _create(ckan, "crawl-hidden", private=True)
    _create(ckan, "crawl-draft", state="draft")
    gone = _create(ckan, "crawl-gone")
    ckan.action.package_delete(id=gone["id"])
    answer = crawler_get(server, "package_list")
    assert answer["success"] is True
    names = answer["result"]
    public = ckan.action.package_search(rows=1000)["results"]
    assert sorted(names) == sorted(p["name"] for p in public)
    assert len(names) >= 150 and names == sorted(names)
    assert not {"crawl-hidden", "crawl-draft", "crawl-gone"} & set(names)
    # Paging is the caller's choice, as in CKAN, where a limit of 0 means none.
    assert crawler_get(server, "package_list", "limit=0")["result"] == names
    assert crawler_get(server, "package_list", "limit=2&offset=1")["result"] == names[1:3]


def test_package_show_by_name_and_by_id(server: LiveServer, ckan: ckanapi.RemoteCKAN) -> None:
    made = _create(ckan, "crawl-show", title="指定緊急避難場所")
    for ref in (made["name"], made["id"]):
        answer = crawler_get(server, "package_show", "id=" + urllib.parse.quote(ref))
        metadata = answer["result"]
        # CkanMetadata.is_compatible: id (a string), name and title.
        assert isinstance(metadata["id"], str)
        assert (metadata["name"], metadata["title"]) == ("crawl-show", "指定緊急避難場所")
        assert metadata["metadata_modified"] == made["metadata_modified"]
    hidden = _create(ckan, "crawl-show-hidden", private=True)
    with pytest.raises(urllib.error.HTTPError) as caught:
        crawler_get(server, "package_show", "id=" + hidden["id"])
    assert caught.value.code in (403, 404)


def _since_forms(moment: datetime) -> dict[str, str]:
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return {
        "crawler": naive.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "no Z": naive.strftime("%Y-%m-%dT%H:%M:%S"),
        "fraction Z": naive.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "fraction": naive.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "milliseconds Z": naive.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{naive.microsecond // 1000:03d}Z",
    }


def test_differential_search_as_the_crawler_sends_it(
    server: LiveServer, ckan: ckanapi.RemoteCKAN
) -> None:
    old = _create(ckan, "crawl-old", title="古いデータ")
    changed = _create(ckan, "crawl-changed", title="あとで変わるデータ")
    _pause()
    since = datetime.now(UTC)
    _pause()
    ckan.action.package_patch(id=changed["id"], notes="更新しました")
    new = [_create(ckan, f"crawl-new-{n}", title=f"新しいデータ {n}") for n in range(3)]
    _create(ckan, "crawl-new-private", private=True)
    expected = {changed["name"], *(p["name"] for p in new)}
    for form, from_str in _since_forms(since).items():
        answer = crawler_updated(server, from_str)
        names = {p["name"] for p in answer["result"]["results"]}
        assert names == expected, form
        assert answer["result"]["count"] == len(expected)
        assert old["name"] not in names
    # A day's worth (the crawler's default) pages by 100 until count, with no duplicates.
    day = (datetime.now(UTC).replace(tzinfo=None)).strftime("%Y-%m-%dT00:00:00Z")
    everything = crawler_updated(server, day, rows=7)
    names = [p["name"] for p in everything["result"]["results"]]
    assert len(names) == len(set(names)) == everything["result"]["count"]
    assert len(names) >= 150


def test_fq_on_created_alone_and_quoted_or_not(
    server: LiveServer, ckan: ckanapi.RemoteCKAN
) -> None:
    _pause()
    since = datetime.now(UTC).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%SZ")
    _pause()
    made = _create(ckan, "crawl-created")
    for fq in (
        f'metadata_created:["{since}" TO *]',
        f"metadata_created:[{since} TO *]",
        f'metadata_modified:["{since}" TO *] OR metadata_created:["{since}" TO *]',
    ):
        query = urllib.parse.urlencode({"fq": fq, "rows": 100, "start": 0})
        found = crawler_get(server, "package_search", query)["result"]
        assert [p["name"] for p in found["results"]] == [made["name"]], fq


# -- metadata_modified stays truthful -----------------------------------------------------


def _modified(ckan: ckanapi.RemoteCKAN, name: str) -> str:
    return str(ckan.action.package_show(id=name)["metadata_modified"])


def test_reads_checks_and_loads_leave_metadata_modified_alone(
    server: LiveServer, ckan: ckanapi.RemoteCKAN
) -> None:
    made = _create(ckan, "crawl-truthful", title="避難所一覧")
    resource = ckan.action.resource_create(
        package_id=made["id"],
        name="一覧",
        upload=("hinanjo.csv", io.BytesIO("名称,定員\n中央公民館,120\n北公民館,80\n".encode())),
    )
    before = _modified(ckan, made["name"])
    # The datastore load and the quality check after it change what package_show says
    # (datastore_active, the quality summary) but not the dataset's metadata.
    wait_until(
        lambda: ckan.action.resource_show(id=resource["id"]),
        "the upload to be loaded and checked",
        until=lambda r: r.get("datastore_active") and (r.get("quality") or {}).get("checked"),
        timeout=60,
    )
    assert _modified(ckan, made["name"]) == before
    ckan.action.resource_validation_run(id=resource["id"])
    assert _modified(ckan, made["name"]) == before
    # Page views and downloads are counted, not changes.
    assert requests.get(f"{server.url}/dataset/{made['name']}", timeout=30).status_code == 200
    shown = ckan.action.resource_show(id=resource["id"])
    assert requests.get(shown["url"], timeout=30).status_code == 200
    flush(server.services.sessions)
    assert _modified(ckan, made["name"]) == before
    ckan.action.follow_dataset(id=made["id"])
    assert _modified(ckan, made["name"]) == before
    # Nor is the DCAT export, read by harvesters.
    requests.get(f"{server.url}/dataset/{made['name']}.ttl", timeout=30)
    assert _modified(ckan, made["name"]) == before


@pytest.mark.parametrize("change", ["resource_patch", "resource_create", "resource_delete"])
def test_a_resource_change_moves_metadata_modified(
    server: LiveServer, ckan: ckanapi.RemoteCKAN, change: str
) -> None:
    made = _create(
        ckan,
        f"crawl-res-{change.replace('_', '-')}",
        resources=[{"name": "表", "url": "https://files.example.jp/a.csv", "format": "CSV"}],
    )
    first = made["resources"][0]["id"]
    _pause()
    since = datetime.now(UTC).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%SZ")
    if change == "resource_patch":
        ckan.action.resource_patch(id=first, description="列を追加しました")
    elif change == "resource_create":
        ckan.action.resource_create(
            package_id=made["id"], name="追加", url="https://files.example.jp/b.csv"
        )
    else:
        ckan.action.resource_delete(id=first)
    after = _modified(ckan, made["name"])
    assert after > made["metadata_modified"]
    # And the crawler's next differential pass picks the dataset up.
    names = {p["name"] for p in crawler_updated(server, since)["result"]["results"]}
    assert made["name"] in names
