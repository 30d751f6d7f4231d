"""Data requests and 活用事例 in a real browser (Chromium through Playwright): HTML and script in
a request stay text in the DOM (no element made, nothing run), a support is counted once per
browser, staff answer a request from the 要対応 line, and a use case with a WebP image goes from
the public form through approval to the list and the dataset page, its image still decodable
after the upload check rewrote it. axe-core finds nothing on any of these pages at desktop and
phone width (support/browser.py).

Its own small catalog: the prefecture (which triages), 下関市 with one public dataset, an
editor of 下関市 and a sysadmin.
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
from support.sample_images import WEBP

DATASET = "cb-shelters"
SCRIPT_TITLE = "<script>window.__pwned = 1</script>AED の場所"
IMG_TEXT = '<img src=x onerror="window.__pwned = 2">\n<b>太字</b> の二行目'


@pytest.fixture(scope="module")
def site() -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="community-") as tmp:
        live = LiveServer(
            data_dir=Path(tmp), database_url=f"sqlite:///{Path(tmp) / 'tsunagu.db'}"
        ).start()
        live.make_user("cb-editor")
        live.make_user("cb-root", sysadmin=True)
        for org, title, kind, code in (
            ("cb-pref", "山口県", "prefecture", "350001"),
            ("cb-city", "下関市", "municipality", "352012"),
        ):
            live.act(
                "organization_create",
                {"name": org, "title": title, "kind": kind, "local_gov_code": code},
            )
        live.act(
            "organization_member_create",
            {"id": "cb-city", "username": "cb-editor", "role": "editor"},
        )
        live.act(
            "package_create", {"name": DATASET, "title": "指定避難所一覧", "owner_org": "cb-city"}
        )
        yield live
        live.stop()


@pytest.fixture
def page(browser: Any, site: LiveServer) -> Iterator[Any]:
    with checked_page(browser, site.url) as page:
        yield page


def sign_in(page: Any, name: str) -> None:
    page.goto("/user/login")
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("パスワード").fill(f"pw-{name}-0000")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/staff$"))


def _post_request(page: Any, title: str, description: str) -> str:
    """Fill the request form with the keyboard's fields and send it; returns the request id."""
    page.goto("/request/new")
    page.get_by_label("ほしいデータ").fill(title)
    page.get_by_label("何に使いたいか、なぜ必要か").fill(description)
    page.get_by_label("どの組織のデータか（わかれば）").select_option(label="下関市")
    page.get_by_label("連絡先のメールアドレス（任意）").fill("browser-requester@example.jp")
    page.get_by_role("button", name="要望を送る").click()
    page.wait_for_url(re.compile(r"/request/[0-9a-f-]{36}\?posted=1$"))
    return str(page.url.rsplit("/", 1)[1].split("?")[0])


def test_html_and_script_in_a_request_stay_text(page: Any) -> None:
    page.goto("/request/new")
    assert check_page(page, review_name="request-new") == {}
    request_id = _post_request(page, SCRIPT_TITLE, IMG_TEXT)
    expect(page.get_by_role("status")).to_contain_text("要望を受け付けました")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("h1.request-title").text_content() == SCRIPT_TITLE
    description = page.locator(".request-description")
    assert description.text_content() == IMG_TEXT
    assert description.locator("*").count() == 0  # no <img>, no <b>: text only
    assert page.locator("main script, main img").count() == 0
    assert "browser-requester@example.jp" not in page.content()
    assert check_page(page, review_name="request") == {}

    page.goto("/request")
    card = page.locator(".request-card", has=page.locator(f'a[href="/request/{request_id}"]'))
    assert card.locator("h3 a").text_content() == SCRIPT_TITLE
    assert card.locator("script, img").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert check_page(page, review_name="requests") == {}


def test_a_browser_supports_a_request_once(page: Any, browser: Any, site: LiveServer) -> None:
    request_id = _post_request(page, "バス停の位置", "乗換案内に使いたい")
    support = page.get_by_role("button", name="賛同する（同じデータがほしい）")
    support.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"supported=1"))
    expect(page.locator("#support")).to_contain_text("このデータがほしい方：1 件")
    expect(page.locator("#support")).to_contain_text("この要望に賛同しています。")
    page.reload()
    expect(page.get_by_role("button", name="賛同する（同じデータがほしい）")).to_have_count(0)
    assert check_page(page) == {}

    with checked_page(browser, site.url) as other:  # another browser: its own support
        other.goto(f"/request/{request_id}")
        expect(other.locator("#support")).to_contain_text("このデータがほしい方：1 件")
        other.get_by_role("button", name="賛同する（同じデータがほしい）").click()
        expect(other.locator("#support")).to_contain_text("このデータがほしい方：2 件")


def test_staff_answer_a_request_from_the_attention_line(page: Any) -> None:
    request_id = _post_request(page, "AED の設置場所", "地図で探したい")
    sign_in(page, "cb-editor")
    line = page.locator("#attention-data_requests")
    expect(line).to_contain_text("回答を待っているデータ要望")
    line.locator(f'a[href="/staff/requests/{request_id}"]').click()
    page.wait_for_url(re.compile(rf"/staff/requests/{request_id}$"))
    expect(page.locator(".request-contact")).to_have_text("browser-requester@example.jp")
    assert check_page(page, review_name="staff-request") == {}
    page.get_by_label("状況").select_option(label="公開済")
    page.get_by_label("公開したデータセットの URL 名（公開済のとき）").fill(DATASET)
    page.get_by_label("回答（公開されます。対応不可のときは理由が必要です）").fill(
        "指定避難所一覧として公開しました。"
    )
    page.get_by_role("button", name="保存する").click()
    page.wait_for_url(re.compile(r"saved=1$"))
    expect(page.get_by_role("status")).to_contain_text("保存しました。")
    page.goto(f"/request/{request_id}")
    expect(page.locator(".request-answer a")).to_have_attribute("href", f"/dataset/{DATASET}")
    page.goto("/staff/requests")
    assert check_page(page, review_name="staff-requests") == {}


def test_a_use_case_with_an_image_is_submitted_approved_and_shown(
    page: Any, browser: Any, site: LiveServer
) -> None:
    with checked_page(browser, site.url) as visitor:
        visitor.goto(f"/showcase/new?dataset={DATASET}")
        assert check_page(visitor, review_name="showcase-new") == {}
        visitor.get_by_label(re.compile(r"^名前")).fill("ひなんマップ")
        visitor.get_by_label("どんなものか").fill("避難所を地図で探せます。<script>x()</script>")
        visitor.get_by_label("公開しているページの URL").fill("https://example.jp/hinan")
        expect(visitor.get_by_label("データ 1")).to_have_value(DATASET)
        visitor.get_by_label("画面の画像（任意）").set_input_files(
            {"name": "screen.webp", "mimeType": "image/webp", "buffer": WEBP}
        )
        visitor.get_by_role("button", name="送る", exact=True).click()
        expect(visitor.get_by_role("heading", level=1)).to_have_text("活用事例を受け付けました")
        assert check_page(visitor) == {}
        visitor.goto("/showcase")
        expect(visitor.locator(".showcase-card")).to_have_count(0)  # not before approval
        assert check_page(visitor, review_name="showcases") == {}

    sign_in(page, "cb-editor")
    page.goto("/staff/showcases")
    assert check_page(page, review_name="staff-showcases") == {}
    page.get_by_role("link", name="ひなんマップ").click()
    page.locator("img.showcase-image").scroll_into_view_if_needed()
    expect(page.locator("img.showcase-image")).to_have_js_property("complete", True)
    assert page.evaluate("document.querySelector('img.showcase-image').naturalWidth") == 4
    assert check_page(page, review_name="staff-showcase") == {}
    page.get_by_label("承認して公開する").check()
    page.get_by_role("button", name="決定する").click()
    expect(page.get_by_role("status")).to_contain_text("承認しました")

    page.goto("/showcase")
    card = page.locator(".showcase-card", has_text="ひなんマップ")
    expect(card).to_have_count(1)
    card.locator("img").scroll_into_view_if_needed()
    expect(card.locator("img")).to_have_js_property("complete", True)
    assert page.evaluate("document.querySelector('.showcase-card img').naturalWidth") == 4
    card.get_by_role("link", name="ひなんマップ").click()
    expect(page.locator(".showcase-notes")).to_have_text(
        "避難所を地図で探せます。<script>x()</script>"
    )
    assert page.locator("main script").count() == 0
    assert check_page(page, review_name="showcase") == {}
    page.goto(f"/dataset/{DATASET}")
    expect(page.locator(".dataset-showcases")).to_contain_text("ひなんマップ")
