"""地図（市区町村別） in a real browser (Chromium through Playwright): the demo's 山口県
市町別推計人口 workbook, ingested, drawn by municipality on the dataset page with the table of
values beside the map, the "地図で表示" buttons used from the keyboard, the standalone page with
other options, and axe-core finding nothing at desktop and phone width (support/browser.py).

Its own small catalog (no demo load): the workbook is the demo's own generator output.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import check_page, checked_page, expect
from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.demo import files_population as population
from tsunagu.demo.places import all_local_governments

DATASET = "yamaguchi-estimate"


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[LiveServer, str]]:
    with tempfile.TemporaryDirectory(prefix="choropleth-browser-") as tmp:
        live = LiveServer(
            data_dir=Path(tmp), database_url=f"sqlite:///{Path(tmp) / 'tsunagu.db'}"
        ).start()
        ckan = live.ckan(live.make_user("cb-admin", sysadmin=True))
        ckan.action.organization_create(
            name="yamaguchi-pref", title="山口県", kind="prefecture", local_gov_code="350001"
        )
        ckan.action.package_create(name=DATASET, title="市町別推計人口", owner_org="yamaguchi-pref")
        resource = ckan.action.resource_create(
            package_id=DATASET,
            name="市町別推計人口.xlsx",
            upload=("市町別推計人口.xlsx", io.BytesIO(population.population_estimate_monthly())),
        )
        status = wait_until(
            lambda: ckan.action.datastore_ingest_status(resource_id=resource["id"])["status"],
            "the workbook's ingest",
            until=lambda s: s in ("complete", "error"),
        )
        assert status == "complete"
        yield live, str(resource["id"])
        live.stop()


@pytest.fixture
def page(browser: Any, site: tuple[LiveServer, str]) -> Iterator[Any]:
    with checked_page(browser, site[0].url) as page:
        yield page


def _municipalities() -> dict[str, str]:
    """The demo's 山口県 municipalities (code → name), the prefecture itself left out."""
    return {code: name for code, name, _pop, _area in all_local_governments() if code != "350001"}


def _drawn(page: Any) -> int:
    page.wait_for_selector(".choropleth-map[data-drawn]")
    return int(page.get_attribute(".choropleth-map", "data-drawn"))


def test_the_dataset_page_draws_yamaguchi_by_municipality_beside_its_table(
    site: tuple[LiveServer, str], page: Any
) -> None:
    live, _resource_id = site
    page.goto(f"{live.url}/dataset/{DATASET}")
    section = page.locator("section.choropleth")
    assert section.locator("h4").inner_text() == "地図（市区町村別）"
    municipalities = _municipalities()
    assert len(municipalities) == 19
    # Every municipality filled on the map, and the same ones in the table beside it.
    assert _drawn(page) == 19
    rows = section.locator(".choropleth-table tbody tr")
    assert rows.count() == 19
    table = {
        rows.nth(i).get_attribute("data-code"): rows.nth(i).locator("th").inner_text()
        for i in range(rows.count())
    }
    assert set(table) == set(municipalities)
    assert all(municipalities[code] in text for code, text in table.items())
    # The filled shapes use the legend's colours (no other fill but the grey for no data).
    legend = section.locator(".choropleth-legend li rect")
    legend_colours = {legend.nth(i).get_attribute("fill") for i in range(legend.count())}
    fills = set(
        page.eval_on_selector_all(
            ".choropleth-map path.leaflet-interactive",
            "paths => paths.map(p => p.getAttribute('fill'))",
        )
    )
    assert fills and fills <= legend_colours
    assert len(fills) >= 4  # quantiles over 19 values use every class
    # 県計 (the prefecture's row) is listed, not dropped.
    unmatched = section.locator(".choropleth-unmatched")
    assert "350001" in (unmatched.text_content() or "")
    # The prefecture's boundaries came from the vendored file, with the attribution shown.
    assert "気象庁" in page.locator(".choropleth-map .leaflet-control-attribution").inner_text()

    # Keyboard: the row's button zooms to the municipality and moves focus to the map.
    button = section.locator('tr[data-code="352012"] button.choropleth-show')
    button.focus()
    page.keyboard.press("Enter")
    expect(section.locator(".choropleth-map")).to_be_focused()
    tooltip = page.locator(".choropleth-map .leaflet-tooltip")
    tooltip.wait_for()
    assert "下関市" in tooltip.inner_text()

    violations = check_page(page, "choropleth-dataset")
    assert not violations, violations


def test_the_standalone_page_redraws_with_other_options(
    site: tuple[LiveServer, str], page: Any
) -> None:
    live, resource_id = site
    page.goto(f"{live.url}/choropleth/{resource_id}")
    assert _drawn(page) == 19
    page.select_option("#ch-value", "人口_総数")
    page.select_option("#ch-method", "jenks")
    page.select_option("#ch-classes", "3")
    page.get_by_role("button", name="地図を描き直す").click()
    page.wait_for_url("**/choropleth/**method=jenks**")
    assert _drawn(page) == 19
    assert page.locator(".choropleth-legend li").count() == 3 + 1  # three classes and no data
    assert "人口_総数" in page.locator(".choropleth-table thead").inner_text()
    violations = check_page(page, "choropleth-page")
    assert not violations, violations
