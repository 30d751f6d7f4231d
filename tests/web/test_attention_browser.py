"""The staff home (要対応) in a real browser (Chromium through Playwright): each kind of item the
test makes is listed, and each item's link opens the page where it is fixed, at the part that
fixes it; the organisation admin sets the minimum ★ and score with the keyboard; a sysadmin
sees the whole prefecture with the count per organisation and picks one organisation. axe-core
finds nothing at desktop and phone width (support/browser.py).

Its own small catalog (no demo load): municipality ab-city holding one dataset per kind of item
(support/attention_items.py) and a private dataset that follows the AED standard; municipality
ab-town with a draft of its own that ab-city's admin must not see.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from support.attention_items import KINDS, Made, age, dataset, make_items
from support.browser import (
    check_page,
    checked_page,
    expect,
)
from support.live_server import LiveServer
from support.portal import Visitor


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[LiveServer, Made]]:
    with tempfile.TemporaryDirectory(prefix="attention-") as tmp:
        live = LiveServer(
            data_dir=Path(tmp), database_url=f"sqlite:///{Path(tmp) / 'tsunagu.db'}"
        ).start()
        live.make_user("ab-admin")
        live.make_user("ab-editor")
        live.make_user("ab-root", sysadmin=True)
        for org, title, code in (
            ("ab-city", "ブラウザ市", "352012"),
            ("ab-town", "ブラウザ町", "352047"),
        ):
            live.act(
                "organization_create",
                {"name": org, "title": title, "kind": "municipality", "local_gov_code": code},
            )
        for user, role in (("ab-admin", "admin"), ("ab-editor", "editor")):
            live.act(
                "organization_member_create", {"id": "ab-city", "username": user, "role": role}
            )
        made = make_items(live, "ab-city", "ab-city")
        # Published: the standard datasets 01–07; started as a private dataset: 08 AED. So the
        # home's first five gaps are 08 (linking to that dataset) and 09–12 (the new form).
        for number in range(1, 8):
            dataset(live, "ab-city", f"ab-city-std{number:02d}", standard_id=f"{number:02d}")
        made.names["private_standard"] = dataset(
            live, "ab-city", "ab-city-aed", standard_id="aed", private=True
        )
        made.names["town_draft"] = dataset(live, "ab-town", "ab-town-draft", state="draft")
        age(live, made.names["town_draft"], 30)
        live.act("organization_attention_update", {"id": "ab-city", "min_stars": 3})
        yield live, made
        live.stop()


@pytest.fixture
def page(browser: Any, site: tuple[LiveServer, Made]) -> Iterator[Any]:
    with checked_page(browser, site[0].url) as page:
        yield page


def sign_in(page: Any, name: str) -> None:
    page.goto("/user/login")
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("パスワード").fill(f"pw-{name}-0000")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/staff$"))


def line(page: Any, kind: str) -> Any:
    return page.locator(f"#attention-{kind}")


def item_link(page: Any, kind: str, dataset_name: str | None = None, text: str = "") -> Any:
    links = line(page, kind).locator(".attention-items a")
    if dataset_name:
        return links.filter(has=page.locator(f'xpath=self::a[contains(@href, "/{dataset_name}")]'))
    return links.filter(has_text=text)


def follow(page: Any, link: Any) -> str:
    """Open an item's link; returns the fragment it points at (the part of the page that
    fixes the item), after checking that the element is there and in view."""
    href = str(link.get_attribute("href"))
    link.click()
    page.wait_for_url(lambda url: urlsplit(url).path == urlsplit(href).path)
    fragment = urlsplit(href).fragment
    if fragment:
        target = page.locator(f"#{fragment}")
        expect(target).to_be_visible()
        expect(target).to_be_in_viewport()
    return fragment


def test_each_kind_is_listed_and_each_link_leads_to_the_fix(
    page: Any, site: tuple[LiveServer, Made]
) -> None:
    _, made = site
    names = made.names
    sign_in(page, "ab-admin")
    expect(page.locator("#attention-heading")).to_contain_text("要対応")
    for kind in KINDS:
        expect(line(page, kind)).to_be_visible()
    summary = page.locator(".attention-summary")
    expect(summary.locator("li.has-items")).to_have_count(len(KINDS))
    for kind in KINDS[:-1]:
        expect(item_link(page, kind, names[kind])).to_have_count(1)
    # ab-town's draft is not ab-city's admin's to see.
    expect(page.locator(f'a[href*="/{names["town_draft"]}"]')).to_have_count(0)
    assert check_page(page, review_name="staff-home") == {}

    # A draft left for ten days: the publish step of its page.
    assert follow(page, item_link(page, "stale_drafts", names["stale_drafts"])) == "publish-heading"
    expect(page.get_by_role("button", name="公開する")).to_be_visible()
    page.go_back()

    # A failed ingest: the file on its page, with the error and where.
    fragment = follow(page, item_link(page, "ingest_errors", names["ingest_errors"]))
    assert fragment == f"resource-{made.files['ingest_errors']}"
    expect(page.locator(f"#{fragment} .ingest-text")).to_contain_text("12人")
    page.go_back()

    # Quality errors: the file's report, with the list of findings and how to fix them.
    fragment = follow(page, item_link(page, "quality_errors", names["quality_errors"]))
    assert fragment == f"q-{made.files['quality_errors']}"
    expect(page.locator(".staff-quality").first).to_contain_text("エラー 1 件")
    page.go_back()

    # Overdue: where a new month's file goes (a linked PDF: a new file).
    assert follow(page, item_link(page, "overdue", names["overdue"])) == "upload-heading"
    expect(page.get_by_label("ファイル", exact=True)).to_be_visible()
    page.go_back()

    # Below the minimum ★: the file that pulls it down.
    fragment = follow(page, item_link(page, "low_rating", names["low_rating"]))
    assert fragment.startswith("resource-")
    expect(page.locator(f"#{fragment}")).to_contain_text("PDF")
    page.go_back()

    # A standard dataset started as a private dataset: publishing it closes the gap.
    started = item_link(page, "missing_standards", names["private_standard"])
    assert follow(page, started) == "publish-heading"
    page.go_back()

    # A missing standard dataset: the new-dataset form, filled in for it.
    missing = item_link(page, "missing_standards", text="10 医療機関")
    follow(page, missing)
    assert parse_qs(urlsplit(page.url).query)["standard_id"] == ["hospital"]
    expect(page.get_by_label("準拠する自治体標準オープンデータセット")).to_have_value("hospital")
    expect(page.locator("#f-org")).to_have_value("ab-city")
    expect(page.locator("#f-title")).to_have_value("医療機関")
    page.go_back()

    # Personal data: an admin lands on the override form, records why, and the item is gone.
    pii = item_link(page, "personal_data", names["personal_data"])
    fragment = follow(page, pii)
    assert fragment == f"pii-reason-{made.files['personal_data']}"
    page.locator(f"#{fragment}").fill("同意を得た名簿の公開です")
    page.get_by_role("button", name="理由を記録して公開を許可する").click()
    expect(page.locator(".pii-alert").first).to_contain_text("公開を許可しました")
    page.goto("/staff")
    expect(line(page, "personal_data").locator(".attention-count")).to_have_text("0 件")
    expect(line(page, "personal_data")).to_contain_text("ありません。")


def test_admin_sets_the_minimums_with_the_keyboard(
    page: Any, site: tuple[LiveServer, Made]
) -> None:
    live, made = site
    sign_in(page, "ab-admin")
    page.goto("/staff?organization=ab-city")
    expect(page.locator("#attention-heading")).to_contain_text("ブラウザ市")
    stars = page.get_by_label("★の基準")
    stars.focus()
    stars.select_option("0")
    page.keyboard.press("Tab")
    expect(page.get_by_label("点数の基準（0〜100）")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"saved=1"))
    expect(page.get_by_role("status")).to_contain_text("基準を保存しました。")
    expect(page.get_by_label("点数の基準（0〜100）")).to_have_value("20")
    # Score 8 (a PDF under an open licence) is below 20; the line now says so.
    item = line(page, "low_rating").locator(
        "li", has=page.locator(f'a[href*="/{made.names["low_rating"]}"]')
    )
    expect(item).to_contain_text("8 点で、組織の基準（20 点以上）を下回っています。")
    assert check_page(page, review_name="staff-home-organization") == {}
    live.act("organization_attention_update", {"id": "ab-city", "min_stars": 3, "min_score": 0})


def test_a_sysadmin_sees_the_prefecture_and_picks_an_organisation(
    page: Any, site: tuple[LiveServer, Made]
) -> None:
    _, made = site
    sign_in(page, "ab-root")
    expect(page.locator("#attention-heading")).to_contain_text("県全体")
    table = page.locator(".attention-table")
    expect(table.locator("tbody th", has_text="ブラウザ市")).to_be_visible()
    expect(table.locator("tbody th", has_text="ブラウザ町")).to_be_visible()
    town_row = table.locator("tbody tr", has=page.locator("th", has_text="ブラウザ町"))
    # ab-town: its draft and the 15 standard datasets it does not publish.
    expect(town_row.locator("td").first).to_have_text("16")
    expect(item_link(page, "stale_drafts", made.names["town_draft"])).to_have_count(1)
    assert check_page(page, review_name="staff-home-prefecture") == {}

    picker = page.get_by_label("表示する組織")
    picker.focus()
    picker.select_option("ab-town")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"organization=ab-town"))
    expect(page.locator("#attention-heading")).to_contain_text("ブラウザ町")
    expect(page.locator(".attention-table")).to_have_count(0)
    expect(item_link(page, "stale_drafts", made.names["town_draft"])).to_have_count(1)
    expect(item_link(page, "overdue", made.names["overdue"])).to_have_count(0)


# -- without a browser: the form's refusals ------------------------------------------------------


def _signed_in(live: LiveServer, name: str) -> Visitor:
    visitor = Visitor(live.url)
    token = visitor.csrf("/user/login")
    response = visitor.http.post(
        live.url + "/user/login",
        data={"csrf_token": token, "name": name, "password": f"pw-{name}-0000", "next": "/staff"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 303
    return visitor


def test_a_minimum_out_of_range_is_shown_next_to_its_field(site: tuple[LiveServer, Made]) -> None:
    live, _ = site
    visitor = _signed_in(live, "ab-admin")
    token = visitor.csrf("/staff?organization=ab-city")
    response = visitor.http.post(
        live.url + "/staff/attention/minimums",
        data={"csrf_token": token, "organization": "ab-city", "min_stars": "3", "min_score": "500"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 400
    assert 'id="m-score-error"' in response.text
    assert "0 から 100 までで指定してください" in response.text
    assert 'value="500"' in response.text  # what was typed stays
    shown = live.act("staff_attention_list", {"organization": "ab-city", "limit": 0})
    assert shown["organizations"][0]["min_score"] == 0


def test_an_editor_sees_the_minimums_but_cannot_change_them(
    site: tuple[LiveServer, Made],
) -> None:
    live, _ = site
    visitor = _signed_in(live, "ab-editor")
    page = visitor.get("/staff?organization=ab-city")
    assert page.status_code == 200
    assert "/staff/attention/minimums" not in page.text
    assert "いまの基準：★" in page.text
    response = visitor.http.post(
        live.url + "/staff/attention/minimums",
        data={
            "csrf_token": visitor.csrf(page.text),
            "organization": "ab-city",
            "min_stars": "0",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 403
    shown = live.act("staff_attention_list", {"organization": "ab-city", "limit": 0})
    assert shown["organizations"][0]["min_stars"] == 3
    # Another organisation's home is not theirs to see.
    assert visitor.get("/staff?organization=ab-town").status_code == 404
    assert requests.get(live.url + "/staff", allow_redirects=False, timeout=30).status_code == 303
