"""The plan pages in a real browser (Chromium through Playwright): the public plan and its
dashboard (each trend chart drawn from the table beside it, as it scrolls into view), and the
staff pages where a plan is set up (the 施策集 workbook imported through the preview with one
column's reading changed, an actual value recorded from the keyboard). axe-core finds nothing
at desktop and phone width on any of them (support/browser.py).

Its own small catalog (no demo load): 山口県's plan imported from the reference's 施策集, one
indicator bound to the catalog's count of public datasets with one day's snapshot.
"""

from __future__ import annotations

import io
import re
import tempfile
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
from support.uploads import Upload
from tsunagu.demo import plan_yamaguchi as yamaguchi

OWNER = "yamaguchi-pref"
PUBLIC = "yamaguchi-public"


@pytest.fixture(scope="module")
def site() -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="plan-browser-") as tmp:
        live = LiveServer(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{Path(tmp) / 'tsunagu.db'}",
            overrides={"metrics_snapshot_seconds": 0},
        ).start()
        live.act(
            "organization_create",
            {"name": OWNER, "title": "山口県", "kind": "prefecture", "local_gov_code": "350001"},
        )
        live.make_user("pb-admin")
        live.act(
            "organization_member_create", {"id": OWNER, "username": "pb-admin", "role": "admin"}
        )
        live.act("package_create", {"name": "pb-data", "title": "公開データ", "owner_org": OWNER})
        _published_plan(live)
        yield live
        live.stop()


def _published_plan(live: LiveServer) -> None:
    """山口県's plan through the API, 県・市町のオープンデータ数 bound, the day's snapshot stored."""
    live.act(
        "plan_create",
        {"name": PUBLIC, "title": yamaguchi.TITLE, "owner_org": OWNER, "period_start": 2020,
         "period_end": 2022, "level_names": yamaguchi.LEVELS, "revisions": yamaguchi.REVISIONS},
    )  # fmt: skip
    preview = live.act(
        "plan_import_preview",
        {"plan_id": PUBLIC, "upload": Upload("施策集.xlsx", io.BytesIO(yamaguchi.workbook()))},
    )
    live.act("plan_import_apply", {"id": preview["id"]})
    plan = live.act("plan_show", {"id": PUBLIC})
    bound = next(
        i for m in plan["measures"] for i in m["indicators"]
        if i["name"] == yamaguchi.OPEN_DATA_INDICATOR
    )  # fmt: skip
    live.act(
        "plan_indicator_patch",
        {"id": bound["id"], "metric_key": "datasets_public", "metric_params": {"kind": "all"}},
    )
    live.act("metric_snapshot_run", {})
    live.act("plan_patch", {"id": PUBLIC, "published": True})


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


def test_staff_set_up_the_plan(page: Any, site: LiveServer, tmp_path: Path) -> None:
    sign_in(page, "pb-admin")
    page.goto("/staff/plan")
    assert check_page(page, review_name="plan-staff-list") == {}
    page.get_by_label("計画名").fill(yamaguchi.TITLE)
    page.get_by_label("URL 名（半角英小文字・数字・- _）").fill("yamaguchi-plan")
    page.get_by_label("計画期間の開始年度（例: 2020 または R2年度）").fill("R2年度")
    page.get_by_label("計画期間の終了年度").fill("R4年度")
    page.get_by_role("button", name="作成").click()
    page.wait_for_url(re.compile(r"/staff/plan/yamaguchi-plan$"))
    assert check_page(page, review_name="plan-staff-plan") == {}

    page.get_by_role("link", name="施策集の表（Excel・CSV）を取り込む").click()
    workbook = tmp_path / "施策集.xlsx"
    workbook.write_bytes(yamaguchi.workbook())
    page.get_by_label("表のファイル（.xlsx、.xls、.ods、.csv）").set_input_files(str(workbook))
    page.get_by_role("button", name="読み込んで確認する").click()
    page.wait_for_url(re.compile(r"/import/[0-9a-f-]+$"))
    expect(page.get_by_text("読めなかった行 0 行")).to_be_visible()
    assert check_page(page, review_name="plan-import-preview") == {}
    # 備考 is left out: its reading becomes 使わない, and the preview says it was changed.
    page.get_by_label("「備考」の読み方").select_option(label="使わない")
    page.get_by_role("button", name="この読み方でもう一度確認する").click()
    expect(page.get_by_text("変更済み")).to_be_visible()
    page.get_by_role("button", name="取り込む").click()
    expect(page.get_by_role("status")).to_contain_text("取り込みました。")

    page.goto("/staff/plan/yamaguchi-plan")
    page.get_by_role("link", name="マイナンバーカード交付率").click()
    assert check_page(page, review_name="plan-staff-indicator") == {}
    page.get_by_label("値（例: 152、約410,000件、推進中）").fill("24.4%")
    page.get_by_label("時点（例: R3年度、R4. 3月末、2023-03-31）").fill("R3. 3月末")
    page.get_by_label("出典").fill("総務省 交付状況")
    page.get_by_label("出典").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("保存しました。")
    expect(page.get_by_role("cell", name="総務省 交付状況")).to_be_visible()
    # Bind 県・市町のオープンデータ数 to the catalog's count of public datasets.
    page.goto("/staff/plan/yamaguchi-plan")
    page.get_by_role("link", name=yamaguchi.OPEN_DATA_INDICATOR).click()
    page.get_by_label("カタログの数値", exact=True).select_option("datasets_public")
    page.get_by_label("パラメータ（JSON のオブジェクト）").fill('{"kind": "all"}')
    page.locator("#binding").get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("保存しました。")
    page.goto("/staff/plan/yamaguchi-plan")
    page.locator("#measures-heading").scroll_into_view_if_needed()
    page.locator("#measures").get_by_role("link", name="オープンデータの推進").first.click()
    assert check_page(page, review_name="plan-staff-measure") == {}


def test_public_plan_and_dashboard(page: Any, site: LiveServer) -> None:
    page.goto("/plan")
    assert check_page(page, review_name="plan-list") == {}
    page.locator(f'a[href="/plan/{PUBLIC}"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(yamaguchi.TITLE)
    expect(page.get_by_text("判定のきまり").first).to_be_visible()
    assert check_page(page, review_name="plan-show") == {}
    page.get_by_role("link", name="指標の進捗（ダッシュボード）").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert check_page(page, review_name="plan-dashboard") == {}

    # The bound indicator's chart is drawn from its table once scrolled into view.
    bound = page.locator("section.plan-indicator").filter(
        has=page.get_by_role("heading", name=yamaguchi.OPEN_DATA_INDICATOR)
    )
    bound.scroll_into_view_if_needed()
    canvas = bound.locator("canvas")
    page.wait_for_function(
        "c => window.Chart && window.Chart.getChart(c)", arg=canvas.element_handle()
    )
    drawn = page.evaluate(
        "c => window.Chart.getChart(c).data.datasets.map(d => [d.label, d.data])",
        canvas.element_handle(),
    )
    table = bound.locator("table")
    expect(table.get_by_role("columnheader", name="実績")).to_be_visible()
    labels = [label for label, _data in drawn]
    assert "実績" in labels and "目標値" in labels and "見込み（直線）" in labels
    actual = dict(drawn)["実績"]
    assert 1 in actual  # the one public dataset, counted by the day's snapshot
    expect(bound.locator(".plan-status")).to_contain_text("遅れ")
    # A qualitative target says so and draws no target point.
    words = page.locator("section.plan-indicator").filter(
        has=page.get_by_role("heading", name="人身交通事故件数")
    )
    expect(words.locator(".plan-status")).to_have_text("定性目標")
