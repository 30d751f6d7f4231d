"""Many files at once in a real browser: 30 standard files and a metadata sheet become 30 drafts
in one flow, a sheet in error is shown row by row and fixed, and the pages work without
JavaScript too; axe-core finds nothing on the upload, preview and status pages.

Every wait is on a condition (an element, a text, a URL), never a fixed sleep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import check_page, checked_page, expect
from support.live_server import LiveServer
from tsunagu.demo.standard_bundle import metadata_sheet, standard_files

ORG = "yamaguchi-pref"
CLERK = "batch-clerk"
PASSWORD = "pw-batch-clerk-0000"


@pytest.fixture(scope="module")
def batch_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("web-batch")
    live = LiveServer(
        data_dir=tmp,
        database_url=f"sqlite:///{tmp / 'tsunagu.db'}",
        max_upload_bytes=20 * 1024 * 1024,
    ).start()
    live.act(
        "organization_create",
        {"name": ORG, "title": "山口県", "kind": "prefecture", "local_gov_code": "350001"},
    )
    live.act("group_create", {"name": "bousai", "title": "防災"})
    live.act(
        "user_create",
        {"name": CLERK, "email": f"{CLERK}@example.jp", "password": PASSWORD},
    )
    live.act("organization_member_create", {"id": ORG, "username": CLERK, "role": "editor"})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    """The 30 files (15 kinds for 下関市 and 山口市) and their metadata sheet, on disk."""
    folder = tmp_path_factory.mktemp("bundle")
    files = standard_files()
    paths = []
    for name, content in files.items():
        (folder / name).write_bytes(content)
        paths.append(folder / name)
    sheet = folder / "メタデータ.xlsx"
    sheet.write_bytes(metadata_sheet(list(files), category="防災"))
    return paths, sheet


@pytest.fixture
def page(browser: Any, batch_server: LiveServer) -> Iterator[Any]:
    with checked_page(browser, batch_server.url, refuse_dialogs=True) as page:
        yield page


@pytest.fixture
def plain_page(browser: Any, batch_server: LiveServer) -> Iterator[Any]:
    with checked_page(
        browser, batch_server.url, refuse_dialogs=True, java_script_enabled=False
    ) as page:
        yield page


def sign_in(page: Any) -> None:
    page.goto("/user/login")
    page.get_by_label("ユーザー名").fill(CLERK)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/staff$"))


def _drafts(server: LiveServer) -> list[dict[str, Any]]:
    found = server.act(
        "package_search",
        {"fq": f"organization:{ORG}", "include_drafts": True, "include_private": True, "rows": 100},
    )
    return list(found["results"])


def test_thirty_standard_files_and_a_sheet_become_thirty_drafts_in_one_flow(
    page: Any, batch_server: LiveServer, bundle: tuple[list[Path], Path]
) -> None:
    files, sheet = bundle
    sign_in(page)
    page.get_by_role("link", name="まとめて登録").click()
    page.wait_for_url(re.compile(r"/staff/batch$"))
    assert check_page(page, review_name="staff-batch") == {}

    page.get_by_label("組織", exact=True).select_option(ORG)
    page.get_by_label("データのファイル（複数選べます。zip も使えます）").set_input_files(files)
    expect(page.locator(".drop-summary")).to_contain_text("30 個のファイルを選んでいます")
    page.get_by_label("メタデータシート（任意。Excel か CSV）").set_input_files(sheet)
    page.get_by_role("button", name="プレビューする").click()

    page.wait_for_url(re.compile(r"/staff/batch/[0-9a-f-]{36}$"))
    expect(page.locator(".batch-summary")).to_contain_text("30 件のうち 30 件は作成できます")
    rows = page.locator("table.batch-rows tbody tr")
    expect(rows).to_have_count(30)
    expect(page.locator("table.batch-rows .badge-standard")).to_have_count(30)
    first = rows.first
    expect(first.locator("th")).to_have_text("3 行目")  # under the sheet's title row and header
    expect(first).to_contain_text("下関市 指定緊急避難場所一覧")
    expect(first).to_contain_text("evacuation_space")
    assert check_page(page, review_name="staff-batch-preview") == {}

    page.get_by_role("button", name="30 件を下書きとして作成する").click()
    state = page.locator("#batch-state-text")
    # The script follows the job: the page shows the drafts once made, then every table loaded.
    expect(state).to_contain_text("すべて終わりました。", timeout=240_000)
    expect(state).to_contain_text("作成しました")
    expect(page.locator("#batch-datasets-text")).to_have_text("30 / 30 件")
    expect(page.locator("#batch-tables-text")).to_have_text("30 / 30 件（エラー 0 件）")
    expect(page.locator("table.batch-rows .badge-draft")).to_have_count(30)
    expect(page.get_by_role("link", name="最新の状態を表示する")).to_be_hidden()
    assert check_page(page, review_name="staff-batch-status") == {}

    drafts = _drafts(batch_server)
    assert len(drafts) == 30
    assert {d["state"] for d in drafts} == {"draft"}
    assert all(d["resources"][0]["datastore_active"] for d in drafts)
    by_name = {d["name"]: d for d in drafts}
    evacuation = by_name["352012_evacuation_space"]
    assert evacuation["title"] == "下関市 指定緊急避難場所一覧"
    assert evacuation["standard_id"] == "evacuation_space"
    assert evacuation["license_id"] == "cc-by-4.0"
    assert [g["name"] for g in evacuation["groups"]] == ["bousai"]

    # Each draft is one click away, on its staff page.
    page.get_by_role("link", name="山口市 AED設置箇所一覧").click()
    page.wait_for_url(re.compile(r"/staff/dataset/352039_aed_location$"))


def test_rows_in_error_are_shown_and_fixed_with_the_keyboard(
    page: Any, batch_server: LiveServer, bundle: tuple[list[Path], Path], tmp_path: Path
) -> None:
    files, _ = bundle
    toilet = next(p for p in files if p.name == "352012_public_toilet.csv")
    renamed = tmp_path / "352012_public_toilet_2025.csv"
    renamed.write_bytes(toilet.read_bytes())
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "タイトル,ファイル名,ライセンス\r\n"
        f"トイレ 2025,{renamed.name},CC BY 4.0\r\n"
        "まだ送っていない表,352012_later.csv,CC BY 4.0\r\n",
        encoding="utf-8-sig",
    )
    sign_in(page)
    page.goto("/staff/batch")
    # Dropped files land in the file input, as if chosen in the dialog.
    page.evaluate(
        """(name) => {
          const zone = document.querySelector('.drop-zone');
          const data = new DataTransfer();
          data.items.add(new File(['a,b\\n1,2\\n'], name, {type: 'text/csv'}));
          zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true}));
        }""",
        "dropped.csv",
    )
    expect(page.locator(".drop-summary")).to_contain_text("1 個のファイルを選んでいます")
    page.get_by_label("データのファイル（複数選べます。zip も使えます）").set_input_files(renamed)
    page.get_by_label("メタデータシート（任意。Excel か CSV）").set_input_files(sheet)
    page.get_by_role("button", name="プレビューする").focus()
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/staff/batch/[0-9a-f-]{36}$"))
    error_row = page.locator("table.batch-rows tbody tr.batch-row-error")
    expect(error_row).to_have_count(1)
    expect(error_row).to_contain_text("352012_later.csv")
    expect(error_row.locator("th")).to_have_text("3 行目")
    expect(page.locator("#batch-not-ready")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("下書きとして作成する"))).to_have_count(0)
    assert check_page(page) == {}

    later = tmp_path / "352012_later.csv"
    later.write_bytes(toilet.read_bytes())
    page.get_by_label("ファイルを追加（同じ名前なら差し替え）").set_input_files(later)
    page.get_by_role("button", name="プレビューし直す").focus()
    page.keyboard.press("Enter")
    create = page.get_by_role("button", name="2 件を下書きとして作成する")
    expect(create).to_be_visible()
    create.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#batch-state-text")).to_contain_text(
        "すべて終わりました。", timeout=120_000
    )
    names = {d["name"] for d in _drafts(batch_server)}
    assert {"352012_public_toilet_2025", "352012_later"} <= names


def test_without_javascript_the_status_page_refreshes_by_link(
    plain_page: Any, batch_server: LiveServer, bundle: tuple[list[Path], Path]
) -> None:
    page = plain_page
    files, _ = bundle
    event = next(p for p in files if p.name == "352039_event.csv")
    sign_in(page)
    page.goto("/staff/batch")
    page.get_by_label("データのファイル（複数選べます。zip も使えます）").set_input_files(event)
    page.get_by_role("radio", name="すべてのファイルを 1 つのデータセットにまとめる").check()
    page.get_by_label(re.compile("まとめたデータセットのタイトル")).fill(
        "山口市 イベント（JS なし）"
    )
    page.get_by_role("button", name="プレビューする").click()
    page.get_by_role("button", name="1 件を下書きとして作成する").click()
    page.wait_for_url(re.compile(r"/staff/batch/[0-9a-f-]{36}$"))
    state = page.locator("#batch-state-text")

    def finished() -> bool:
        if "すべて終わりました。" in state.inner_text():
            return True
        page.get_by_role("link", name="最新の状態を表示する").click()
        page.wait_for_load_state()
        return False

    from support.waiting import wait_until

    wait_until(finished, "the batch to finish, following the refresh link", every=1.0)
    expect(page.get_by_role("link", name="山口市 イベント（JS なし）")).to_be_visible()
