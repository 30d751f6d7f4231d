"""Residents and staff using the portal in a real browser, with axe-core checks at desktop and
phone width and a review screenshot of every page type (see support/browser.py).

Every wait is on a condition (an element, a text, a URL) with the generous limits of
support/browser.py, never a fixed sleep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import check_page, checked_page, expect
from support.live_server import LiveServer
from support.waiting import wait_until

CORPUS = Path(__file__).resolve().parents[1] / "data" / "datastore"
QUALITY = Path(__file__).resolve().parents[1] / "data" / "quality"


@pytest.fixture
def page(browser: Any, demo_server: LiveServer) -> Iterator[Any]:
    with checked_page(browser, demo_server.url, refuse_dialogs=True) as page:
        yield page


def sign_in(page: Any, name: str) -> None:
    page.goto("/user/login")
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("パスワード").fill(f"demo-{name}")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/staff$"))


# -- every page type: accessibility at both widths, and the review screenshots -----------------
# First in the module, so the pages show the demo catalog before other tests add datasets.

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
def test_public_pages_are_accessible_at_both_widths(page: Any, name: str) -> None:
    path = PAGES[name]
    if path is None:
        page.goto("/dataset?q=AED")
        page.locator(".dataset-card h3 a").first.click()
        page.locator(".leaflet-marker-icon, .marker-cluster").first.wait_for()
    else:
        page.goto(path)
    assert check_page(page, review_name=name) == {}


STAFF_PAGES = [
    "/staff",
    "/staff/dataset/new",
    "/staff/tokens",
    "/staff/organization/shimonoseki-city/members",
]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_are_accessible_at_both_widths(page: Any, path: str) -> None:
    sign_in(page, "shimonoseki-admin")
    page.goto(path)
    assert check_page(page, review_name=path.strip("/").replace("/", "-")) == {}


# -- residents -----------------------------------------------------------------------------------


def test_resident_finds_and_uses_evacuation_data(page: Any) -> None:
    page.goto("/")
    page.get_by_label("キーワードで探す").fill("避難所")
    page.get_by_label("キーワードで探す").press("Enter")
    page.wait_for_url(re.compile(r"/dataset\?q="))
    expect(page.locator("#results-heading")).to_contain_text("件のデータセット")
    page.locator(".facets a", has_text="下関市").first.click()
    page.wait_for_url(re.compile("organization=shimonoseki-city"))
    page.locator(".dataset-card h3 a", has_text="避難").first.click()
    expect(page.locator("h1")).not_to_be_empty()
    expect(page.locator(".ds-preview").first.locator("tbody tr").first).to_be_visible()
    page.locator(".leaflet-container").first.wait_for()
    page.locator(".leaflet-marker-icon, .marker-cluster").first.wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("CSV（Excel 向け UTF-8）")).first.click()
    assert download.value.suggested_filename.endswith(".csv")


def test_keyboard_only_search(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.locator("#home-q").focus()
    page.keyboard.type("人口")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/dataset\?q="))
    expect(page.locator(".dataset-card").first).to_be_visible()


# A table made for the preview test: 45 rows (3 pages of 20), five of them 公民館 (the filter),
# and capacities in an order that sorting visibly changes.
TABLE = [
    {
        "名称": f"{'公民館' if i % 9 == 0 else '避難所'}{i:02d}",
        "緯度": round(34.0 + i / 1000, 4),
        "経度": round(131.0 + i / 1000, 4),
        "定員": (i * 37) % 101,
    }
    for i in range(1, 46)
]


@pytest.fixture(scope="module")
def table_dataset(demo_server: LiveServer) -> str:
    demo_server.act(
        "package_create",
        {"name": "browser-table", "title": "表示確認用の表", "owner_org": "shimonoseki-city"},
    )
    demo_server.act(
        "datastore_create",
        {
            "resource": {"package_id": "browser-table", "name": "避難所と公民館"},
            "fields": [
                {"id": "名称", "type": "text"},
                {"id": "緯度", "type": "numeric"},
                {"id": "経度", "type": "numeric"},
                {"id": "定員", "type": "int"},
            ],
            "records": TABLE,
        },
    )
    return "/dataset/browser-table"


def column(preview: Any, index: int) -> Any:
    return preview.locator(f"tbody tr td:nth-child({index})")


def test_preview_paging_sorting_and_filtering(page: Any, table_dataset: str) -> None:
    names = [row["名称"] for row in TABLE]
    page.goto(table_dataset)
    preview = page.locator(".ds-preview").first
    status = preview.locator(".ds-status")
    filter_box = preview.get_by_label("絞り込み")  # added by the script: it is running
    next_button = preview.get_by_role("button", name="次へ")

    # Paging: three pages of 20, 20 and 5 rows, in table order.
    expect(column(preview, 1)).to_have_text(names[:20])
    expect(status).to_have_text("1–20 件目 / 全 45 件")
    next_button.click()
    expect(column(preview, 1)).to_have_text(names[20:40])
    next_button.click()
    expect(column(preview, 1)).to_have_text(names[40:])
    expect(status).to_have_text("41–45 件目 / 全 45 件")
    expect(next_button).to_have_attribute("aria-disabled", "true")
    preview.get_by_role("button", name="前へ").click()
    expect(column(preview, 1)).to_have_text(names[20:40])

    # Sorting by 定員: ascending, then descending, from the first page again.
    capacities = sorted(row["定員"] for row in TABLE)
    header = preview.locator('th[data-column="定員"]')
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(column(preview, 4)).to_have_text([str(c) for c in capacities[:20]])
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(column(preview, 4)).to_have_text([str(c) for c in capacities[::-1][:20]])

    # Filtering keeps the sort: the five 公民館 rows, largest first.
    filter_box.fill("公民館")
    halls = sorted((row for row in TABLE if "公民館" in row["名称"]), key=lambda r: -r["定員"])
    expect(column(preview, 1)).to_have_text([row["名称"] for row in halls])
    expect(status).to_contain_text("1–5 件目 / 全 5 件")
    expect(next_button).to_have_attribute("aria-disabled", "true")
    filter_box.fill("該当なしの言葉")
    expect(preview.locator("tbody td.ds-empty")).to_have_text("該当するデータはありません")


def test_chart_draws_the_chosen_columns(page: Any, table_dataset: str) -> None:
    page.goto(table_dataset)
    chart = page.locator("form.ds-chart")
    expect(chart).to_have_count(1)  # the table has a numeric column: the chart form is there
    chart.get_by_label("横軸").select_option("名称")
    chart.get_by_label("縦軸（数値）").select_option("定員")
    chart.get_by_role("button", name="グラフを表示").click()
    expect(chart.locator(".ds-chart-status")).to_have_text("45 件のデータでグラフを表示しました")
    values = chart.locator(".ds-chart-table tbody tr")
    expect(values).to_have_count(45)
    expect(values.locator("th")).to_have_text([row["名称"] for row in TABLE])
    expect(values.locator("td")).to_have_text([str(row["定員"]) for row in TABLE])
    assert page.evaluate(
        "() => { const c = document.querySelector('form.ds-chart canvas');"
        " return c.width > 0 && c.height > 0; }"
    )


def test_hostile_cells_do_not_run_in_the_browser(page: Any, demo_server: LiveServer) -> None:
    """The payload must reach the page as text: in the title, the preview (also after paging
    and filtering, which re-render with the script) and a map popup. Checking the DOM after each
    step does not depend on timing: injected as HTML, the <img> would be in the document."""
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
    # 44 rows together (a cluster) and one far away (a single marker with a popup).
    records = [{"名称": payload, "緯度": 34.0, "経度": 131.0, "値": i} for i in range(44)]
    records.append({"名称": payload, "緯度": 34.5, "経度": 132.0, "値": 44})
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
            "records": records,
        },
    )
    page.goto("/dataset/xss-probe")
    inert = page.locator("img[src='x'], script:has-text('alert')")
    expect(page.locator("h1")).to_contain_text("XSS " + payload)
    preview = page.locator(".ds-preview").first
    expect(column(preview, 1)).to_have_text([payload] * 20)
    preview.get_by_role("button", name="次へ").click()
    expect(column(preview, 4).first).to_have_text("20")
    expect(column(preview, 1)).to_have_text([payload] * 20)
    preview.get_by_label("絞り込み").fill("img")
    expect(preview.locator(".ds-status")).to_contain_text("全 45 件")
    expect(column(preview, 4).first).to_have_text("0")  # back to the first page
    page.locator(".leaflet-marker-icon:not(.marker-cluster)").first.click()
    expect(page.locator(".ds-popup-title")).to_have_text(payload)
    expect(inert).to_have_count(0)
    assert page.dialogs == []  # type: ignore[attr-defined]


# -- staff ---------------------------------------------------------------------------------------


def test_staff_uploads_excel_and_publishes(page: Any) -> None:
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
    page.locator(".columns-table").wait_for()
    assert page.locator(".columns-table tbody tr").count() >= 2
    page.get_by_role("button", name="公開する").click()
    page.wait_for_url(re.compile("/dataset/browser-test-visitors$"))
    page.goto("/dataset?q=ブラウザ試験")
    expect(page.locator(".dataset-card")).to_have_count(1)


def _reload_until(page: Any, selector: str, what: str) -> None:
    """The check runs in the background after the ingest; the page shows it after a reload."""

    def shown() -> int:
        page.reload()
        return int(page.locator(selector).count())

    wait_until(shown, what)


def test_staff_sees_the_report_fixes_it_and_the_pii_guard(page: Any) -> None:
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
    page.locator(".columns-table").wait_for()
    _reload_until(page, ".staff-quality summary", "the quality report on the staff page")
    expect(page.locator(".staff-quality").first).to_contain_text("列名から推定")
    page.get_by_role("button", name=re.compile("指定緊急避難場所」として登録する")).click()
    page.wait_for_url(re.compile("/staff/dataset/browser-quality"))
    expect(page.locator(".staff-quality").first).not_to_contain_text("列名から推定")
    page.locator(".staff-quality summary").first.click()
    expect(page.locator(".staff-quality .finding").first).to_be_visible()
    assert check_page(page, review_name="staff-quality-report") == {}

    page.get_by_role("button", name="機械判読用に直したファイルを作る").first.click()
    page.wait_for_url(re.compile("/staff/dataset/browser-quality"))
    expect(page.locator("article.resource")).to_have_count(2)
    expect(page.locator("article.resource h3").nth(1)).to_contain_text("機械判読用に修正")
    # The fixed file is being read in the background; the page reloads by itself (once) when
    # that is done. Choose the next file after it, as staff would.
    expect(
        page.locator('.ingest-status:not([data-state="complete"]):not([data-state="error"])')
    ).to_have_count(0, timeout=90_000)
    # Its own reload may be starting just now: a load of our own after it leaves a settled page.
    page.goto(page.url)

    page.get_by_label("ファイル", exact=True).set_input_files(
        str(QUALITY / "pii" / "personal_phone.csv")
    )
    page.get_by_role("button", name="アップロード").click()
    page.wait_for_url(re.compile("uploaded="))
    page.get_by_role("button", name="公開する").click()
    alert = page.locator(".error[role=alert]")
    expect(alert).to_contain_text("個人情報")
    pii = page.locator(".pii-alert").first
    pii.wait_for()
    assert check_page(page, review_name="staff-pii-blocked") == {}
    pii.get_by_label(re.compile("公開してよい理由")).fill(
        "試験用の架空の名簿で、公開して問題ありません"
    )
    pii.get_by_role("button", name="理由を記録して公開を許可する").click()
    page.wait_for_url(re.compile("/staff/dataset/browser-quality"))
    expect(page.locator(".pii-alert").first).to_contain_text("公開を許可しました")
    page.get_by_role("button", name="公開する").click()
    page.wait_for_url(re.compile("/dataset/browser-quality$"))
    expect(page.locator(".quality-slot")).to_contain_text("品質スコア")
    expect(page.locator(".resource-quality .stars")).to_have_count(3)
    assert check_page(page, review_name="dataset-quality") == {}
