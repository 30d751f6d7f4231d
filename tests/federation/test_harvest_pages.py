"""The staff pages for harvest sources over HTTP (SQLite; the pages call the same actions as the
API, whose database behaviour the other tests cover): an organisation admin adds a source
through the form (refusals shown field by field, what was typed kept), runs it now, reads its
history and every error of a job across pages; an editor sees but cannot manage; the
dataset's page links to its source; deleting a source through its page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import ckanapi
import pytest

from support.fake_ckan import FakeCkan, package, serve
from support.harvest import harvesting_server, wait_for_job
from support.live_server import LiveServer
from support.portal import Visitor

ORG = "pages-city"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCkan]:
    yield from serve()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = harvesting_server("sqlite", tmp_path_factory.mktemp("pages"))
    live.act("organization_create", {"name": ORG, "title": "画面市"})
    live.act("organization_create", {"name": "pages-town", "title": "画面町"})
    for user, role in (("hp-admin", "admin"), ("hp-editor", "editor")):
        live.make_user(user)
        live.act("organization_member_create", {"id": ORG, "username": user, "role": role})
    live.make_user("hp-outsider")
    yield live
    live.stop()


@pytest.fixture(scope="module")
def sysadmin(local: LiveServer) -> ckanapi.RemoteCKAN:
    return local.ckan(local.make_user("hp-root", sysadmin=True))


def visitor(local: LiveServer, name: str) -> Visitor:
    v = Visitor(local.url)
    assert v.sign_in(name, f"pw-{name}-0000").status_code == 303
    return v


FORM = {
    "title": "画面市 CKAN",
    "name": "pages-ckan",
    "source_type": "ckan",
    "owner_org": ORG,
    "frequency": "manual",
    "active": "on",
    "withdraw_after_days": "0",
    "organizations": "",
    "tags": "",
    "config_extra": "",
    "notes": "",
}


def test_an_admin_adds_a_source_runs_it_and_reads_every_error(
    local: LiveServer, fake: FakeCkan, sysadmin: ckanapi.RemoteCKAN
) -> None:
    site = fake.site("pages")
    site.datasets = [
        package("good-1", "good-1", "公園一覧"),
        package("good-2", "good-2", "AED一覧"),
    ]
    site.datasets += [package(f"bad-{n:03d}", "", "") for n in range(250)]
    admin = visitor(local, "hp-admin")
    listing = admin.get("/staff/harvest")
    assert listing.status_code == 200 and 'href="/staff/harvest/new"' in listing.text
    assert 'href="/staff/harvest"' in admin.get("/staff").text

    refused = admin.submit(
        "/staff/harvest/new", **{**FORM, "url": "ftp://ckan.example.jp", "name": "不正"}
    )
    assert refused.status_code == 409
    assert 'aria-invalid="true" aria-describedby="h-url-hint err-url"' in refused.text
    assert "http:// か https://" in refused.text and "半角英小文字" in refused.text
    assert 'value="画面市 CKAN"' in refused.text  # what was typed stays

    made = admin.submit(
        "/staff/harvest/new",
        **{**FORM, "url": fake.url("pages"), "api_key": "pages-secret-key-123456"},
    )
    assert (
        made.status_code == 303 and made.headers["location"] == "/staff/harvest/pages-ckan?saved=1"
    )
    page = admin.get("/staff/harvest/pages-ckan")
    assert "今すぐ収集する" in page.text and "pages-secret-key-123456" not in page.text
    assert "********3456" in page.text

    queued = admin.submit("/staff/harvest/pages-ckan", "/staff/harvest/pages-ckan/run")
    assert queued.headers["location"] == "/staff/harvest/pages-ckan?queued=1"
    [job] = sysadmin.action.harvest_job_list(source_id="pages-ckan")
    job = wait_for_job(sysadmin, job["id"])
    assert (job["counts"]["added"], job["counts"]["errored"]) == (2, 250)
    history = admin.get("/staff/harvest/pages-ckan").text
    assert f'href="/staff/harvest/pages-ckan/job/{job["id"]}"' in history
    first = admin.get(f"/staff/harvest/pages-ckan/job/{job['id']}").text
    second = admin.get(f"/staff/harvest/pages-ckan/job/{job['id']}?page=2").text
    keys = set(re.findall(r"（(bad-\d{3})）", first + second))
    assert keys == {f"bad-{n:03d}" for n in range(250)}  # every error, not the first 20
    assert "1 / 2 ページ" in first and "タイトルがありません" in first

    home = admin.get(f"/staff?organization={ORG}").text  # the 要対応 line links to the job
    assert "問題のあった収集元" in home
    assert f'href="/staff/harvest/pages-ckan/job/{job["id"]}"' in home
    assert "最新の収集で 250 件を集められませんでした" in home
    dataset = sysadmin.action.package_search(fq=f"organization:{ORG}", q="公園")["results"][0]
    assert "画面市 CKANから収集" in admin.get(f"/dataset/{dataset['name']}").text


def test_an_editor_sees_but_cannot_manage(local: LiveServer, sysadmin: ckanapi.RemoteCKAN) -> None:
    sysadmin.action.harvest_source_create(
        name="pages-seen",
        url="https://ckan.example.invalid/seen",
        source_type="ckan",
        owner_org=ORG,
    )
    editor = visitor(local, "hp-editor")
    assert 'href="/staff/harvest/new"' not in editor.get("/staff/harvest").text
    page = editor.get("/staff/harvest/pages-seen")
    assert (
        page.status_code == 200 and "今すぐ収集する" not in page.text and "/edit" not in page.text
    )
    token = editor.csrf("/staff/harvest")
    assert editor.post("/staff/harvest/pages-seen/run", csrf_token=token).status_code == 403
    assert editor.get("/staff/harvest/pages-seen/edit").status_code == 403
    outsider = visitor(local, "hp-outsider")
    assert outsider.get("/staff/harvest/pages-seen").status_code == 403
    assert "pages-seen" not in outsider.get("/staff/harvest").text


def test_an_admin_changes_and_deletes_a_source(
    local: LiveServer, sysadmin: ckanapi.RemoteCKAN
) -> None:
    sysadmin.action.harvest_source_create(
        name="pages-change",
        title="変更前",
        url="https://ckan.example.invalid/change",
        source_type="ckan",
        owner_org=ORG,
        api_key="pages-change-key-abcdef",
        config={"organizations_filter_include": ["a-city"], "page_size": 50},
    )
    admin = visitor(local, "hp-admin")
    form = admin.get("/staff/harvest/pages-change/edit").text
    assert 'value="a-city"' in form and "&#34;page_size&#34;: 50" in form
    assert "pages-change-key-abcdef" not in form
    saved = admin.submit(
        "/staff/harvest/pages-change/edit",
        **{
            **FORM,
            "name": "pages-change",
            "title": "変更後",
            "url": "https://ckan.example.invalid/change",
            "organizations": "a-city、b-city",
            "local_fields": "notes",
            "config_extra": '{"page_size": 20}',
        },
    )
    assert saved.status_code == 303
    shown = sysadmin.action.harvest_source_show(id="pages-change")
    assert shown["title"] == "変更後" and shown["api_key"] == "********cdef"
    assert '"organizations_filter_include":["a-city","b-city"]' in shown["config"]
    assert '"page_size":20' in shown["config"] and '"local_fields":["notes"]' in shown["config"]
    gone = admin.submit(
        "/staff/harvest/pages-change", "/staff/harvest/pages-change/delete", confirm="on"
    )
    assert gone.headers["location"] == "/staff/harvest?deleted=1"
    assert sysadmin.action.harvest_source_show(id="pages-change")["state"] == "deleted"
