"""Residents and staff using the portal in a real browser, with axe-core accessibility checks
and screenshots of every page type at desktop and phone width."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import VIEWPORTS, axe_violations, screenshot
from support.live_server import LiveServer

CORPUS = Path(__file__).resolve().parents[1] / "data" / "datastore"


@pytest.fixture
def page(browser: Any, demo_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(
        base_url=demo_server.url, locale="ja-JP", viewport=VIEWPORTS["desktop"]
    )
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    assert not dialogs, f"a script ran from data: {dialogs}"
    assert not errors, f"JavaScript errors: {errors}"
    context.close()


def sign_in(page: Any, name: str) -> None:
    page.goto("/user/login")
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("パスワード").fill(f"demo-{name}")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/staff$"))


def test_resident_finds_and_uses_evacuation_data(page: Any, demo_server: LiveServer) -> None:
    page.goto("/")
    page.get_by_label("キーワードで探す").fill("避難所")
    page.get_by_label("キーワードで探す").press("Enter")
    page.wait_for_url(re.compile(r"/dataset\?q="))
    assert "件のデータセット" in page.locator("#results-heading").inner_text()
    page.locator(".facets a", has_text="下関市").first.click()
    page.wait_for_url(re.compile("organization=shimonoseki-city"))
    page.locator(".dataset-card h3 a", has_text="避難").first.click()
    assert page.locator("h1").inner_text()
    preview = page.locator(".ds-preview").first
    assert preview.locator("tbody tr").count() > 0
    page.locator(".leaflet-container").first.wait_for()
    page.locator(".leaflet-marker-icon, .marker-cluster").first.wait_for()
    chart = page.locator("form.ds-chart").first
    if chart.count():
        chart.get_by_role("button", name="グラフを表示").click()
        page.locator(".ds-chart-status").first.wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("CSV（Excel 向け UTF-8）")).first.click()
    assert download.value.suggested_filename.endswith(".csv")


def test_preview_paging_sorting_and_filtering(page: Any) -> None:
    page.goto("/dataset?q=AED")
    page.locator(".dataset-card h3 a").first.click()
    preview = page.locator(".ds-preview").first
    first_rows = preview.locator("tbody").inner_text()
    next_button = preview.get_by_role("button", name="次へ")
    if next_button.count() and next_button.is_enabled():
        next_button.click()
        page.wait_for_function(
            "([el, before]) => el.innerText !== before",
            arg=[preview.locator("tbody").element_handle(), first_rows],
        )
    header = preview.locator("thead th button").first
    header.click()
    assert preview.locator("thead th[aria-sort]").count() >= 1


def test_staff_uploads_excel_and_publishes(page: Any, demo_server: LiveServer) -> None:
    sign_in(page, "shimonoseki-editor")
    page.get_by_role("link", name="データを公開する").click()
    page.get_by_label("タイトル").fill("下関市 観光入込客数（ブラウザ試験）")
    page.get_by_label(re.compile("URL に使う名前")).fill("browser-test-visitors")
    page.get_by_role("button", name="下書きを作成して次へ").click()
    page.wait_for_url(re.compile("/staff/dataset/browser-test-visitors"))
    page.get_by_label("ファイル", exact=True).set_input_files(
        str(CORPUS / "xlsx_merged_header.xlsx")
    )
    page.get_by_role("button", name="アップロード").click()
    try:
        page.locator(".columns-table").wait_for(timeout=30_000)
    except Exception:
        screenshot(page, "debug-upload")
        raise
    assert page.locator(".columns-table tbody tr").count() >= 2
    screenshot(page, "staff-ingest-desktop")
    page.get_by_role("button", name="公開する").click()
    page.wait_for_url(re.compile("/dataset/browser-test-visitors$"))
    page.goto("/dataset?q=ブラウザ試験")
    assert page.locator(".dataset-card").count() == 1


def test_keyboard_only_search(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.locator("#home-q").focus()
    page.keyboard.type("人口")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/dataset\?q="))
    assert page.locator(".dataset-card").count() > 0


PAGES = {
    "home": "/",
    "search": "/dataset?q=%E9%81%BF%E9%9B%A3%E6%89%80",
    "dataset": None,  # the first search hit with a preview
    "organization": "/organization/shimonoseki-city",
    "organizations": "/organization",
    "login": "/user/login",
    "api": "/api-guide",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_accessibility_and_screenshots(page: Any, name: str) -> None:
    path = PAGES[name]
    if path is None:
        page.goto("/dataset?q=AED")
        page.locator(".dataset-card h3 a").first.click()
        page.locator(".leaflet-container").first.wait_for()
    else:
        page.goto(path)
    violations = axe_violations(page)
    assert violations == [], violations
    for width, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"{name}-{width}")


@pytest.mark.parametrize(
    "path",
    [
        "/staff",
        "/staff/dataset/new",
        "/staff/tokens",
        "/staff/organization/shimonoseki-city/members",
    ],
)
def test_staff_pages_accessibility(page: Any, path: str) -> None:
    sign_in(page, "shimonoseki-admin")
    page.goto(path)
    assert axe_violations(page) == []
    slug = path.strip("/").replace("/", "-")
    for width, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"{slug}-{width}")


def test_hostile_cells_do_not_run_in_the_browser(page: Any, demo_server: LiveServer) -> None:
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    demo_server.act(
        "package_create",
        {
            "name": "xss-probe",
            "title": "XSS " + payload,
            "owner_org": "shimonoseki-city",
            "notes": payload,
            "tags": [{"name": "xss"}],
        },
    )
    demo_server.act(
        "datastore_create",
        {
            "resource": {"package_id": "xss-probe", "name": "表 " + payload},
            "fields": [
                {"id": "名称", "type": "text"},
                {"id": "緯度", "type": "numeric"},
                {"id": "経度", "type": "numeric"},
                {"id": "値", "type": "int"},
            ],
            "records": [{"名称": payload, "緯度": 34.0, "経度": 131.0, "値": i} for i in range(45)],
        },
    )
    page.goto("/dataset/xss-probe")
    preview = page.locator(".ds-preview").first
    preview.get_by_role("button", name="次へ").click()
    preview.get_by_label("絞り込み").fill("img")
    page.locator(".leaflet-marker-icon, .marker-cluster").first.click()
    page.wait_for_timeout(500)
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.locator("img[src=x]").count() == 0


QUALITY = Path(__file__).resolve().parents[1] / "data" / "quality"


def test_staff_sees_the_report_fixes_it_and_the_pii_guard(
    page: Any, demo_server: LiveServer
) -> None:
    sign_in(page, "shimonoseki-admin")
    page.get_by_role("link", name="データを公開する").click()
    page.get_by_label("タイトル").fill("下関市 避難場所（品質試験）")
    page.get_by_label(re.compile("URL に使う名前")).fill("browser-quality")
    page.get_by_role("button", name="下書きを作成して次へ").click()
    page.wait_for_url(re.compile("/staff/dataset/browser-quality"))

    page.get_by_label("ファイル", exact=True).set_input_files(
        str(QUALITY / "validation" / "03_evacuation_broken.csv")
    )
    page.get_by_role("button", name="アップロード").click()
    page.locator(".columns-table").wait_for(timeout=30_000)
    # The check runs right after the ingest: reload until the report is there.
    for _ in range(100):
        if page.locator(".staff-quality summary").count():
            break
        page.wait_for_timeout(200)
        page.reload()
    assert "列名から推定" in page.locator(".staff-quality").first.inner_text()
    page.get_by_role("button", name=re.compile("指定緊急避難場所」として登録する")).click()
    page.wait_for_url(re.compile("/staff/dataset/browser-quality"))
    assert "列名から推定" not in page.locator(".staff-quality").first.inner_text()
    page.locator(".staff-quality summary").first.click()
    assert page.locator(".staff-quality .finding").count() >= 1
    assert axe_violations(page) == []
    screenshot(page, "staff-quality-report-desktop")

    page.get_by_role("button", name="機械判読用に直したファイルを作る").first.click()
    page.wait_for_url(re.compile("/staff/dataset/browser-quality"))
    assert page.locator("article.resource").count() == 2
    assert "機械判読用に修正" in page.locator("article.resource h3").nth(1).inner_text()

    page.get_by_label("ファイル", exact=True).set_input_files(
        str(QUALITY / "pii" / "personal_phone.csv")
    )
    page.get_by_role("button", name="アップロード").click()
    page.wait_for_url(re.compile("uploaded="))
    page.get_by_role("button", name="公開する").click()
    alert = page.locator(".error[role=alert]")
    alert.wait_for()
    assert "個人情報" in alert.inner_text()
    pii = page.locator(".pii-alert").first
    pii.wait_for()
    assert axe_violations(page) == []
    screenshot(page, "staff-pii-blocked-desktop")
    pii.get_by_label(re.compile("公開してよい理由")).fill(
        "試験用の架空の名簿で、公開して問題ありません"
    )
    pii.get_by_role("button", name="理由を記録して公開を許可する").click()
    page.wait_for_url(re.compile("/staff/dataset/browser-quality"))
    assert "公開を許可しました" in page.locator(".pii-alert").first.inner_text()
    page.get_by_role("button", name="公開する").click()
    page.wait_for_url(re.compile("/dataset/browser-quality$"))
    quality = page.locator(".quality-slot")
    assert "品質スコア" in quality.inner_text()
    assert page.locator(".resource-quality .stars").count() == 3
    assert axe_violations(page) == []
    for width, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"dataset-quality-{width}")
