"""The staff dataset table in a real browser (Chromium through Playwright): filtering, sorting,
paging, and a bulk change through its confirmation and result pages, done with the keyboard;
axe-core finds nothing on the three pages at desktop and phone width (support/browser.py).

Its own small catalog (no demo load): organisation bt-city with 30 datasets, 12 of them
private, and one dataset of bt-town that the signed-in admin may see but not change.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import check_page, checked_page, expect
from support.live_server import LiveServer

PRIVATE = [f"bt-{i:02d}" for i in range(30) if i % 5 in (0, 2)]  # 12 private datasets


@pytest.fixture(scope="module")
def table_site() -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="staff-table-") as tmp:
        live = LiveServer(
            data_dir=Path(tmp), database_url=f"sqlite:///{Path(tmp) / 'tsunagu.db'}"
        ).start()
        live.make_user("bt-admin")
        for org, title in (("bt-city", "ブラウザ市"), ("bt-town", "ブラウザ町")):
            live.act("organization_create", {"name": org, "title": title})
        live.act(
            "organization_member_create", {"id": "bt-city", "username": "bt-admin", "role": "admin"}
        )
        live.act(
            "organization_member_create",
            {"id": "bt-town", "username": "bt-admin", "role": "member"},
        )
        for i in range(30):
            name = f"bt-{i:02d}"
            live.act(
                "package_create",
                {
                    "name": name,
                    "title": f"ブラウザ試験 {i:02d}",
                    "owner_org": "bt-city",
                    "private": name in PRIVATE,
                },
            )
        live.act(
            "package_create",
            {
                "name": "bt-town-private",
                "title": "ブラウザ試験 町の非公開",
                "owner_org": "bt-town",
                "private": True,
            },
        )
        yield live
        live.stop()


@pytest.fixture
def page(browser: Any, table_site: LiveServer) -> Iterator[Any]:
    with checked_page(browser, table_site.url) as page:
        yield page


def sign_in(page: Any, name: str) -> None:
    page.goto("/user/login")
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("パスワード").fill(f"pw-{name}-0000")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/staff$"))


def names_shown(page: Any) -> list[str]:
    return [str(t) for t in page.locator(".staff-table .dataset-name").all_inner_texts()]


def test_staff_filter_sort_page_and_make_public(page: Any, table_site: LiveServer) -> None:
    sign_in(page, "bt-admin")
    expect(page.locator('main a[href="/staff/datasets"]').first).to_be_visible()
    page.goto("/staff/datasets")
    caption = page.locator(".staff-table caption")
    expect(caption).to_contain_text("31 件のデータセット")
    assert check_page(page, review_name="staff-datasets") == {}

    # Filter with the form: organisation and visibility, 25 rows a page.
    page.get_by_label("組織", exact=True).select_option("bt-city")
    page.get_by_label("公開範囲").select_option("private")
    page.get_by_label("表示件数").select_option("25")
    page.get_by_role("button", name="絞り込む").click()
    page.wait_for_url(re.compile(r"visibility=private"))
    expect(caption).to_contain_text("12 件のデータセット")
    assert sorted(names_shown(page)) == PRIVATE

    # Sort by title from the column heading: ascending, then descending.
    title_header = page.locator(".staff-table thead th", has_text="タイトル")
    title_header.get_by_role("link").click()
    expect(title_header).to_have_attribute("aria-sort", "ascending")
    assert names_shown(page) == PRIVATE
    title_header.get_by_role("link").click()
    expect(title_header).to_have_attribute("aria-sort", "descending")
    assert names_shown(page) == PRIVATE[::-1]
    assert "visibility=private" in page.url  # the filters stay

    # Paging over every bt-city dataset, 25 a page.
    page.goto("/staff/datasets?organization=bt-city&rows=25&sort=title")
    expect(caption).to_contain_text("1 / 2 ページ")
    page.get_by_role("link", name="次へ").click()
    expect(caption).to_contain_text("2 / 2 ページ")
    assert names_shown(page) == [f"bt-{i:02d}" for i in range(25, 30)]

    # Select every private dataset of the page and one the admin may not change, with the
    # keyboard only; then choose "公開する" and go to the confirmation.
    page.goto("/staff/datasets?visibility=private&sort=title")
    expect(caption).to_contain_text("13 件のデータセット")  # bt-town's too: a member sees it
    select_all = page.get_by_label("このページのデータセットをすべて選択")
    select_all.focus()
    page.keyboard.press("Space")
    expect(page.locator("#bulk-count")).to_have_text("13 件を選択中")
    choice = page.get_by_label("操作")
    choice.focus()
    choice.select_option("public")
    expect(page.get_by_label("移動先の組織")).to_be_hidden()  # only the chosen operation's fields
    page.get_by_role("button", name="確認へ進む").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/datasets/bulk$"))
    expect(page.locator("h1")).to_contain_text("一括操作の確認")
    expect(page.locator(".bulk-summary")).to_contain_text("選んだ 13 件のうち、12 件が変わります。")
    skipped = page.locator("#skipped-caption").locator("xpath=ancestor::table")
    expect(skipped).to_contain_text("ブラウザ試験 町の非公開")
    expect(skipped).to_contain_text("組織の管理者だけが一括で公開できます")
    assert check_page(page, review_name="staff-bulk-confirm") == {}
    # Nothing has changed before the confirmation.
    assert table_site.act("package_show", {"id": "bt-00"})["private"] is True

    page.get_by_role("button", name="12 件を変更する").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/datasets/bulk/apply$"))
    expect(page.locator(".bulk-summary")).to_contain_text("12 件を変更しました。")
    expect(page.locator(".bulk-summary")).to_contain_text("1 件は変更しませんでした。")
    assert check_page(page, review_name="staff-bulk-result") == {}
    for name in PRIVATE:
        assert table_site.act("package_show", {"id": name})["private"] is False
    assert table_site.act("package_show", {"id": "bt-town-private"})["private"] is True

    # Back to the table, filtered as before: only bt-town's dataset is still private.
    page.get_by_role("link", name="一覧に戻る").click()
    page.wait_for_url(re.compile(r"/staff/datasets\?visibility=private"))
    assert names_shown(page) == ["bt-town-private"]


def test_the_table_works_without_javascript(browser: Any, table_site: LiveServer) -> None:
    """Row checkboxes, the operation's fields and the confirmation work with scripts off."""
    with checked_page(browser, table_site.url, java_script_enabled=False) as page:
        sign_in(page, "bt-admin")
        page.goto("/staff/datasets?organization=bt-city&sort=title")
        expect(page.get_by_label("このページのデータセットをすべて選択")).to_be_hidden()
        page.get_by_label("選択: ブラウザ試験 01").check()
        page.get_by_label("操作").select_option("tag_add")
        page.get_by_label("タグ", exact=True).fill("スクリプトなし")
        page.get_by_role("button", name="確認へ進む").click()
        expect(page.locator(".bulk-summary")).to_contain_text(
            "選んだ 1 件のうち、1 件が変わります。"
        )
        page.get_by_role("button", name="1 件を変更する").click()
        expect(page.locator(".bulk-summary")).to_contain_text("1 件を変更しました。")
        tags = table_site.act("package_show", {"id": "bt-01"})["tags"]
        assert [t["name"] for t in tags] == ["スクリプトなし"]
