"""The demo catalog loads through the normal actions and is then usable over the API."""

from __future__ import annotations

import ckanapi
import pytest
import requests

from support.live_server import LiveServer
from tsunagu.demo.loader import catalog_is_empty, load_demo


@pytest.fixture(scope="module")
def demo(server: LiveServer) -> ckanapi.RemoteCKAN:
    assert catalog_is_empty(server.services)
    messages: list[str] = []
    summary = load_demo(server.services, progress=messages.append)
    assert "データセット" in summary and messages
    assert not catalog_is_empty(server.services)
    return server.ckan()


def test_prefecture_and_municipalities(demo: ckanapi.RemoteCKAN) -> None:
    orgs = {o["name"]: o for o in demo.action.organization_list(all_fields=True)}
    assert orgs["yamaguchi-pref"]["local_gov_code"] == "350001"
    municipalities = [o for o in orgs.values() if o["kind"] == "municipality"]
    assert len(municipalities) >= 6
    assert all(o["latitude"] and o["longitude"] for o in municipalities)


def test_demo_is_searchable(demo: ckanapi.RemoteCKAN) -> None:
    everything = demo.action.package_search(**{"facet.field": '["groups","res_format"]'})
    assert everything["count"] >= 40
    assert len(everything["facets"]["groups"]) >= 6
    assert {"CSV", "XLSX"} <= set(everything["facets"]["res_format"])
    assert demo.action.package_search(q="避難所")["count"] >= 3
    assert demo.action.package_search(q="AED")["count"] >= 3


def test_demo_datasets_carry_controlled_metadata(demo: ckanapi.RemoteCKAN) -> None:
    facets = demo.action.package_search(
        rows=0, **{"facet.field": '["frequency","standard_id"]', "facet.limit": -1}
    )["facets"]
    # Every demo dataset has a frequency code, none the free text it was written in.
    assert set(facets["frequency"]) == {"annual", "as_needed", "monthly"}
    assert sum(facets["frequency"].values()) == demo.action.package_search(rows=0)["count"]
    assert facets["standard_id"]["evacuation_space"] >= 3
    evacuation = demo.action.package_show(id="shimonoseki-city-evacuation-space")
    assert evacuation["spatial_codes"] == ["352012"]
    assert evacuation["contact_name"] == "下関市 防災危機管理課"
    assert evacuation["standard_id"] == "evacuation_space"


def test_private_demo_datasets_hidden(demo: ckanapi.RemoteCKAN, server: LiveServer) -> None:
    public = set(demo.action.package_list())
    with server.services.sessions() as session:
        from sqlalchemy import select

        from tsunagu.catalog.models import Dataset

        private = set(session.scalars(select(Dataset.name).where(Dataset.private.is_(True))))
    assert private and not (private & public)


def test_demo_files_download(demo: ckanapi.RemoteCKAN) -> None:
    pkg = demo.action.package_search(q="避難", fq="res_format:CSV", rows=1)["results"][0]
    resource = next(r for r in pkg["resources"] if r["format"] == "CSV")
    response = requests.get(resource["url"], timeout=10)
    assert response.status_code == 200
    assert len(response.content) == resource["size"]


def test_demo_login_users(demo: ckanapi.RemoteCKAN, server: LiveServer) -> None:
    token = server.act("api_token_create", {"user": "shimonoseki-editor", "name": "t"})["token"]
    editor = server.ckan(token)
    created = editor.action.package_create(
        name="editor-made", title="職員が登録", owner_org="shimonoseki-city"
    )
    try:
        assert created["organization"]["name"] == "shimonoseki-city"
        with pytest.raises(ckanapi.NotAuthorized):
            editor.action.package_create(name="elsewhere", title="x", owner_org="ube-city")
    finally:  # the other tests read the demo catalog as loaded (every dataset has a frequency)
        server.act("dataset_purge", {"id": created["id"]})


def test_opendata_list_links_point_at_this_site(
    demo: ckanapi.RemoteCKAN, server: LiveServer
) -> None:
    found = demo.action.package_search(q='title:"オープンデータ一覧"', rows=10)["results"]
    assert found, "the demo has オープンデータ一覧 files"
    resource = next(r for p in found for r in p["resources"] if r["format"] == "CSV")
    text = requests.get(resource["url"], timeout=10).content.decode("utf-8-sig")
    site = server.services.settings.site_url.rstrip("/")
    assert f"{site}/dataset/" in text
    assert "tsunagu.example" not in text


def test_demo_requests_and_use_cases(demo: ckanapi.RemoteCKAN) -> None:
    requests_by_status = {
        r["status"]: r for r in demo.action.data_request_list(limit=100)["results"]
    }
    assert set(requests_by_status) == {"received", "reviewing", "published", "declined"}
    published = requests_by_status["published"]
    assert published["dataset"]["name"] == "shimonoseki-city-aed-location"
    assert requests_by_status["received"]["organization"] is None  # for the prefecture to place
    showcases = {s["name"]: s for s in demo.action.ckanext_showcase_list()}
    assert showcases["hinan-navi"]["num_datasets"] == 2
    on_page = demo.action.ckanext_package_showcase_list(package_id="ube-city-population")
    assert [s["name"] for s in on_page] == ["ube-population-dashboard"]
