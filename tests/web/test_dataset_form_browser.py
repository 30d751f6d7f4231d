"""The staff dataset form in a real browser (Chromium through Playwright): the URL name suggested
from a Japanese title and checked as one types, a failed submit with its errors inline, then
frequency, area, dates in 和暦 and the contact point saved; axe finds nothing on the form, its
error state or the edit form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import (
    check_page,
    checked_page,
    expect,
)
from support.live_server import LiveServer

TITLE = "下関市 指定緊急避難場所一覧"
SLUG = "shimonosekishi-shitei-kinkyuhinan-basho-ichiran"


@pytest.fixture(scope="module")
def form_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp: Path = tmp_path_factory.mktemp("form-browser")
    live = LiveServer(data_dir=tmp, database_url=f"sqlite:///{tmp / 'tsunagu.db'}").start()
    live.make_user("fb-editor")
    live.act(
        "organization_create",
        {
            "name": "shimonoseki-city",
            "title": "下関市",
            "kind": "municipality",
            "local_gov_code": "352012",
        },
    )
    live.act(
        "organization_member_create",
        {"id": "shimonoseki-city", "username": "fb-editor", "role": "editor"},
    )
    # Someone published this title before: the suggestion must not clash with it.
    live.act("package_create", {"name": SLUG, "title": TITLE, "owner_org": "shimonoseki-city"})
    yield live
    live.stop()


@pytest.fixture
def page(browser: Any, form_server: LiveServer) -> Iterator[Any]:
    with checked_page(browser, form_server.url) as page:
        yield page


def sign_in(page: Any) -> None:
    page.goto("/user/login")
    page.get_by_label("ユーザー名").fill("fb-editor")
    page.get_by_label("パスワード").fill("pw-fb-editor-0000")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/staff$"))


def test_the_form_suggests_a_name_and_saves_frequency_area_and_contact(
    page: Any, form_server: LiveServer
) -> None:
    sign_in(page)
    page.goto("/staff/dataset/new")
    assert check_page(page, review_name="staff-dataset-form") == {}

    name = page.get_by_label(re.compile("URL に使う名前"))
    status = page.locator("#f-name-status")
    page.get_by_label("タイトル").fill(TITLE)
    # Suggested from the title in romaji, and free: the published one's name gets -2.
    expect(name).to_have_value(f"{SLUG}-2")
    expect(status).to_contain_text(f"「{SLUG}-2」")

    # Typing a name that is taken says so, and offers the free one.
    name.fill(SLUG)
    expect(status).to_contain_text("既に使われています")
    status.get_by_role("button", name=f"「{SLUG}-2」を使う").click()
    expect(name).to_have_value(f"{SLUG}-2")
    expect(status).to_contain_text("使えます")

    page.get_by_label("更新頻度").select_option(label="毎月")
    page.get_by_label("地域 1", exact=True).fill("山口県下関市 352012")
    page.get_by_label("開始日").fill("令和6年4月1日")
    page.get_by_label("終了日").fill("R7.3.31")
    page.get_by_label("担当課").fill("防災危機管理課")
    page.get_by_label("メールアドレス").fill("bousai@city.shimonoseki.example.jp")
    page.get_by_label("電話番号").fill("231-1111")  # no area code: refused
    page.get_by_label("準拠する自治体標準オープンデータセット").select_option(
        label="03 指定緊急避難場所"
    )
    page.get_by_role("button", name="下書きを作成して次へ").click()

    # The error is next to the phone field; everything else is as typed.
    phone = page.get_by_label("電話番号")
    expect(page.locator("#err-contact_phone")).to_contain_text("市外局番")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("開始日")).to_have_value("令和6年4月1日")
    expect(page.get_by_label("地域 1", exact=True)).to_have_value("山口県下関市 352012")
    expect(page.get_by_label("更新頻度")).to_have_value("monthly")
    expect(name).to_have_value(f"{SLUG}-2")
    assert check_page(page, review_name="staff-dataset-form-errors") == {}

    phone.fill("083-231-1111")
    page.get_by_role("button", name="下書きを作成して次へ").click()
    page.wait_for_url(re.compile(f"/staff/dataset/{SLUG}-2$"))

    saved = form_server.act("package_show", {"id": f"{SLUG}-2"})
    assert (saved["frequency"], saved["frequency_label"]) == ("monthly", "毎月")
    assert (saved["spatial_codes"], saved["spatial"]) == (["352012"], "山口県下関市")
    assert (saved["temporal_start"], saved["temporal_end"]) == ("2024-04-01", "2025-03-31")
    assert (saved["contact_name"], saved["contact_email"], saved["contact_phone"]) == (
        "防災危機管理課",
        "bousai@city.shimonoseki.example.jp",
        "083-231-1111",
    )
    assert saved["standard_id"] == "evacuation_space"

    # The edit form on the staff page shows it all again.
    page.get_by_text("データセットの情報を編集").click()
    expect(page.get_by_label("更新頻度")).to_have_value("monthly")
    expect(page.get_by_label("地域 1", exact=True)).to_have_value("山口県下関市 352012")
    expect(page.get_by_label("電話番号")).to_have_value("083-231-1111")
    assert check_page(page, review_name="staff-dataset-edit-form") == {}


def test_a_suggestion_answered_while_a_name_is_being_typed_is_dropped(page: Any) -> None:
    sign_in(page)
    page.goto("/staff/dataset/new")
    held: list[Any] = []  # the suggestion's request, answered when the test says

    def hold(route: Any) -> None:
        held.append(route)

    page.route(re.compile("package_name_suggest"), hold)
    name = page.get_by_label(re.compile("URL に使う名前"))
    with page.expect_request(re.compile("package_name_suggest")):
        page.get_by_label("タイトル").fill(TITLE)
    name.focus()  # about to type the name while the suggestion is on its way
    with page.expect_response(re.compile("package_name_suggest")):
        held[0].continue_()
    name.press_sequentially("my-own-name")
    expect(name).to_have_value("my-own-name")
    # Leaving the field empty offers a suggestion again.
    page.unroute(re.compile("package_name_suggest"))
    name.fill("")
    page.get_by_label("タイトル").focus()
    expect(name).to_have_value(re.compile(f"^{SLUG}-[0-9]+$"))  # -2 unless another test took it
