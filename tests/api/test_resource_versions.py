"""Replacing a resource's file with a new version, over HTTP on SQLite and PostgreSQL: the earlier
file stays downloadable and in the history, the datastore table changes only when the new one is
loaded (a failed load keeps the old table and says why), the change summary counts what changed,
private datasets' versions stay private, and ``files gc`` keeps every version's file."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import ckanapi
import pytest
import requests

from support.live_server import LiveServer
from support.portal import Visitor
from support.waiting import wait_until
from tsunagu.catalog import files_gc
from tsunagu.workspace.versions.models import ResourceVersion

# A monthly file and the next month's: 面積 turns from whole numbers into decimals (int →
# numeric), 備考 is new, 西 is gone, 北 and 北東 are new, 中央 and 東 changed a value.
MARCH = "地区,人口,面積\n中央,210,12\n東,390,20\n西,110,8\n南,150,15\n".encode()
APRIL = (
    "地区,人口,面積,備考\n中央,210,12.5,\n東,395,20,\n北,80,9.25,新設\n南,150,15,\n北東,10,1.5,新設\n"
).encode()
# Rows of a standard data set are matched by its ID column: 3 goes, 4 comes, 2 changes.
FACILITIES_1 = (
    "ID,名称,所在地_連結表記\n1,中央公民館,下関市1\n2,東公民館,下関市2\n3,西公民館,下関市3\n"
)
FACILITIES_2 = "ID,名称,所在地_連結表記\n1,中央公民館,下関市1\n2,東公民館（改装）,下関市2\n4,北公民館,下関市4\n"
PII = Path(__file__).resolve().parents[1] / "data" / "quality" / "pii"
BROKEN_XLSX = b"PK\x03\x04 this is not really a spreadsheet"


@pytest.fixture(scope="module")
def site(server: LiveServer) -> dict[str, Any]:
    admin = server.ckan(server.make_user("ver-admin", sysadmin=True))
    admin.action.organization_create(name="ver-city", title="版市")
    admin.action.organization_create(name="ver-other", title="他市")
    tokens = {name: server.make_user(name) for name in ("ver-editor", "ver-member", "ver-outsider")}
    admin.action.organization_member_create(id="ver-city", username="ver-editor", role="editor")
    admin.action.organization_member_create(id="ver-city", username="ver-member", role="member")
    admin.action.organization_member_create(id="ver-other", username="ver-outsider", role="editor")
    return {"admin": admin, **{n: server.ckan(t) for n, t in tokens.items()}, "tokens": tokens}


def _upload(name: str, content: bytes) -> tuple[str, io.BytesIO]:
    return (name, io.BytesIO(content))


def wait_ingest(ckan: ckanapi.RemoteCKAN, resource_id: str, job_id: str | None = None) -> Any:
    """The resource's ingest once finished (a later job than ``job_id`` when given)."""

    def status() -> dict[str, Any]:
        try:
            return dict(ckan.action.datastore_ingest_status(resource_id=resource_id))
        except ckanapi.NotFound:
            return {"status": "none", "job_id": None}

    finished = wait_until(
        status,
        f"the ingest of {resource_id} to finish",
        until=lambda s: s["status"] in ("complete", "error") and s["job_id"] != job_id,
    )

    # The file's version records the outcome (its ingest_status, which table is live, the
    # change summary) when the ingest's listeners run, after the full-text index: a client
    # showing the versions waits for that, as this one does.
    def current() -> dict[str, Any] | None:
        versions = ckan.action.resource_version_list(id=resource_id)
        return next((v for v in versions if v["current"]), None)

    wait_until(
        current,
        f"the current version of {resource_id} to record the ingest",
        until=lambda version: version is None or version["ingest_status"] != "pending",
    )
    return finished


def publish_month(
    ckan: ckanapi.RemoteCKAN, name: str, *, private: bool = False, state: str = "active"
) -> dict[str, Any]:
    ckan.action.package_create(
        name=name, title="人口（月次）", owner_org="ver-city", private=private, state=state
    )
    resource = ckan.action.resource_create(
        package_id=name, upload=_upload("population_2026_03.csv", MARCH)
    )
    first = wait_ingest(ckan, resource["id"])
    assert first["status"] == "complete", first
    return {"resource": resource, "job": first["job_id"]}


def replace(
    ckan: ckanapi.RemoteCKAN,
    resource_id: str,
    filename: str,
    content: bytes,
    job: str,
    **extra: Any,
) -> dict[str, Any]:
    ckan.action.resource_patch(id=resource_id, upload=_upload(filename, content), **extra)
    return dict(wait_ingest(ckan, resource_id, job))


def records(ckan: ckanapi.RemoteCKAN, resource_id: str) -> list[dict[str, Any]]:
    return list(ckan.action.datastore_search(resource_id=resource_id, sort="_id")["records"])


def test_a_new_month_replaces_the_old_with_a_change_summary(
    server: LiveServer, site: dict[str, Any]
) -> None:
    editor = site["ver-editor"]
    made = publish_month(editor, "ver-population")
    rid = made["resource"]["id"]
    done = replace(editor, rid, "population_2026_04.csv", APRIL, made["job"])
    assert done["status"] == "complete", done

    assert [r["地区"] for r in records(editor, rid)] == ["中央", "東", "北", "南", "北東"]
    versions = editor.action.resource_version_list(id=rid)
    assert [(v["number"], v["current"], v["filename"]) for v in versions] == [
        (2, True, "population_2026_04.csv"),
        (1, False, "population_2026_03.csv"),
    ]
    new, old = versions
    assert new["datastore_live"] and not old["datastore_live"]
    assert (new["rows"], old["rows"]) == (5, 4)
    assert {c["id"]: c["type"] for c in new["columns"]} == {
        "地区": "text",
        "人口": "int",
        "面積": "numeric",
        "備考": "text",
    }
    changes = new["changes"]
    assert changes["method"] == "content" and changes["key"] is None
    assert changes["compared_with"] == old["id"] and changes["compared_number"] == 1
    # Compared over 地区・人口・面積 (12 and 12.0 are equal, so 南 is unchanged): the rows of
    # 中央 and 東 changed, so they count as removed and added, with 西 removed, 北 and 北東 added.
    assert (changes["rows_added"], changes["rows_removed"]) == (4, 3)
    assert (changes["rows_before"], changes["rows_after"]) == (4, 5)
    assert changes["columns_added"] == ["備考"]
    assert changes["columns_removed"] == []
    assert changes["columns_retyped"] == [{"id": "面積", "from": "int", "to": "numeric"}]
    assert old["changes"] is None  # the first file had nothing to compare with

    # The resource now names the new file; the old one is still served, unchanged.
    shown = editor.action.resource_show(id=rid)
    assert shown["url"].endswith("/population_2026_04.csv")
    old_file = requests.get(old["url"], timeout=30)
    assert old_file.status_code == 200 and old_file.content == MARCH
    assert "population_2026_03.csv" in old_file.headers["content-disposition"]
    assert requests.get(new["url"], timeout=30).content == APRIL
    assert editor.action.resource_version_show(id=old["id"]) == old

    # The history names the version the change brought.
    latest = editor.action.package_activity_list(id="ver-population", limit=1)[0]
    assert latest["activity_type"] == "changed package"
    assert [(v["number"], v["filename"]) for v in latest["data"]["resource_versions"]] == [
        (2, "population_2026_04.csv")
    ]
    page = requests.get(f"{server.url}/dataset/ver-population", timeout=30).text
    assert "更新（「population_2026_04.csv」を第 2 版に差し替え）" in page


def test_rows_of_a_standard_data_set_are_matched_by_its_id(site: dict[str, Any]) -> None:
    editor = site["ver-editor"]
    editor.action.package_create(name="ver-facilities", title="公共施設", owner_org="ver-city")
    resource = editor.action.resource_create(
        package_id="ver-facilities",
        standard="public_facility",
        upload=_upload("public_facility.csv", FACILITIES_1.encode()),
    )
    first = wait_ingest(editor, resource["id"])
    done = replace(
        editor, resource["id"], "public_facility.csv", FACILITIES_2.encode(), first["job_id"]
    )
    assert done["status"] == "complete", done
    changes = editor.action.resource_version_list(id=resource["id"])[0]["changes"]
    assert (changes["method"], changes["key"]) == ("key", "ID")
    assert (changes["rows_added"], changes["rows_removed"], changes["rows_changed"]) == (1, 1, 1)
    assert (
        changes["columns_added"] == changes["columns_removed"] == changes["columns_retyped"] == []
    )


def test_a_failed_ingest_keeps_the_old_table_and_says_why(
    server: LiveServer, site: dict[str, Any]
) -> None:
    editor = site["ver-editor"]
    made = publish_month(editor, "ver-broken")
    rid = made["resource"]["id"]
    failed = replace(
        editor, rid, "population_2026_04.xlsx", BROKEN_XLSX, made["job"], format="XLSX"
    )
    assert failed["status"] == "error", failed

    assert [r["地区"] for r in records(editor, rid)] == ["中央", "東", "西", "南"]
    new, old = editor.action.resource_version_list(id=rid)
    assert new["current"] and new["ingest_status"] == "error" and new["ingest_error"]
    assert new["changes"] is None and not new["datastore_live"]
    assert old["datastore_live"] and old["ingest_status"] == "complete"

    visitor = Visitor(server.url)
    visitor.sign_in("ver-editor", "pw-ver-editor-0000")
    page = visitor.get("/staff/dataset/ver-broken").text
    assert "第 2 版のファイルは取り込めませんでした" in page
    assert new["ingest_error"] in page
    assert "公開中の表は第 1 版のままです" in page


def test_private_versions_never_leak(server: LiveServer, site: dict[str, Any]) -> None:
    editor = site["ver-editor"]
    made = publish_month(editor, "ver-private", private=True)
    rid = made["resource"]["id"]
    replace(editor, rid, "population_2026_04.csv", APRIL, made["job"])
    member_view = site["ver-member"].action.resource_version_list(id=rid)
    assert [v["number"] for v in member_view] == [2, 1]
    old_url = member_view[1]["url"]
    old_id = member_view[1]["id"]

    anonymous = server.ckan()
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.resource_version_list(id=rid)
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.resource_version_show(id=old_id)
    with pytest.raises(ckanapi.NotAuthorized):
        site["ver-outsider"].action.resource_version_list(id=rid)
    assert requests.get(old_url, timeout=30).status_code == 404
    outsider = {"Authorization": site["tokens"]["ver-outsider"]}
    assert requests.get(old_url, headers=outsider, timeout=30).status_code == 404
    member = {"Authorization": site["tokens"]["ver-member"]}
    assert requests.get(old_url, headers=member, timeout=30).content == MARCH
    # The portal's signed-in session reads it too (the staff page's links).
    visitor = Visitor(server.url)
    visitor.sign_in("ver-member", "pw-ver-member-0000")
    assert visitor.get(old_url).content == MARCH
    assert requests.get(old_url, headers={"Authorization": "wrong"}, timeout=30).status_code == 403


def test_a_file_replaced_before_publishing_stays_with_staff(
    server: LiveServer, site: dict[str, Any]
) -> None:
    editor = site["ver-editor"]
    made = publish_month(editor, "ver-draft", state="draft")
    rid = made["resource"]["id"]
    replace(editor, rid, "population_2026_04.csv", APRIL, made["job"])
    editor.action.package_patch(id="ver-draft", state="active")
    anonymous = server.ckan()
    public = anonymous.action.resource_version_list(id=rid)
    assert [(v["number"], v["current"]) for v in public] == [(2, True)]
    hidden = editor.action.resource_version_list(id=rid)[1]
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.resource_version_show(id=hidden["id"])
    assert requests.get(hidden["url"], timeout=30).status_code == 404

    # Once public, a file replaced later stays public as an earlier version.
    replace(editor, rid, "population_2026_05.csv", MARCH, wait_ingest(editor, rid)["job_id"])
    assert [v["number"] for v in anonymous.action.resource_version_list(id=rid)] == [3, 2]
    assert requests.get(public[0]["url"], timeout=30).content == APRIL


def test_version_lookups_refuse_bad_input(server: LiveServer, site: dict[str, Any]) -> None:
    editor = site["ver-editor"]
    with pytest.raises(ckanapi.ValidationError):
        editor.action.resource_version_list()
    with pytest.raises(ckanapi.NotFound):
        editor.action.resource_version_list(id="no-such-resource")
    with pytest.raises(ckanapi.NotFound):
        editor.action.resource_version_show(id="no-such-version")
    made = publish_month(editor, "ver-paths")
    version = editor.action.resource_version_list(id=made["resource"]["id"])[0]
    wrong_dataset = version["url"].replace("/dataset/" + version["package_id"], "/dataset/other")
    assert requests.get(wrong_dataset, timeout=30).status_code == 404
    by_name = version["url"].replace("/dataset/" + version["package_id"], "/dataset/ver-paths")
    assert requests.get(by_name, timeout=30).content == MARCH


def test_staff_replace_a_file_from_the_dataset_page(
    server: LiveServer, site: dict[str, Any]
) -> None:
    editor = site["ver-editor"]
    made = publish_month(editor, "ver-page")
    rid = made["resource"]["id"]
    path = f"/staff/dataset/ver-page/resource/{rid}/replace"

    member = Visitor(server.url)
    member.sign_in("ver-member", "pw-ver-member-0000")
    refused = member.http.post(
        server.url + path,
        data={"csrf_token": member.csrf("/staff")},
        files={"upload": ("population_2026_04.csv", APRIL)},
        allow_redirects=False,
        timeout=30,
    )
    assert refused.status_code in (403, 404)
    assert len(editor.action.resource_version_list(id=rid)) == 1

    visitor = Visitor(server.url)
    visitor.sign_in("ver-editor", "pw-ver-editor-0000")
    token = visitor.csrf("/staff/dataset/ver-page")
    empty = visitor.http.post(
        server.url + path, data={"csrf_token": token}, allow_redirects=False, timeout=30
    )
    assert empty.status_code == 409 and "新しい版のファイルを選んでください" in empty.text
    forged = visitor.http.post(
        server.url + path,
        data={"csrf_token": "forged"},
        files={"upload": ("population_2026_04.csv", APRIL)},
        allow_redirects=False,
        timeout=30,
    )
    assert forged.status_code == 403
    assert len(editor.action.resource_version_list(id=rid)) == 1

    done = visitor.http.post(
        server.url + path,
        data={"csrf_token": token},
        files={"upload": ("population_2026_04.csv", APRIL)},
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/staff/dataset/ver-page?replaced={rid}")
    wait_ingest(editor, rid, made["job"])
    # Named after its file, the resource takes the new file's name.
    assert editor.action.resource_show(id=rid)["name"] == "population_2026_04.csv"
    page = visitor.get("/staff/dataset/ver-page").text
    assert "前回（第 1 版）から：4 行追加、3 行削除、列「備考」を追加" in page
    assert "列「面積」の型を整数から数値に変更" in page
    assert "新しい版に差し替える" in page


def test_files_gc_keeps_every_version(server: LiveServer, site: dict[str, Any]) -> None:
    editor = site["ver-editor"]
    made = publish_month(editor, "ver-gc")
    rid = made["resource"]["id"]
    replace(editor, rid, "population_2026_04.csv", APRIL, made["job"])
    with server.services.sessions() as session:
        keys = [v.storage_key for v in session.query(ResourceVersion).filter_by(resource_id=rid)]
    assert len(keys) == 2
    found = files_gc.scan(server.services, older_than=timedelta(0))
    orphans = {entry.key for entry in found.orphans}
    assert not orphans & set(keys)
    files_gc.delete(server.services, found.orphans)
    for key in keys:
        assert server.services.files.exists(key)


def test_loading_the_same_file_again_keeps_its_summary(site: dict[str, Any]) -> None:
    editor = site["ver-editor"]
    made = publish_month(editor, "ver-retype")
    rid = made["resource"]["id"]
    replaced = replace(editor, rid, "population_2026_04.csv", APRIL, made["job"])
    before = editor.action.resource_version_list(id=rid)[0]
    # Staff correct a column's type: the same file is loaded again, with 人口 as 数値.
    editor.action.datastore_dictionary_update(
        resource_id=rid, fields=[{"id": "人口", "info": {"type_override": "numeric"}}]
    )
    again = wait_ingest(editor, rid, replaced["job_id"])
    assert again["status"] == "complete", again
    versions = editor.action.resource_version_list(id=rid)
    assert len(versions) == 2
    after = versions[0]
    assert after["changes"] == before["changes"]  # still what changed from version 1
    assert {c["id"]: c["type"] for c in after["columns"]}["人口"] == "numeric"
    assert after["datastore_live"]

    # A table deleted through the API is no version's any more.
    editor.action.datastore_delete(resource_id=rid)
    assert not any(v["datastore_live"] for v in editor.action.resource_version_list(id=rid))


def test_a_new_file_with_personal_data_is_refused_and_the_old_stays(
    site: dict[str, Any],
) -> None:
    editor = site["ver-editor"]
    made = publish_month(editor, "ver-pii")
    rid = made["resource"]["id"]
    personal = (PII / "personal_phone.csv").read_bytes()
    with pytest.raises(ckanapi.ValidationError) as refused:
        editor.action.resource_patch(id=rid, upload=_upload("population_2026_04.csv", personal))
    assert "pii" in refused.value.error_dict
    versions = editor.action.resource_version_list(id=rid)
    assert [(v["number"], v["current"]) for v in versions] == [(1, True)]
    assert requests.get(versions[0]["url"], timeout=30).content == MARCH
    assert [r["地区"] for r in records(editor, rid)] == ["中央", "東", "西", "南"]
