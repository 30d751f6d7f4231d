"""Dataset lifecycle through the unmodified ckanapi client, on SQLite and PostgreSQL."""

from __future__ import annotations

import ckanapi
import pytest

from support.live_server import LiveServer


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("pkg-admin", sysadmin=True))
    ckan.action.organization_create(
        name="shimonoseki-city", title="下関市", kind="municipality", local_gov_code="352012"
    )
    ckan.action.group_create(name="bousai", title="防災")
    ckan.action.group_create(name="kosodate", title="子育て")
    return ckan


def _create(ckan: ckanapi.RemoteCKAN, name: str, **fields: object) -> dict:
    data = {
        "name": name,
        "title": "指定緊急避難場所一覧",
        "owner_org": "shimonoseki-city",
        "license_id": "cc-by-4.0",
        **fields,
    }
    return ckan.action.package_create(**data)


def test_create_returns_ckan_shaped_package(admin: ckanapi.RemoteCKAN) -> None:
    pkg = _create(
        admin,
        "evac-1",
        notes="市内の**指定緊急避難場所**です。",
        tags=[{"name": "防災"}, {"name": "避難所"}],
        groups=[{"name": "bousai"}],
        extras=[{"key": "standard", "value": "03"}],
        frequency="年1回",
        spatial="山口県下関市",
        temporal_start="2024-04-01",
        resources=[{"url": "https://example.jp/a.csv", "name": "一覧"}],
    )
    assert pkg["name"] == "evac-1"
    assert pkg["organization"]["name"] == "shimonoseki-city"
    assert pkg["organization"]["local_gov_code"] == "352012"
    assert {t["name"] for t in pkg["tags"]} == {"防災", "避難所"}
    assert [g["name"] for g in pkg["groups"]] == ["bousai"]
    assert pkg["extras"] == [{"key": "standard", "value": "03"}]
    assert pkg["license_title"].startswith("クリエイティブ・コモンズ")
    assert pkg["isopen"] is True
    assert pkg["num_resources"] == 1
    assert pkg["resources"][0]["format"] == "CSV"
    assert pkg["resources"][0]["package_id"] == pkg["id"]
    # 年1回 is read as the controlled code (catalog/metadata/frequency.py).
    assert (pkg["frequency"], pkg["frequency_label"]) == ("annual", "毎年")
    assert pkg["spatial_codes"] == ["352012"]
    assert pkg["metadata_created"] and pkg["metadata_modified"]
    shown = admin.action.package_show(id=pkg["id"])
    assert shown == admin.action.package_show(id="evac-1")
    assert shown["title"] == pkg["title"]


def test_update_replaces_metadata_but_keeps_omitted_resources(admin: ckanapi.RemoteCKAN) -> None:
    pkg = _create(
        admin,
        "evac-2",
        notes="古い説明",
        tags=[{"name": "防災"}],
        resources=[{"url": "https://example.jp/b.csv"}],
    )
    updated = admin.action.package_update(
        id=pkg["id"], name="evac-2", title="新しい題名", owner_org="shimonoseki-city"
    )
    assert updated["title"] == "新しい題名"
    assert updated["notes"] == ""
    assert updated["num_resources"] == 1
    assert [t["name"] for t in updated["tags"]] == ["防災"]


def test_update_with_resources_list_replaces_them(admin: ckanapi.RemoteCKAN) -> None:
    pkg = _create(
        admin,
        "evac-3",
        resources=[{"url": "https://example.jp/1.csv"}, {"url": "https://example.jp/2.csv"}],
    )
    keep = pkg["resources"][1]
    updated = admin.action.package_update(**{**pkg, "resources": [keep]})
    assert [r["id"] for r in updated["resources"]] == [keep["id"]]
    assert updated["resources"][0]["position"] == 0


def test_patch_changes_only_given_fields(admin: ckanapi.RemoteCKAN) -> None:
    pkg = _create(admin, "evac-4", notes="説明", tags=[{"name": "防災"}])
    patched = admin.action.package_patch(id="evac-4", notes="更新した説明")
    assert patched["notes"] == "更新した説明"
    assert patched["title"] == pkg["title"]
    assert [t["name"] for t in patched["tags"]] == ["防災"]
    assert patched["metadata_modified"] > pkg["metadata_modified"]


def test_delete_hides_dataset(admin: ckanapi.RemoteCKAN, server: LiveServer) -> None:
    _create(admin, "evac-5")
    admin.action.package_delete(id="evac-5")
    assert "evac-5" not in admin.action.package_list()
    assert admin.action.package_search(q="name:evac-5")["count"] == 0
    with pytest.raises(ckanapi.NotFound):
        server.ckan().action.package_show(id="evac-5")
    # A sysadmin still sees the deleted dataset, as in CKAN.
    assert admin.action.package_show(id="evac-5")["state"] == "deleted"


def test_package_list_and_current_list(admin: ckanapi.RemoteCKAN) -> None:
    _create(admin, "zz-list-1", resources=[{"url": "https://example.jp/z.csv"}])
    names = admin.action.package_list()
    assert names == sorted(names)
    assert "zz-list-1" in names
    assert admin.action.package_list(limit=1, offset=0) == names[:1]
    current = admin.action.current_package_list_with_resources(limit=2)
    assert len(current) == 2
    assert current[0]["metadata_modified"] >= current[1]["metadata_modified"]
    assert "resources" in current[0]


def test_activity_records_each_change(admin: ckanapi.RemoteCKAN) -> None:
    _create(admin, "evac-6")
    admin.action.package_patch(id="evac-6", title="題名を変更")
    activity = admin.action.package_activity_list(id="evac-6")
    assert [a["activity_type"] for a in activity] == ["changed package", "new package"]
    assert activity[0]["data"]["package"]["title"] == "題名を変更"
    assert activity[0]["user_id"]


def test_autocomplete(admin: ckanapi.RemoteCKAN) -> None:
    _create(admin, "aed-locations", title="AED設置箇所一覧")
    found = admin.action.package_autocomplete(q="aed")
    assert found[0]["name"] == "aed-locations"
    assert found[0]["match_field"] == "name"
    assert admin.action.package_autocomplete(q="設置箇所")[0]["name"] == "aed-locations"
