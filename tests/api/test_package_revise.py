"""package_revise, package_resource_reorder, resource_search and format_autocomplete over HTTP
with ckanapi, as clients call them (JSON bodies, and multipart with files)."""

from __future__ import annotations

import io
from typing import Any

import ckanapi
import orjson
import pytest
import requests

from support.live_server import LiveServer

CSV = "名称,人数\n市役所,10\n".encode()


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("pr-admin", sysadmin=True))
    ckan.action.organization_create(name="pr-org", title="改訂の組織")
    return ckan


@pytest.fixture(scope="module")
def editor(server: LiveServer, admin: ckanapi.RemoteCKAN) -> ckanapi.RemoteCKAN:
    token = server.make_user("pr-editor")
    admin.action.organization_member_create(id="pr-org", username="pr-editor", role="editor")
    return server.ckan(token)


_n = iter(range(1, 10_000))


def _dataset(admin: ckanapi.RemoteCKAN, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": f"pr-ds-{next(_n)}",
        "title": "改訂前",
        "notes": "古い説明",
        "owner_org": "pr-org",
        "resources": [
            {"url": "https://example.jp/a.csv", "name": "一"},
            {"url": "https://example.jp/b.csv", "name": "二"},
            {"url": "https://example.jp/c.csv", "name": "三"},
        ],
    }
    values.update(extra)
    return dict(admin.action.package_create(**values))


def test_match_and_update(editor: ckanapi.RemoteCKAN, admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin)
    result = editor.action.package_revise(
        match={"name": ds["name"], "notes": "古い説明"}, update={"notes": "新しい説明"}
    )
    assert result["package"]["notes"] == "新しい説明"
    assert result["package"]["organization"]["name"] == "pr-org"
    assert [r["name"] for r in result["package"]["resources"]] == ["一", "二", "三"]


def test_a_value_that_does_not_match_changes_nothing(admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin)
    with pytest.raises(ckanapi.ValidationError) as error:
        admin.action.package_revise(
            match={"id": ds["id"], "notes": "違う", "resources": [{"name": "一"}, {"name": "x"}]},
            update={"notes": "新しい説明"},
        )
    assert error.value.error_dict["match"] == ["notes", "resources__1__name"]
    assert admin.action.package_show(id=ds["id"])["notes"] == "古い説明"


def test_flattened_keys(admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin)
    second = ds["resources"][1]["id"]
    result = admin.action.package_revise(
        match__name=ds["name"],
        match__resources__0__name="一",
        update__title="改訂後",
        update__resources__extend=[{"url": "https://example.jp/d.csv", "name": "四"}],
        **{f"update__resources__{second[:8]}": {"description": "二番目"}},
        **{"update__resources__-1__description": "最後"},
    )["package"]
    assert result["title"] == "改訂後"
    assert [r["name"] for r in result["resources"]] == ["一", "二", "三", "四"]
    assert result["resources"][1]["description"] == "二番目"
    assert result["resources"][3]["description"] == "最後"


def test_filter_and_include(admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin)
    result = admin.action.package_revise(
        match={"id": ds["id"]},
        filter=["-resources__1"],
        include=["+package__resources", "-package__*"],
    )
    assert list(result) == ["package"] and list(result["package"]) == ["resources"]
    assert [r["name"] for r in result["package"]["resources"]] == ["一", "三"]
    shown = admin.action.package_show(id=ds["id"])
    assert [r["name"] for r in shown["resources"]] == ["一", "三"]
    assert admin.action.package_revise(match={"id": ds["id"]}, include="-*") == {}


def test_a_file_for_a_new_resource_in_multipart(admin: ckanapi.RemoteCKAN) -> None:
    """As ckanapi sends it: every value a string (JSON for dicts and lists) and the file as a
    multipart part named with its flattened key."""
    ds = _dataset(admin)
    result = admin.action.package_revise(
        match=orjson.dumps({"id": ds["id"]}).decode(),
        update__resources__extend=orjson.dumps([{"name": "アップロード"}]).decode(),
        **{"update__resources__-1__upload": ("new.csv", io.BytesIO(CSV))},
    )["package"]
    uploaded = result["resources"][-1]
    assert (uploaded["name"], uploaded["url_type"], uploaded["format"]) == (
        "アップロード",
        "upload",
        "CSV",
    )
    assert requests.get(uploaded["url"], timeout=10).content == CSV


def test_a_file_replacing_an_existing_resource(admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin)
    first = ds["resources"][0]["id"]
    result = admin.action.package_revise(
        match__id=ds["id"],
        **{f"update__resources__{first[:6]}__upload": ("x.csv", io.BytesIO(CSV))},
    )["package"]
    assert result["resources"][0]["id"] == first
    assert result["resources"][0]["url_type"] == "upload"


def test_bad_revisions(admin: ckanapi.RemoteCKAN, server: LiveServer) -> None:
    ds = _dataset(admin)
    with pytest.raises(ckanapi.ValidationError) as missing:
        admin.action.package_revise(update={"title": "x"})
    assert "match__id" in missing.value.error_dict
    with pytest.raises(ckanapi.NotFound):
        admin.action.package_revise(match={"id": "no-such-dataset"}, update={"title": "x"})
    with pytest.raises(ckanapi.ValidationError) as unknown:
        admin.action.package_revise(match__id=ds["id"], update__resources__9__name="x")
    assert "update__resources__9__name" in unknown.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as shape:
        admin.action.package_revise(match__id=ds["id"], update={"resources": {"name": "x"}})
    assert "update" in shape.value.error_dict
    with pytest.raises(ckanapi.ValidationError):
        admin.action.package_revise(match__id=ds["id"], update={"name": "BAD NAME"})
    outsider = server.ckan(server.make_user(f"pr-outsider-{next(_n)}"))
    with pytest.raises(ckanapi.NotAuthorized):
        outsider.action.package_revise(match__id=ds["id"], update__title="x")
    private = _dataset(admin, private=True)
    with pytest.raises(ckanapi.NotFound):
        server.ckan().action.package_revise(match__id=private["id"], update__title="x")
    assert admin.action.package_show(id=ds["id"])["title"] == "改訂前"


def test_resource_reorder(editor: ckanapi.RemoteCKAN, admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin)
    ids = [r["id"] for r in ds["resources"]]
    result = editor.action.package_resource_reorder(id=ds["name"], order=[ids[2]])
    assert result == {"id": ds["name"], "order": [ids[2], ids[0], ids[1]]}
    shown = admin.action.package_show(id=ds["id"])
    assert [r["name"] for r in shown["resources"]] == ["三", "一", "二"]
    with pytest.raises(ckanapi.ValidationError):
        editor.action.package_resource_reorder(id=ds["id"], order=[ids[0], ids[0]])
    with pytest.raises(ckanapi.ValidationError):
        editor.action.package_resource_reorder(id=ds["id"], order=["not-a-resource"])
    with pytest.raises(ckanapi.ValidationError):
        editor.action.package_resource_reorder(id=ds["id"])


def test_resource_search(admin: ckanapi.RemoteCKAN, server: LiveServer) -> None:
    tag = f"検索語{next(_n)}"
    public = _dataset(
        admin,
        resources=[
            {"url": "https://example.jp/x.csv", "name": f"{tag} 人口", "format": "CSV"},
            {"url": "https://example.jp/y.xlsx", "name": f"{tag} 世帯", "format": "XLSX"},
        ],
    )
    private = _dataset(
        admin, private=True, resources=[{"url": "https://example.jp/p.csv", "name": f"{tag} 秘"}]
    )
    deleted = _dataset(admin, resources=[{"url": "https://example.jp/d.csv", "name": f"{tag} 削"}])
    admin.action.package_delete(id=deleted["id"])
    anonymous = server.ckan()
    for caller in (anonymous, admin):  # not even a sysadmin finds private or deleted data
        found = caller.action.resource_search(query=f"name:{tag}", order_by="name")
        assert found["count"] == 2
        assert [r["name"] for r in found["results"]] == [f"{tag} 世帯", f"{tag} 人口"]
        assert {r["package_id"] for r in found["results"]} == {public["id"]}
    both = admin.action.resource_search(query=[f"name:{tag}", "format:xls"])
    assert [r["format"] for r in both["results"]] == ["XLSX"]
    paged = admin.action.resource_search(query=f"name:{tag}", order_by="name", offset=1, limit=1)
    assert paged["count"] == 2 and [r["name"] for r in paged["results"]] == [f"{tag} 人口"]
    # LIKE wildcards in a term are plain text.
    assert admin.action.resource_search(query="name:%")["count"] == 0
    assert private["id"] and deleted["id"]


def test_resource_search_bad_queries(admin: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as missing:
        admin.action.resource_search()
    assert "query" in missing.value.error_dict
    with pytest.raises(ckanapi.ValidationError):
        admin.action.resource_search(query="no colon here")
    with pytest.raises(ckanapi.ValidationError) as unknown:
        admin.action.resource_search(query="storage_key:x")
    assert "not recognised" in str(unknown.value.error_dict["query"])
    with pytest.raises(ckanapi.ValidationError):
        admin.action.resource_search(query="size:big")
    with pytest.raises(ckanapi.ValidationError):
        admin.action.resource_search(query="name:x", limit=-1)


def test_format_autocomplete(admin: ckanapi.RemoteCKAN, server: LiveServer) -> None:
    _dataset(
        admin,
        resources=[
            {"url": "https://example.jp/a.geojson", "name": "a", "format": "GeoJSON"},
            {"url": "https://example.jp/b.geojson", "name": "b", "format": "GeoJSON"},
        ],
    )
    _dataset(
        admin,
        private=True,
        resources=[{"url": "https://example.jp/s.json", "name": "s", "format": "SecretJSON"}],
    )
    found = server.ckan().action.format_autocomplete(q="JSON", limit=10)
    assert "geojson" in found and "secretjson" not in found
    assert all(f == f.lower() for f in found)
    assert server.ckan().action.format_autocomplete(q="geo") == ["geojson"]
    with pytest.raises(ckanapi.ValidationError):
        server.ckan().action.format_autocomplete()
