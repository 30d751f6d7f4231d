"""The harvest pages in a real browser (Chromium through Playwright): an organisation admin adds
a CKAN source with the keyboard, fixes a refused field, runs it now and reads the job with its
error; axe-core finds nothing on the list, the form (with its errors), the source and the job
page, at desktop and phone width (support/browser.py)."""

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
from support.fake_ckan import FakeCkan, package, serve
from support.harvest import harvesting_server
from support.live_server import LiveServer
from support.waiting import wait_until

ADMIN, PASSWORD = "hb-admin", "pw-hb-admin-0000"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCkan]:
    yield from serve()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, fake: FakeCkan) -> Iterator[LiveServer]:
    live = harvesting_server("sqlite", Path(tmp_path_factory.mktemp("harvest-browser")))
    live.act("organization_create", {"name": "hb-city", "title": "ブラウザ市"})
    live.make_user(ADMIN)
    live.act("organization_member_create", {"id": "hb-city", "username": ADMIN, "role": "admin"})
    fake.site("hb").datasets = [
        package("hb-1", "hb-1", "公衆トイレ一覧"),
        package("hb-2", "", ""),  # no title: an error on that record
    ]
    yield live
    live.stop()


@pytest.fixture
def page(browser: Any, site: LiveServer) -> Iterator[Any]:
    with checked_page(browser, site.url) as page:
        yield page


def test_an_admin_adds_runs_and_reads_a_source_with_the_keyboard(
    page: Any, site: LiveServer, fake: FakeCkan
) -> None:
    page.goto("/user/login")
    page.get_by_label("ユーザー名").fill(ADMIN)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/staff$"))
    page.get_by_role("link", name="収集元（ハーベスト）").click()
    page.wait_for_url(re.compile(r"/staff/harvest$"))
    assert check_page(page, review_name="staff-harvest-list") == {}

    page.get_by_role("link", name="収集元を追加する").click()
    page.get_by_label("名前（表示用）").fill("ブラウザ市 CKAN")
    page.get_by_label("URL に使う名前").fill("hb-ckan")
    page.get_by_label("収集元の URL").fill("ftp://ckan.example.jp/")
    page.get_by_label("自動で収集する間隔").select_option("manual")
    page.get_by_label("URL に使う名前").press("Enter")  # submitted from the keyboard
    url_field = page.get_by_label("収集元の URL")
    expect(url_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#err-url")).to_contain_text("http:// か https://")
    assert check_page(page, review_name="staff-harvest-form-errors") == {}

    url_field.fill(fake.url("hb"))
    url_field.press("Enter")
    page.wait_for_url(re.compile(r"/staff/harvest/hb-ckan\?saved=1$"))
    expect(page.get_by_role("status")).to_contain_text("保存しました")
    run = page.get_by_role("button", name="今すぐ収集する")
    run.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"queued=1$"))
    job = wait_until(
        lambda: site.act("harvest_job_list", {"source_id": "hb-ckan"}),
        "the harvest to end",
        until=lambda jobs: jobs and jobs[0]["job_status"] == "complete",
    )[0]
    page.reload()
    assert check_page(page, review_name="staff-harvest-source") == {}
    page.get_by_role("link", name=re.compile(r"^\d{4}-\d{2}-\d{2} ")).click()
    page.wait_for_url(re.compile(rf"/staff/harvest/hb-ckan/job/{job['id']}$"))
    expect(page.locator("table").first).to_contain_text("1")
    expect(page.locator(".harvest-errors li")).to_have_count(1)
    expect(page.locator(".harvest-errors")).to_contain_text("タイトルがありません")
    assert check_page(page, review_name="staff-harvest-job") == {}
