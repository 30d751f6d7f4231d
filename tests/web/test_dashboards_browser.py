"""The dashboards in a real browser on the demo catalog: axe-core at desktop and phone width
(support/browser.py), every chart drawn by the vendored Chart.js from the table beside it (the
same numbers), no script errors under the site's Content-Security-Policy, and review
screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support.browser import check_page, checked_page
from support.live_server import LiveServer

PAGES = {
    "dashboard": "/dashboard",
    "dashboard-coverage": "/dashboard/coverage",
    "dashboard-organizations": "/dashboard/organizations",
    "dashboard-organizations-municipal": "/dashboard/organizations?kind=municipality",
    "dashboard-organization": "/dashboard/organizations/shimonoseki-city",
}
# Charts on each page: the figure's table id.
CHARTS = {
    "dashboard-coverage": ["coverage-by-standard"],
    "dashboard-organizations": ["scorecard-table"],
    "dashboard-organizations-municipal": ["scorecard-table"],
    "dashboard-organization": ["stars-table"],
}


@pytest.fixture
def page(browser: Any, demo_server: LiveServer) -> Iterator[Any]:
    with checked_page(
        browser, demo_server.url, refuse_policy_violations=True, refuse_failed_requests=True
    ) as page:
        yield page


def _chart_and_table(page: Any, table_id: str) -> dict[str, Any]:
    """What Chart.js drew from the figure of ``table_id`` and what the table says."""
    return dict(
        page.evaluate(
            """tableId => {
                const figure = document.querySelector(`figure[data-table="${tableId}"]`);
                const canvas = figure.querySelector('canvas');
                const chart = window.Chart.getChart(canvas);
                const table = document.getElementById(tableId);
                const columns = JSON.parse(figure.dataset.series);
                const rows = Array.from(table.tBodies[0].rows);
                return {
                    drawn: Boolean(chart) && canvas.width > 0 && canvas.height > 0,
                    labels: chart ? chart.data.labels : [],
                    values: chart ? chart.data.datasets.map(d => d.data) : [],
                    tableLabels: rows.map(r => (r.cells[0].dataset.label || r.cells[0].textContent).trim()),
                    tableValues: columns.map(c => rows.map(r => Number(r.cells[c].textContent.split('/')[0].replace(/[^0-9.]/g, '')))),
                    canvasLabel: canvas.getAttribute('aria-label') || '',
                    caption: table.caption ? table.caption.textContent.trim() : '',
                };
            }""",
            table_id,
        )
    )


@pytest.mark.parametrize("name", list(PAGES))
def test_dashboard_pages_pass_axe_and_draw_their_charts(page: Any, name: str) -> None:
    page.goto(PAGES[name])
    page.wait_for_load_state("load")
    for table_id in CHARTS.get(name, []):
        page.wait_for_function(
            'id => { const f = document.querySelector(`figure[data-table="${id}"]`);'
            " return window.Chart && window.Chart.getChart(f.querySelector('canvas')); }",
            arg=table_id,
        )
        shown = _chart_and_table(page, table_id)
        assert shown["drawn"], shown
        assert shown["labels"] == shown["tableLabels"] and shown["labels"], shown
        assert shown["canvasLabel"] and shown["caption"], shown
        for drawn, written in zip(shown["values"], shown["tableValues"], strict=True):
            assert [v or 0 for v in drawn] == [int(v) for v in written], shown
    violations = check_page(page, review_name=name)
    assert violations == {}, violations


def test_the_coverage_matrix_opens_a_dataset_from_its_cell(page: Any) -> None:
    page.goto("/dashboard/coverage")
    region = page.get_by_role(
        "region", name="市区町村ごとの自治体標準オープンデータセットの公開状況"
    )
    region.focus()  # a keyboard can reach and scroll the wide table
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="下関市"))
    link = row.get_by_role("link", name="下関市 指定緊急避難場所一覧")
    link.click()
    page.wait_for_url("**/dataset/shimonoseki-city-evacuation-space")
    assert (
        page.get_by_role("heading", level=1).inner_text().startswith("下関市 指定緊急避難場所一覧")
    )
