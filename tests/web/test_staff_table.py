"""The staff dataset table (/staff/datasets) and its bulk pages over real HTTP, on SQLite and
PostgreSQL: who sees which rows, every filter, sorting and paging, and bulk changes through the
confirmation and result pages (CKAN's bulk_update_* for public/private/delete), with selections
that mix datasets the user may change with ones they may not."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from support.live_server import LiveServer
from support.uploads import Upload
from support.waiting import wait_until

QUALITY = Path(__file__).resolve().parents[1] / "data" / "quality" / "validation"
PII_CSV = "氏名,携帯電話\n山田 太郎,090-1234-5678\n佐藤 花子,080-2345-6789\n".encode()
CLEAN_CSV = "地区,人口\n中央,1200\n北,800\n".encode()


@dataclass
class Staff:
    """A browser-like session of one signed-in user."""

    site: LiveServer
    http: requests.Session
    csrf: str

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.site.url + path, allow_redirects=False, timeout=60)

    def post(self, path: str, data: dict[str, Any]) -> requests.Response:
        form = {"csrf_token": self.csrf, **data}
        return self.http.post(self.site.url + path, data=form, allow_redirects=False, timeout=60)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "the page has no form"
    return found.group(1)


_signed_in: dict[tuple[str, str], Staff] = {}


def staff(site: LiveServer, name: str) -> Staff:
    key = (site.url, name)
    if key not in _signed_in:
        http = requests.Session()
        login = _csrf(http.get(site.url + "/user/login", timeout=60).text)
        response = http.post(
            site.url + "/user/login",
            data={"csrf_token": login, "name": name, "password": f"pw-{name}-0000"},
            allow_redirects=False,
            timeout=60,
        )
        assert response.status_code == 303, response.text
        csrf = _csrf(http.get(site.url + "/staff/datasets", timeout=60).text)
        _signed_in[key] = Staff(site, http, csrf)
    return _signed_in[key]


def row_names(page: str) -> list[str]:
    """The URL names of the table's rows, in order."""
    return re.findall(r'<span class="dataset-name">([^<]+)</span>', page)


def row_ids(page: str) -> list[str]:
    return re.findall(r'name="dataset" value="([^"]+)"', page)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def site(server: LiveServer) -> LiveServer:
    """Organisation st-a (admin, editor) with a dataset of every kind the filters tell apart;
    st-b and st-c belong to others (st-editor collaborates on one st-c dataset)."""
    for name in ("st-admin", "st-editor", "st-other"):
        server.make_user(name)
    sysadmin = server.make_user("st-sys", sysadmin=True)
    for org in ("st-a", "st-b", "st-c"):
        server.act("organization_create", {"name": org, "title": f"組織 {org}"})
    for user, org, role in (
        ("st-admin", "st-a", "admin"),
        ("st-editor", "st-a", "editor"),
        ("st-other", "st-b", "admin"),
    ):
        server.act("organization_member_create", {"id": org, "username": user, "role": role})
    csv_link = {"url": "https://example.jp/a.csv", "format": "CSV", "name": "表"}
    old_pdf = {
        "url": "https://example.jp/old.pdf",
        "format": "PDF",
        "last_modified": "2020-01-01T00:00:00",
    }
    for name, org, fields in (
        ("st-plain", "st-a", {"license_id": "cc-by-4.0", "resources": [csv_link]}),
        ("st-private", "st-a", {"private": True}),
        ("st-draft", "st-a", {"state": "draft"}),
        ("st-overdue", "st-a", {"frequency": "monthly", "resources": [old_pdf]}),
        ("st-standard", "st-a", {"standard_id": "evacuation_space"}),
        ("st-errors", "st-a", {}),
        ("st-b-public", "st-b", {}),
        ("st-c-private", "st-c", {"private": True}),
        ("st-c-shared", "st-c", {"private": True}),
    ):
        server.act(
            "package_create",
            {"name": name, "title": f"表示 {name}", "owner_org": org, **fields},
        )
    server.act(
        "package_collaborator_create",
        {"id": "st-c-shared", "user_id": "st-editor", "capacity": "member"},
    )
    broken = (QUALITY / "03_evacuation_broken.csv").read_bytes()
    server.ckan(sysadmin).action.resource_create(
        package_id="st-errors", name="避難所", upload=("evac.csv", io.BytesIO(broken))
    )
    wait_until(
        lambda: server.act(
            "package_search", {"fq": "quality_errors:true", "include_private": True}
        )["count"],
        "the broken file's check to find errors",
    )
    return server


MINE = {"st-plain", "st-private", "st-draft", "st-overdue", "st-standard", "st-errors"}


def test_the_table_lists_what_the_user_works_on(site: LiveServer) -> None:
    editor = set(row_names(staff(site, "st-editor").get("/staff/datasets").text))
    assert editor == MINE | {"st-c-shared"}
    admin = set(row_names(staff(site, "st-sys").get("/staff/datasets?rows=100").text))
    assert MINE | {"st-b-public", "st-c-private", "st-c-shared"} <= admin
    # Another organisation's admin sees none of st-a's private datasets or drafts.
    other = set(row_names(staff(site, "st-other").get("/staff/datasets").text))
    assert other == {"st-b-public"}


def test_signed_out_visitors_are_sent_to_sign_in(site: LiveServer) -> None:
    response = requests.get(f"{site.url}/staff/datasets", allow_redirects=False, timeout=60)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/user/login")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=draft", {"st-draft"}),
        ("visibility=private", {"st-private", "st-c-shared"}),
        ("organization=st-a", MINE),
        ("res_format=pdf", {"st-overdue"}),
        ("standard=evacuation_space", {"st-standard", "st-errors"}),
        ("stars=3", {"st-plain"}),
        ("overdue=1", {"st-overdue"}),
        ("errors=1", {"st-errors"}),
        ("q=st-plain", {"st-plain"}),
        ("organization=st-a&visibility=public&stars=0", MINE - {"st-plain", "st-private"}),
    ],
)
def test_each_filter_narrows_the_table(site: LiveServer, query: str, expected: set[str]) -> None:
    page = staff(site, "st-editor").get(f"/staff/datasets?{query}")
    assert page.status_code == 200
    assert set(row_names(page.text)) == expected
    assert f"{len(expected)} 件のデータセット" in text_of(page.text)


def test_unknown_filter_values_are_ignored(site: LiveServer) -> None:
    page = staff(site, "st-editor").get(
        '/staff/datasets?state=deleted&stars=9&organization="x" OR *&sort=drop&rows=7&page=-1'
    )
    assert page.status_code == 200
    assert set(row_names(page.text)) == MINE | {"st-c-shared"}


def test_a_bad_search_is_shown_not_crashed(site: LiveServer) -> None:
    page = staff(site, "st-editor").get("/staff/datasets?q=title:(")
    assert page.status_code == 200
    assert 'role="alert"' in page.text
    assert row_names(page.text) == []


def test_sorting_by_a_column_and_paging(site: LiveServer) -> None:
    site.act("organization_create", {"name": "st-d", "title": "組織 st-d"})
    site.act("organization_member_create", {"id": "st-d", "username": "st-other", "role": "admin"})
    names = [f"st-page-{i:02d}" for i in range(30)]
    for i, name in enumerate(names):
        site.act(
            "package_create",
            {"name": name, "title": f"頁 {i:02d}", "owner_org": "st-d", "private": i % 2 == 0},
        )
    other = staff(site, "st-other")
    first = other.get("/staff/datasets?organization=st-d&sort=title&dir=asc&rows=25")
    assert row_names(first.text) == names[:25]
    assert 'aria-sort="ascending"' in first.text
    assert "1 / 2 ページ" in text_of(first.text)
    second = other.get("/staff/datasets?organization=st-d&sort=title&dir=asc&rows=25&page=2")
    assert row_names(second.text) == names[25:]
    descending = other.get("/staff/datasets?organization=st-d&sort=title&dir=desc&rows=25")
    assert 'aria-sort="descending"' in descending.text
    assert row_names(descending.text) == names[::-1][:25]
    # The column heading links keep the filters and flip the direction.
    assert 'href="?organization=st-d&amp;sort=title&amp;rows=25"' in descending.text


# -- bulk changes through the pages --------------------------------------------------------------


def _fresh(site: LiveServer, org: str, **fields: Any) -> str:
    name = f"st-bulk-{len(_made)}"
    _made.append(name)
    site.act("package_create", {"name": name, "title": f"一括 {name}", "owner_org": org, **fields})
    return str(site.act("package_show", {"id": name})["id"])


_made: list[str] = []


def _shown(site: LiveServer, ref: str) -> dict[str, Any]:
    return dict(site.act("package_show", {"id": ref}))


def test_make_public_confirms_then_changes_only_what_the_admin_may(site: LiveServer) -> None:
    mine = [_fresh(site, "st-a", private=True) for _ in range(2)]
    already = _fresh(site, "st-a")
    theirs = _fresh(site, "st-b", private=False)
    secret = _fresh(site, "st-c", private=True)
    selection = [*mine, already, theirs, secret]
    admin = staff(site, "st-admin")
    form = {"choice": "public", "dataset": selection, "back": "?visibility=private"}

    confirm = admin.post("/staff/datasets/bulk", form)
    assert confirm.status_code == 200
    shown = text_of(confirm.text)
    assert "選んだ 5 件のうち、2 件が変わります。" in shown
    assert "組織の管理者だけが一括で公開できます" in shown  # st-b's dataset
    assert "見つからないか、見る権限がありません" in shown  # st-c's private one
    assert _shown(site, secret)["name"] not in confirm.text  # listed by id only
    assert "2 件を変更する" in shown
    assert all(_shown(site, ref)["private"] for ref in mine)  # nothing changed yet

    result = admin.post("/staff/datasets/bulk/apply", form)
    assert result.status_code == 200
    assert "2 件を変更しました。" in text_of(result.text)
    assert 'href="/staff/datasets?visibility=private"' in result.text
    assert [_shown(site, ref)["private"] for ref in mine] == [False, False]
    assert _shown(site, theirs)["private"] is False and _shown(site, secret)["private"] is True
    activity = site.act("package_activity_list", {"id": mine[0]})
    assert activity[0]["activity_type"] == "changed package"


def test_an_editor_may_not_use_the_ckan_bulk_changes(site: LiveServer) -> None:
    target = _fresh(site, "st-a", private=True)
    result = staff(site, "st-editor").post(
        "/staff/datasets/bulk/apply", {"choice": "public", "dataset": [target]}
    )
    assert result.status_code == 200
    assert "0 件を変更しました。" in text_of(result.text)
    assert _shown(site, target)["private"] is True


def test_delete_and_private_through_the_pages(site: LiveServer) -> None:
    doomed, hidden = _fresh(site, "st-a"), _fresh(site, "st-a")
    admin = staff(site, "st-admin")
    confirm = admin.post("/staff/datasets/bulk", {"choice": "delete", "dataset": [doomed]})
    assert 'class="button-danger"' in confirm.text
    admin.post("/staff/datasets/bulk/apply", {"choice": "delete", "dataset": [doomed]})
    assert _shown(site, doomed)["state"] == "deleted"
    admin.post("/staff/datasets/bulk/apply", {"choice": "private", "dataset": [hidden]})
    assert _shown(site, hidden)["private"] is True
    assert doomed not in row_ids(admin.get("/staff/datasets?rows=100").text)


def test_the_personal_data_guard_stops_one_dataset_only(site: LiveServer) -> None:
    listed = _fresh(site, "st-a", private=True)
    clean = _fresh(site, "st-a", private=True)
    for ref, body in ((listed, PII_CSV), (clean, CLEAN_CSV)):
        site.act(
            "resource_create",
            {"package_id": ref, "name": "名簿", "upload": Upload("p.csv", io.BytesIO(body))},
        )
    result = staff(site, "st-admin").post(
        "/staff/datasets/bulk/apply", {"choice": "public", "dataset": [listed, clean]}
    )
    shown = text_of(result.text)
    assert "1 件を変更しました。" in shown
    assert "保存のときの検査で止められました" in shown
    assert _shown(site, listed)["private"] is True
    assert _shown(site, clean)["private"] is False


def test_tags_categories_and_moves_through_the_pages(site: LiveServer) -> None:
    site.act("group_create", {"name": "st-bousai", "title": "防災カテゴリ"})
    first, second = _fresh(site, "st-a"), _fresh(site, "st-a")
    theirs = _fresh(site, "st-b")
    editor = staff(site, "st-editor")
    tagged = editor.post(
        "/staff/datasets/bulk/apply",
        {"choice": "tag_add", "tag": "避難所, 防災", "dataset": [first, second, theirs]},
    )
    shown = text_of(tagged.text)
    assert "2 件を変更しました。" in shown and "1 件は変更しませんでした。" in shown
    assert {t["name"] for t in _shown(site, first)["tags"]} == {"避難所", "防災"}
    assert _shown(site, theirs)["tags"] == []
    grouped = editor.post(
        "/staff/datasets/bulk/apply",
        {"choice": "group_add", "group": "st-bousai", "dataset": [first]},
    )
    assert "防災カテゴリ" in text_of(grouped.text)
    assert [g["name"] for g in _shown(site, first)["groups"]] == ["st-bousai"]
    # The editor may not add datasets to st-b: the whole move is refused.
    refused = editor.post(
        "/staff/datasets/bulk/apply", {"choice": "move", "target_org": "st-b", "dataset": [first]}
    )
    assert refused.status_code == 403
    assert _shown(site, first)["organization"]["name"] == "st-a"


def test_removals_a_move_and_checks_run_again_through_the_pages(site: LiveServer) -> None:
    """The operations the test above leaves out: tags and a category taken off, a move that
    the caller may make, and 品質チェックをやり直す on a dataset with a table."""
    site.act("group_create", {"name": "st-kankyo", "title": "環境カテゴリ"})
    tagged = _fresh(
        site, "st-a", tags=[{"name": "古い"}, {"name": "残す"}], groups=[{"name": "st-kankyo"}]
    )
    theirs = _fresh(site, "st-b", tags=[{"name": "古い"}])
    editor = staff(site, "st-editor")

    untagged = editor.post(
        "/staff/datasets/bulk/apply",
        {"choice": "tag_remove", "tag": "古い", "dataset": [tagged, theirs]},
    )
    shown = text_of(untagged.text)
    assert "1 件を変更しました。" in shown and "1 件は変更しませんでした。" in shown
    assert [t["name"] for t in _shown(site, tagged)["tags"]] == ["残す"]
    assert [t["name"] for t in _shown(site, theirs)["tags"]] == ["古い"]

    ungrouped = editor.post(
        "/staff/datasets/bulk/apply",
        {"choice": "group_remove", "group": "st-kankyo", "dataset": [tagged]},
    )
    assert "1 件を変更しました。" in text_of(ungrouped.text)
    assert _shown(site, tagged)["groups"] == []

    # A sysadmin may add datasets to any organisation: the move is confirmed, then made.
    sysadmin = staff(site, "st-sys")
    form = {"choice": "move", "target_org": "st-b", "dataset": [tagged]}
    confirm = sysadmin.post("/staff/datasets/bulk", form)
    assert "選んだ 1 件のうち、1 件が変わります。" in text_of(confirm.text)
    assert _shown(site, tagged)["organization"]["name"] == "st-a"
    moved = sysadmin.post("/staff/datasets/bulk/apply", form)
    assert "1 件を変更しました。" in text_of(moved.text)
    assert _shown(site, tagged)["organization"]["name"] == "st-b"

    # Checks run again for a dataset with a table; one without a table has nothing to run.
    with_table, without_table = _fresh(site, "st-a"), _fresh(site, "st-a")
    resource = site.act(
        "resource_create",
        {
            "package_id": with_table,
            "name": "人口",
            "upload": Upload("p.csv", io.BytesIO(CLEAN_CSV)),
        },
    )

    def checked() -> Any:
        return site.act("resource_validation_show", {"id": resource["id"]}).get("checked")

    first = wait_until(checked, "the file's first quality check")
    rerun = editor.post(
        "/staff/datasets/bulk/apply",
        {"choice": "validation", "dataset": [with_table, without_table]},
    )
    shown = text_of(rerun.text)
    assert "1 件を変更しました。" in shown and "1 件はすでにその状態でした。" in shown
    assert "品質チェックは順番に実行されます" in shown
    wait_until(checked, "the check to run again", until=lambda now: now and now != first)


def test_missing_choices_are_explained_on_the_confirmation_page(site: LiveServer) -> None:
    target = _fresh(site, "st-a")
    admin = staff(site, "st-admin")
    for form in (
        {"choice": "move", "target_org": "", "dataset": [target]},
        {"choice": "tag_add", "tag": "", "dataset": [target]},
        {"choice": "public"},
        {"choice": "purge", "dataset": [target]},
        # A NUL is in no name (and PostgreSQL refuses it in a query): bad input, not a 500.
        {"choice": "public", "dataset": [target, "x\x00y"]},
        {"choice": "group_add", "group": "g\x00", "dataset": [target]},
        {"choice": "move", "target_org": "st-b\x00", "dataset": [target]},
    ):
        page = admin.post("/staff/datasets/bulk", form)
        assert page.status_code == 409
        assert 'role="alert"' in page.text
    assert _shown(site, target)["organization"]["name"] == "st-a"


def test_bulk_posts_need_the_form_token_and_a_session(site: LiveServer) -> None:
    target = _fresh(site, "st-a", private=True)
    admin = staff(site, "st-admin")
    for token in ("", "forged"):
        response = admin.http.post(
            f"{site.url}/staff/datasets/bulk/apply",
            data={"csrf_token": token, "choice": "public", "dataset": target},
            allow_redirects=False,
            timeout=60,
        )
        assert response.status_code == 403
    anonymous = requests.post(
        f"{site.url}/staff/datasets/bulk/apply",
        data={"choice": "public", "dataset": target},
        allow_redirects=False,
        timeout=60,
    )
    assert anonymous.status_code == 303
    assert _shown(site, target)["private"] is True


def test_the_way_back_stays_on_the_table(site: LiveServer) -> None:
    target = _fresh(site, "st-a")
    page = staff(site, "st-admin").post(
        "/staff/datasets/bulk",
        {"choice": "private", "dataset": [target], "back": "https://evil.example/"},
    )
    assert "evil.example" not in page.text
    assert 'href="/staff/datasets"' in page.text
