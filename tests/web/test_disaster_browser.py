"""災害モード in a real browser over the demo catalog: a sysadmin switches it on, and a browser
with JavaScript disabled opening the home page or the map lands on the lightweight 避難場所
page, reads the shelters of several municipalities (names, addresses, hazard types, as the map
layer has them), follows a municipality's page, goes on to the full site and the map behind it,
and axe finds nothing on the pages at desktop and phone width.

The mode is on for this module's own demo server only (a module-scoped server; the fixture
switches it off again and waits for the home page to be the home page).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest
import requests

from support.browser import check_page, checked_page, expect
from support.live_server import LiveServer
from support.shelters import page as http_page
from support.shelters import page_until
from support.waiting import wait_until
from tsunagu.demo.datasets_municipal import municipal_datasets

SHELTERS = "evacuation_space"
MESSAGE = "台風第10号に伴い避難所を開設しています"
# Municipalities whose pages the test reads (each publishes its own shelter file; 宇部市's is
# the messy Shift_JIS one).
READ = {"352012": "下関市", "352021": "宇部市", "352039": "山口市", "352047": "萩市"}
# The page's short labels for the standard's hazard flags, in the standard's order.
HAZARD_LABELS = {
    "災害種別_洪水": "洪水",
    "災害種別_崖崩れ、土石流及び地滑り": "土砂災害",
    "災害種別_高潮": "高潮",
    "災害種別_地震": "地震",
    "災害種別_津波": "津波",
    "災害種別_大規模な火事": "大規模な火事",
    "災害種別_内水氾濫": "内水氾濫",
    "災害種別_火山現象": "火山現象",
}
BUDGET = 50_000


def api(server: LiveServer, name: str, **params: Any) -> Any:
    response = requests.get(f"{server.url}/api/3/action/{name}", params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["result"]


@pytest.fixture(scope="module")
def built(demo_server: LiveServer) -> LiveServer:
    """The shelter layer built from every public demo shelter dataset, and the 避難場所 pages
    rendered from it (linking every municipality in the layer)."""
    expected = {d.name for d in municipal_datasets() if d.standard_id == SHELTERS and not d.private}
    layer = wait_until(
        lambda: api(demo_server, "map_layer_show", id=SHELTERS),
        "the shelter layer with every demo shelter dataset",
        until=lambda found: {s["dataset"] for s in found["sources"]} == expected,
    )
    codes = [m["code"] for m in layer["municipalities"]]
    assert set(READ) <= set(codes)
    page_until(
        demo_server,
        "/hinan",
        lambda html: all(f'href="/hinan/{code}"' in html for code in codes),
        "the 避難場所 index with every municipality",
    )
    return demo_server


@pytest.fixture(scope="module")
def switched_on(built: LiveServer) -> Iterator[ckanapi.RemoteCKAN]:
    sysadmin = built.ckan(built.make_user("dmb-sysadmin", sysadmin=True))
    assert sysadmin.action.disaster_mode_update(on=True, message=MESSAGE)["on"] is True
    # The held pages are re-rendered in a thread after the switch, and requests get the previous
    # ones meanwhile (disaster/cache.py): the tests start from pages that carry the message.
    page_until(built, "/hinan", lambda html: MESSAGE in html, "the 避難場所 pages with the message")
    yield sysadmin
    assert sysadmin.action.disaster_mode_update(on=False)["on"] is False
    wait_until(
        lambda: http_page(built, "/").status_code, "the home page again", until=lambda s: s == 200
    )


@pytest.fixture
def no_js(browser: Any, built: LiveServer, switched_on: ckanapi.RemoteCKAN) -> Iterator[Any]:
    with checked_page(browser, built.url, java_script_enabled=False) as page:
        yield page


def plain_html(response: Any) -> str:
    """The page's HTML, checked to be within the budget and free of scripts."""
    body = response.body()
    assert len(body) < BUDGET, response.url
    html = body.decode()
    assert "<script" not in html.lower(), response.url
    return html


def follow(page: Any, link: Any) -> Any:
    """Click a link and return the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        link.click()
    return navigation.value


def expected_items(server: LiveServer, code: str) -> list[str]:
    """Each shelter of a municipality as the page should show it (name, address, hazard types
    on lines of their own), from the map layer's points through the API."""
    found = api(server, "map_point_search", layer=SHELTERS, municipality=code, limit=1000)
    assert 0 < found["count"] == len(found["results"])
    items = []
    for point in found["results"]:
        properties = point["properties"]
        address = properties.get("所在地_連結表記", "")
        assert point["name"] and address, point
        hazards = [label for field, label in HAZARD_LABELS.items() if properties.get(field) == "1"]
        lines = [point["name"], address]
        if hazards:
            lines.append("対象の災害: " + "、".join(hazards))
        items.append("\n".join(lines))
    return sorted(items)


def test_home_and_map_lead_to_the_shelter_page_without_javascript(
    no_js: Any, built: LiveServer
) -> None:
    for path in ("/", "/map"):
        response = no_js.goto(path)
        assert response.url == built.url + "/hinan", path
        assert response.request.redirected_from.url == built.url + path
        plain_html(response)
        expect(no_js.get_by_role("heading", level=1)).to_have_text("避難場所の一覧")
        expect(no_js.locator("p.alert")).to_have_text(MESSAGE)
    total = api(built, "map_layer_show", id=SHELTERS)["points"]
    expect(no_js.locator("main")).to_contain_text(f"指定緊急避難場所 {total} か所")


def test_shelters_of_several_municipalities_with_addresses_and_hazard_types(
    no_js: Any, built: LiveServer
) -> None:
    no_js.goto("/")
    for code, name in READ.items():
        link = no_js.get_by_role("link", name=name, exact=True)
        response = follow(no_js, link)
        assert response.url == f"{built.url}/hinan/{code}"
        html = plain_html(response)
        assert f"<h1>{name}の避難場所</h1>" in html
        items = no_js.locator("main > ul").first.locator("li").all_inner_texts()
        assert sorted(item.strip() for item in items) == expected_items(built, code), name
        # Where the shelters come from: the municipality's own dataset.
        source = no_js.locator("main > h2:has-text('出典') + ul a")
        expect(source).to_have_count(1)
        assert "/dataset/" in source.get_attribute("href")
        follow(no_js, no_js.get_by_role("link", name="避難場所の一覧"))
        assert no_js.url == built.url + "/hinan"


def test_the_full_site_and_the_map_stay_available_behind_it(no_js: Any, built: LiveServer) -> None:
    no_js.goto("/")
    response = follow(no_js, no_js.get_by_role("link", name="通常のサイトへ"))
    assert response.url == built.url + "/?full=1" and response.status == 200
    banner = no_js.locator(".disaster-banner")
    expect(banner).to_contain_text(MESSAGE)
    expect(banner.get_by_role("link", name="避難場所の一覧")).to_have_attribute("href", "/hinan")
    # For the rest of the browser session the home page is the home page.
    assert no_js.goto("/").url == built.url + "/"
    expect(no_js.locator(".disaster-banner")).to_be_visible()
    # The map, from the page's own link: without JavaScript its list of points and filters.
    no_js.goto("/hinan")
    response = follow(no_js, no_js.get_by_role("link", name="地図で探す"))
    assert response.url == built.url + "/map?full=1" and response.status == 200
    expect(no_js.locator(".disaster-banner")).to_contain_text(MESSAGE)
    expect(no_js.locator("#m-list-body tr").first).to_be_visible()
    # A heavy page: the dataset a municipality's shelters come from, with its preview.
    no_js.goto(f"/hinan/{next(iter(READ))}")
    source = no_js.locator("main > h2:has-text('出典') + ul a")
    response = follow(no_js, source)
    assert "/dataset/" in response.url and response.status == 200
    expect(no_js.locator(".disaster-banner")).to_be_visible()


def test_axe_finds_nothing_on_the_pages_at_both_widths(
    browser: Any, built: LiveServer, switched_on: ckanapi.RemoteCKAN
) -> None:
    """axe runs as a script, so this browser has JavaScript on; the pages are the same."""
    with checked_page(browser, built.url) as page:
        found = {}
        for path, review in (
            ("/hinan", "hinan"),
            (f"/hinan/{next(iter(READ))}", "hinan-municipality"),
            ("/hinan?lang=en", None),
            ("/hinan/999999", None),
            ("/?full=1", "home-disaster"),
        ):
            page.goto(path)
            if violations := check_page(page, review_name=review):
                found[path] = violations
        assert found == {}
