"""Resources: links and uploads, with CKAN-style download URLs."""

from __future__ import annotations

import hashlib
import io

import ckanapi
import pytest
import requests

from support.live_server import LiveServer

CSV_SJIS = "名称,緯度,経度\n下関市役所,33.9578,130.9414\n".encode("cp932")


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("res-admin", sysadmin=True))
    ckan.action.organization_create(
        name="hagi-city", title="萩市", kind="municipality", local_gov_code="352047"
    )
    ckan.action.package_create(name="facilities", title="公共施設一覧", owner_org="hagi-city")
    return ckan


def test_upload_and_download(admin: ckanapi.RemoteCKAN) -> None:
    res = admin.action.resource_create(
        package_id="facilities",
        name="公共施設",
        upload=("352047_public_facility.csv", io.BytesIO(CSV_SJIS)),
    )
    assert res["url_type"] == "upload"
    assert res["format"] == "CSV"
    assert res["size"] == len(CSV_SJIS)
    assert res["hash"] == "sha256:" + hashlib.sha256(CSV_SJIS).hexdigest()
    assert res["url"].endswith(
        f"/dataset/{res['package_id']}/resource/{res['id']}/download/352047_public_facility.csv"
    )
    response = requests.get(res["url"], timeout=10)
    assert response.status_code == 200
    assert response.content == CSV_SJIS
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert admin.action.resource_show(id=res["id"])["url"] == res["url"]


def test_link_resource_and_extras(admin: ckanapi.RemoteCKAN) -> None:
    res = admin.action.resource_create(
        package_id="facilities", url="https://example.jp/x.xlsx", name="Excel版", standard="01"
    )
    assert res["format"] == "XLSX"
    assert res["url"] == "https://example.jp/x.xlsx"
    assert res["standard"] == "01"


def test_update_patch_and_delete(admin: ckanapi.RemoteCKAN) -> None:
    res = admin.action.resource_create(
        package_id="facilities", name="旧", upload=("old.csv", io.BytesIO(b"a,b\n1,2\n"))
    )
    patched = admin.action.resource_patch(id=res["id"], name="新")
    assert patched["name"] == "新"
    assert patched["url_type"] == "upload"
    assert requests.get(patched["url"], timeout=10).content == b"a,b\n1,2\n"
    replaced = admin.action.resource_update(
        id=res["id"], name="新", upload=("new.csv", io.BytesIO(b"a,b\n3,4\n"))
    )
    assert replaced["url"].endswith("/download/new.csv")
    assert requests.get(replaced["url"], timeout=10).content == b"a,b\n3,4\n"
    linked = admin.action.resource_update(id=res["id"], url="https://example.jp/elsewhere.csv")
    assert linked["url_type"] == ""
    assert linked["url"] == "https://example.jp/elsewhere.csv"
    admin.action.resource_delete(id=res["id"])
    with pytest.raises(ckanapi.NotFound):
        admin.action.resource_show(id=res["id"])
    assert res["id"] not in [
        r["id"] for r in admin.action.package_show(id="facilities")["resources"]
    ]


def test_download_of_unknown_resource_is_404(server: LiveServer) -> None:
    response = requests.get(f"{server.url}/dataset/x/resource/y/download/z.csv", timeout=10)
    assert response.status_code == 404
