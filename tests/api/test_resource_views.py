"""Resource views over HTTP with ckanapi: the portal's own previews are recorded as views when
data becomes a datastore table, the dataset and embed pages show what the views say, views of
other types are kept as clients copy them, and the rights are CKAN's."""

from __future__ import annotations

import io
from typing import Any

import ckanapi
import pytest
import requests

from support.live_server import LiveServer
from support.waiting import wait_until

POINTS_CSV = "名称,緯度,経度,人数\n市役所,33.95,130.94,10\n図書館,33.96,130.95,20\n".encode()
TEXT_CSV = "名称,所在地\n市役所,下関市\n図書館,長府\n".encode()
GEOJSON = (
    b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
    b'{"name":"a"},"geometry":{"type":"Point","coordinates":[130.9,33.9]}}]}'
)


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("rv-admin", sysadmin=True))
    ckan.action.organization_create(name="rv-org", title="ビューの組織")
    return ckan


@pytest.fixture(scope="module")
def editor(server: LiveServer, admin: ckanapi.RemoteCKAN) -> ckanapi.RemoteCKAN:
    token = server.make_user("rv-editor")
    admin.action.organization_member_create(id="rv-org", username="rv-editor", role="editor")
    return server.ckan(token)


@pytest.fixture(scope="module")
def outsider(server: LiveServer) -> ckanapi.RemoteCKAN:
    return server.ckan(server.make_user("rv-outsider"))


_n = iter(range(1, 10_000))


def _dataset(admin: ckanapi.RemoteCKAN, **extra: Any) -> dict[str, Any]:
    return dict(
        admin.action.package_create(
            name=f"rv-ds-{next(_n)}", title="ビュー", owner_org="rv-org", **extra
        )
    )


def _upload(admin: ckanapi.RemoteCKAN, package_id: str, name: str, body: bytes) -> str:
    res = admin.action.resource_create(
        package_id=package_id, name=name, upload=(name, io.BytesIO(body))
    )
    return str(res["id"])


def _ingested(admin: ckanapi.RemoteCKAN, resource_id: str) -> None:
    status = wait_until(
        lambda: admin.action.datastore_ingest_status(resource_id=resource_id)["status"],
        f"the ingest of {resource_id} to finish",
        until=lambda s: s in ("complete", "error"),
    )
    assert status == "complete"


def _types(ckan: ckanapi.RemoteCKAN, resource_id: str) -> list[str]:
    return [v["view_type"] for v in ckan.action.resource_view_list(id=resource_id)]


def test_an_ingested_table_with_points_and_numbers_gets_table_map_and_chart_views(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    ds = _dataset(admin)
    rid = _upload(admin, ds["id"], "points.csv", POINTS_CSV)
    _ingested(admin, rid)
    views = admin.action.resource_view_list(id=rid)
    assert [v["view_type"] for v in views] == ["datatables_view", "tsunagu_map", "tsunagu_chart"]
    map_view = views[1]
    assert (map_view["latitude_field"], map_view["longitude_field"]) == ("緯度", "経度")
    assert map_view["package_id"] == ds["id"] and map_view["resource_id"] == rid
    page = requests.get(f"{server.url}/dataset/{ds['name']}", timeout=10).text
    assert 'class="ds-preview"' in page and 'class="ds-map"' in page and 'class="ds-chart"' in page
    embed = requests.get(f"{server.url}/embed/resource/{rid}", timeout=10).text
    assert 'class="ds-map"' in embed and 'class="ds-chart"' in embed


def test_a_table_without_points_or_numbers_gets_only_the_table_view(
    server: LiveServer, admin: ckanapi.RemoteCKAN
) -> None:
    ds = _dataset(admin)
    rid = _upload(admin, ds["id"], "text.csv", TEXT_CSV)
    _ingested(admin, rid)
    assert _types(admin, rid) == ["datatables_view"]
    page = requests.get(f"{server.url}/dataset/{ds['name']}", timeout=10).text
    assert 'class="ds-preview"' in page
    assert 'class="ds-map"' not in page and 'class="ds-chart"' not in page


def test_a_geojson_file_gets_a_map_view(admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin)
    rid = _upload(admin, ds["id"], "points.geojson", GEOJSON)
    _ingested(admin, rid)
    assert "tsunagu_map" in _types(admin, rid)


def test_a_table_made_through_the_api_gets_its_views_at_once(admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin)
    table = admin.action.datastore_create(
        resource={"package_id": ds["id"], "name": "API の表"},
        fields=[{"id": "地区", "type": "text"}, {"id": "人口", "type": "int"}],
        records=[{"地区": "東", "人口": 5}],
    )
    assert _types(admin, table["resource_id"]) == ["datatables_view", "tsunagu_chart"]


def test_the_portal_shows_what_the_views_say(server: LiveServer, admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin)
    rid = _upload(admin, ds["id"], "points.csv", POINTS_CSV)
    _ingested(admin, rid)
    for view in admin.action.resource_view_list(id=rid):
        if view["view_type"] in ("tsunagu_map", "tsunagu_chart"):
            admin.action.resource_view_delete(id=view["id"])
    page = requests.get(f"{server.url}/dataset/{ds['name']}", timeout=10).text
    assert 'class="ds-preview"' in page
    assert 'class="ds-map"' not in page and 'class="ds-chart"' not in page
    made = admin.action.resource_create_default_resource_views(
        resource={"id": rid}, create_datastore_views=True
    )
    assert [v["view_type"] for v in made] == ["tsunagu_map", "tsunagu_chart"]
    page = requests.get(f"{server.url}/dataset/{ds['name']}", timeout=10).text
    assert 'class="ds-map"' in page and 'class="ds-chart"' in page


def test_views_are_copied_as_clients_copy_them(admin: ckanapi.RemoteCKAN) -> None:
    """ckanapi load and harvesters post each view of the source with its type and settings;
    types Tsunagu does not render are kept and listed."""
    ds = _dataset(admin, resources=[{"url": "https://example.jp/a.csv", "name": "元"}])
    rid = ds["resources"][0]["id"]
    image = admin.action.resource_view_create(
        resource_id=rid,
        view_type="image_view",
        title="写真",
        image_url="https://example.jp/a.png",
    )
    assert image["image_url"] == "https://example.jp/a.png"
    other = admin.action.resource_view_create(
        resource_id=rid,
        view_type="someones_custom_view",
        title="独自",
        description="説明",
        config={"colour": "blue", "limits": [1, 2]},
    )
    listed = admin.action.resource_view_list(id=rid)
    assert [v["view_type"] for v in listed] == ["image_view", "someones_custom_view"]
    assert listed[1]["colour"] == "blue" and listed[1]["limits"] == [1, 2]
    assert admin.action.resource_view_show(id=other["id"]) == listed[1]
    # Copy every view to another resource, the way ckanapi load does.
    target = _dataset(admin, resources=[{"url": "https://example.jp/b.csv", "name": "先"}])
    target_rid = target["resources"][0]["id"]
    for view in listed:
        copy = {k: v for k, v in view.items() if k not in ("id", "resource_id", "package_id")}
        admin.action.resource_view_create(resource_id=target_rid, **copy)
    copied = admin.action.resource_view_list(id=target_rid)
    strip = ("id", "resource_id", "package_id")
    assert [{k: v for k, v in c.items() if k not in strip} for c in copied] == [
        {k: v for k, v in c.items() if k not in strip} for c in listed
    ]


def test_update_reorder_and_delete(editor: ckanapi.RemoteCKAN, admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin, resources=[{"url": "https://example.jp/a.csv", "name": "元"}])
    rid = ds["resources"][0]["id"]
    first = editor.action.resource_view_create(resource_id=rid, view_type="image_view", title="一")
    second = editor.action.resource_view_create(
        resource_id=rid, view_type="webpage_view", title="二"
    )
    updated = editor.action.resource_view_update(
        id=first["id"], title="一（改）", page_url="https://example.jp/", view_type="changed"
    )
    assert updated["title"] == "一（改）" and updated["view_type"] == "image_view"
    assert updated["page_url"] == "https://example.jp/"
    assert editor.action.resource_view_reorder(id=rid, order=[second["id"]]) == {
        "id": rid,
        "order": [second["id"], first["id"]],
    }
    assert [v["title"] for v in editor.action.resource_view_list(id=rid)] == ["二", "一（改）"]
    assert editor.action.resource_view_delete(id=second["id"]) == {"resource_id": rid}
    with pytest.raises(ckanapi.NotFound):
        editor.action.resource_view_show(id=second["id"])


def test_bad_input(admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin, resources=[{"url": "https://example.jp/a.csv", "name": "元"}])
    rid = ds["resources"][0]["id"]
    with pytest.raises(ckanapi.ValidationError) as missing:
        admin.action.resource_view_create(resource_id=rid, view_type="image_view")
    assert "title" in missing.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as no_type:
        admin.action.resource_view_create(resource_id=rid, title="x")
    assert "view_type" in no_type.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as bad_config:
        admin.action.resource_view_create(
            resource_id=rid, view_type="image_view", title="x", config="{not json"
        )
    assert "config" in bad_config.value.error_dict
    with pytest.raises(ckanapi.NotFound):
        admin.action.resource_view_create(resource_id="no-such", view_type="x", title="x")
    view = admin.action.resource_view_create(resource_id=rid, view_type="image_view", title="x")
    with pytest.raises(ckanapi.ValidationError):
        admin.action.resource_view_reorder(id=rid, order=[view["id"], view["id"]])
    with pytest.raises(ckanapi.ValidationError):
        admin.action.resource_view_reorder(id=rid, order=["not-a-view"])
    with pytest.raises(ckanapi.NotFound):
        admin.action.resource_view_update(id="not-a-view", title="x")
    assert admin.action.resource_view_list(id=rid)[0]["title"] == "x"


def test_rights_and_private_views(
    admin: ckanapi.RemoteCKAN,
    editor: ckanapi.RemoteCKAN,
    outsider: ckanapi.RemoteCKAN,
    server: LiveServer,
) -> None:
    ds = _dataset(
        admin, resources=[{"url": "https://example.jp/a.csv", "name": "元"}], private=True
    )
    rid = ds["resources"][0]["id"]
    view = editor.action.resource_view_create(resource_id=rid, view_type="image_view", title="秘")
    anonymous = server.ckan()
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.resource_view_show(id=view["id"])
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.resource_view_list(id=rid)
    with pytest.raises(ckanapi.NotAuthorized):
        outsider.action.resource_view_list(id=rid)
    with pytest.raises(ckanapi.NotAuthorized):
        outsider.action.resource_view_create(resource_id=rid, view_type="x", title="x")
    with pytest.raises(ckanapi.NotAuthorized):
        outsider.action.resource_view_delete(id=view["id"])
    with pytest.raises(ckanapi.NotAuthorized):
        editor.action.resource_view_clear()
    assert _types(admin, rid) == ["image_view"]


def test_default_views_for_a_dataset(admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(
        admin,
        resources=[
            {"url": "https://example.jp/photo.png", "name": "写真"},
            {"url": "https://example.jp/a.csv", "name": "表"},
        ],
    )
    made = admin.action.package_create_default_resource_views(package=ds)
    assert [v["view_type"] for v in made] == ["image_view"]
    assert admin.action.package_create_default_resource_views(package=ds) == []
    with pytest.raises(ckanapi.ValidationError):
        admin.action.package_create_default_resource_views(package="not a dict")


def test_clear_deletes_views_of_the_given_types(admin: ckanapi.RemoteCKAN) -> None:
    ds = _dataset(admin, resources=[{"url": "https://example.jp/a.csv", "name": "元"}])
    rid = ds["resources"][0]["id"]
    admin.action.resource_view_create(resource_id=rid, view_type="clear_me_view", title="x")
    admin.action.resource_view_create(resource_id=rid, view_type="keep_me_view", title="y")
    admin.action.resource_view_clear(view_types=["clear_me_view"])
    assert _types(admin, rid) == ["keep_me_view"]
