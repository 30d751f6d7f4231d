"""The 統合マップ (/map) in a real browser over the demo catalog: shelters of several
municipalities in one layer, the 洪水 filter on the map and the list alike, the nearest shelter
from a fixed location (Playwright grants geolocation) and from a typed place, popups opened from
the keyboard, the page without JavaScript, and axe at desktop and phone width.

Every wait is on a condition (support/browser.py's limits), never a fixed sleep.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from support.browser import (
    check_page,
    checked_page,
    expect,
)
from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.demo.datasets_municipal import municipal_datasets

SHELTERS = "evacuation_space"
FLOOD = "災害種別_洪水"
# 山口市役所の近く: a fixed location for "現在地から探す".
HERE = {"latitude": 34.186, "longitude": 131.471}


def search(server: LiveServer, **params: Any) -> dict[str, Any]:
    query = {
        k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v
        for k, v in params.items()
    }
    response = requests.get(f"{server.url}/api/3/action/map_point_search", params=query, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json()["result"])


@pytest.fixture(scope="module")
def built(demo_server: LiveServer) -> LiveServer:
    """The demo's shelter layer built from every public shelter dataset (the ingests are done:
    conftest waits for them), so the page and the API read the same build."""
    expected = {d.name for d in municipal_datasets() if d.standard_id == SHELTERS and not d.private}
    wait_until(
        lambda: requests.get(
            f"{demo_server.url}/api/3/action/map_layer_show", params={"id": SHELTERS}, timeout=30
        ).json()["result"],
        "the shelter layer with every demo shelter dataset",
        until=lambda layer: {s["dataset"] for s in layer["sources"]} == expected,
    )
    return demo_server


@pytest.fixture
def page(browser: Any, built: LiveServer) -> Iterator[Any]:
    with checked_page(browser, built.url, geolocation=HERE, permissions=["geolocation"]) as page:
        yield page


def open_map(page: Any, path: str = "/map") -> None:
    page.goto(path)
    page.locator("#m-map[data-ready='true'][data-markers]").wait_for()


def markers(page: Any) -> int:
    page.locator("#m-map[data-markers]").wait_for()
    return int(page.locator("#m-map").get_attribute("data-markers"))


def all_list_ids(page: Any) -> list[str]:
    """Every row of the list view, pressing さらに表示 until it is gone."""
    more = page.locator("#m-more")
    while more.is_visible():
        rows = page.locator("#m-list-body tr").count()
        more.click()
        expect(page.locator("#m-list-body tr")).not_to_have_count(rows)
    return page.locator("#m-list-body tr").evaluate_all("rows => rows.map(r => r.dataset.id)")


def test_map_shows_shelters_of_several_municipalities_in_one_layer(
    page: Any, built: LiveServer
) -> None:
    open_map(page)
    everything = search(built, layer=SHELTERS, limit=1000)
    assert markers(page) == everything["count"]
    expect(page.locator(".marker-cluster").first).to_be_visible()
    municipalities = page.locator("#m-municipality option").all_text_contents()
    assert len([m for m in municipalities if "市" in m]) >= 10
    listed = set(all_list_ids(page))
    assert listed == {r["id"] for r in everything["results"]}
    shown_towns = set(page.locator("#m-list-body tr td:nth-child(3)").all_text_contents())
    assert {"下関市", "宇部市", "山口市", "萩市"} <= shown_towns


def test_filter_by_flood_keeps_the_map_and_the_list_alike(page: Any, built: LiveServer) -> None:
    open_map(page)
    total = markers(page)
    page.get_by_label("洪水", exact=True).check()
    flood = search(built, layer=SHELTERS, filters={FLOOD: "1"}, limit=1000)
    expect(page.locator("#m-map")).to_have_attribute("data-shown", str(flood["count"]))
    assert markers(page) == flood["count"] < total
    assert set(all_list_ids(page)) == {r["id"] for r in flood["results"]}
    # The address bar keeps the filter, so the view can be shared and works without JS.
    assert re.search(r"f%3A%E7%81%BD", page.url) or "f:災害種別_洪水" in page.url
    page.get_by_label("市町村").select_option(value="352047")
    hagi = search(built, layer=SHELTERS, filters={FLOOD: "1"}, municipality="352047", limit=1000)
    expect(page.locator("#m-map")).to_have_attribute("data-shown", str(hagi["count"]))
    assert set(all_list_ids(page)) == {r["id"] for r in hagi["results"]}


def test_nearest_shelter_from_a_fixed_location(page: Any, built: LiveServer) -> None:
    open_map(page)
    page.get_by_role("button", name="現在地から探す").click()
    first = page.locator(".map-near-list li").first
    expect(first).to_be_visible()
    nearest = search(built, layer=SHELTERS, lat=HERE["latitude"], lon=HERE["longitude"], limit=3)
    expect(first.locator("button")).to_have_text(nearest["results"][0]["name"])
    expect(first).to_contain_text("km")
    expect(page.locator("#m-near-results")).to_contain_text("現在地からの距離順")
    # The list is now by distance too, nearest first.
    expect(page.locator("#m-list-body tr").first.locator("th")).to_contain_text(
        nearest["results"][0]["name"]
    )


def test_nearest_shelter_from_a_typed_place(page: Any, built: LiveServer) -> None:
    open_map(page)
    page.get_by_label("住所・町名・施設名").fill("萩市")
    page.get_by_role("button", name="この場所から探す").click()
    expect(page.locator(".map-near-list li").first).to_be_visible()
    expected = search(built, layer=SHELTERS, near="萩市", limit=1)["results"][0]["name"]
    expect(page.locator(".map-near-list li").first.locator("button")).to_have_text(expected)
    page.get_by_label("住所・町名・施設名").fill("どこにもない場所ｚｚ")
    page.get_by_role("button", name="この場所から探す").click()
    expect(page.locator("#m-near-results")).to_contain_text("見つかりませんでした")


def test_a_point_opens_from_the_keyboard_with_its_attributes(page: Any) -> None:
    open_map(page)
    button = page.locator("#m-list-body tr").first.locator("th button")
    name = button.inner_text().split("（")[0]
    button.focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup .ds-popup")
    expect(popup).to_be_visible()
    expect(popup).to_be_focused()
    expect(popup.locator(".ds-popup-title")).to_have_text(name)
    expect(popup.locator("dt", has_text="所在地_連結表記")).to_be_visible()
    expect(popup.locator(".ds-popup-source a")).to_have_attribute("href", re.compile("/dataset/"))
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)
    expect(button).to_be_focused()


def test_the_map_page_is_accessible_at_both_widths(page: Any) -> None:
    open_map(page)
    page.get_by_role("button", name="現在地から探す").click()
    page.locator(".map-near-list li").first.wait_for()
    assert check_page(page, review_name="map") == {}


def test_without_javascript_the_list_and_the_filters_still_work(
    browser: Any, built: LiveServer
) -> None:
    with checked_page(browser, built.url, java_script_enabled=False) as page:
        page.goto("/map")
        page.get_by_label("洪水", exact=True).check()
        page.get_by_role("button", name="絞り込む").click()
        flood = search(built, layer=SHELTERS, filters={FLOOD: "1"}, limit=100)
        expect(page.locator("#m-count")).to_contain_text(str(flood["count"]))
        names = page.locator("#m-list-body tr th").all_text_contents()
        assert names == [r["name"] for r in flood["results"]]
        page.get_by_label("住所・町名・施設名").fill("萩市")
        page.get_by_role("button", name="この場所から探す").click()
        expect(page.locator(".map-near-list li").first).to_contain_text("km")
