"""Exporting a plan with its progress for the yearly PDCA report (/plan/{name}/export.xlsx and
.csv), on SQLite and PostgreSQL: the workbook read back equals the plan as the API shows it, the
CSV holds the same table, the export imports again into another plan, and an unpublished plan
is exported only to those who may read it."""

from __future__ import annotations

import csv
import io
from typing import Any

import ckanapi
import openpyxl
import pytest
import requests

from support.live_server import LiveServer
from support.plans import import_table, indicators, organization, sysadmin, yamaguchi_plan
from tsunagu.demo import plan_yamaguchi as yamaguchi

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def ckan(server: LiveServer) -> ckanapi.RemoteCKAN:
    return sysadmin(server)


@pytest.fixture(scope="module")
def plan(server: LiveServer, ckan: ckanapi.RemoteCKAN) -> dict[str, Any]:
    """山口県's plan with a few actual values (entered, and one a year for two years)."""
    created = yamaguchi_plan(ckan, organization(server))
    import_table(ckan, created["name"], "施策集.xlsx", yamaguchi.workbook())
    shown = ckan.action.plan_show(id=created["name"])
    found = indicators(shown)
    cards = found["マイナンバーカード交付率"]["id"]
    ckan.action.plan_indicator_value_add(
        indicator_id=cards, value="24.4%", period="R3. 3月末", source="総務省 交付状況"
    )
    ckan.action.plan_indicator_value_add(indicator_id=cards, value="49.0%", period="R4年3月末")
    access = found["やまぐち総合教育支援サイト(教育用ネットワークシステム利用)へのアクセス数"]["id"]
    ckan.action.plan_indicator_value_add(indicator_id=access, value="約412,000件", period="R2年度")
    ckan.action.plan_patch(id=created["name"], published=True)
    return ckan.action.plan_show(id=created["name"])  # type: ignore[no-any-return]


def _get(server: LiveServer, path: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": token} if token else {}
    return requests.get(f"{server.url}{path}", headers=headers, timeout=60)


def _expected_rows(plan: dict[str, Any]) -> list[list[Any]]:
    """The report's rows built here from plan_show, independently of plan/export.py."""
    years = [y["fiscal_year"] for y in plan["fiscal_years"]]
    nodes = {n["id"]: n for n in plan["nodes"]}

    def headings(node_id: str | None) -> list[Any]:
        pillar = strategy = "－"
        node = nodes.get(node_id or "")
        while node is not None:
            text = f"{node['number']} {node['title']}"
            if node["level_name"] == "施策の柱":
                pillar = text
            else:
                strategy = text
            node = nodes.get(node["parent_id"] or "")
        return [pillar, strategy]

    def indicator_part(i: dict[str, Any] | None) -> list[Any]:
        if i is None:
            return [None] * 7
        keys = ("name", "scope", "unit", "baseline", "baseline_period", "target", "target_period")
        return [i[k] or None for k in keys]

    def actual(i: dict[str, Any] | None, year: int) -> Any:
        point = next((y for y in (i or {}).get("yearly", []) if y["fiscal_year"] == year), None)
        if point is None:
            return None
        value = point["value"]
        if value is not None and point["text"] in ("", str(value), str(int(value))):
            return int(value) if float(value).is_integer() else value
        return point["text"]

    def tail(i: dict[str, Any] | None, note: str) -> list[Any]:
        if i is None:
            return [None, None, None, note or None]
        p = i["progress"]
        return [p["latest_text"] or None, p["latest_date"], p["label"], note or None]

    rows = []
    holding = {m["node_id"] for m in plan["measures"]}
    for node in plan["nodes"]:
        if not node["indicators"] and node["id"] not in holding:
            rows.append([*headings(node["id"])] + [None] * 22)
        for i in node["indicators"]:
            row = [*headings(node["id"]), None, None, None, None, None, *indicator_part(i)]
            for year in years:
                row += [None, actual(i, year)]
            rows.append(row + tail(i, i["note"]))
    for m in plan["measures"]:
        stages = {s["fiscal_year"]: s["text"] for s in m["stages"]}
        left = [
            *headings(m["node_id"]),
            m["number"] or None,
            m["name"],
            "・".join(m["departments"]) or None,
            m["summary"] or None,
            "、".join(m["category_labels"]) or None,
        ]
        for i in m["indicators"] or [None]:
            row = left + indicator_part(i)
            for year in years:
                row += [stages.get(year), actual(i, year)]
            rows.append(row + tail(i, m["note"]))
    return rows


def test_xlsx_reads_back_equal_to_the_plan(server: LiveServer, plan: dict[str, Any]) -> None:
    response = _get(server, f"/plan/{plan['name']}/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["進捗", "計画", "実績"]
    sheet = [list(r) for r in book["進捗"].iter_rows(values_only=True)]
    header, rows = sheet[0], sheet[1:]
    assert header == [
        "施策の柱", "推進方策", "番号", "施策名", "所管課", "取組概要", "官民データ", "指標",
        "取組対象", "単位", "現状", "基準年度", "目標", "目標年度", "R2年度 工程", "R2年度 実績",
        "R3年度 工程", "R3年度 実績", "R4年度 工程", "R4年度 実績", "最新の実績",
        "最新の実績の時点", "進捗", "備考",
    ]  # fmt: skip
    assert rows == _expected_rows(plan)
    assert len([r for r in rows if r[header.index("指標")]]) == 26
    by_indicator = {r[header.index("指標")]: r for r in rows}
    cards = by_indicator["マイナンバーカード交付率"]
    assert cards[header.index("現状")] == "14.8%"
    assert cards[header.index("基準年度")] == "R2. 1月"
    assert cards[header.index("R2年度 実績")] == "24.4%"  # R3. 3月末 is in FY2020
    assert cards[header.index("R3年度 実績")] == "49.0%"
    assert cards[header.index("進捗")] == plan_status(plan, "マイナンバーカード交付率")
    access = by_indicator[
        "やまぐち総合教育支援サイト(教育用ネットワークシステム利用)へのアクセス数"
    ]
    assert access[header.index("R2年度 実績")] == "約412,000件"
    assert access[header.index("進捗")] == "定性目標"
    about = dict(book["計画"].iter_rows(min_row=2, values_only=True))
    assert about["計画名"] == yamaguchi.TITLE
    assert about["計画期間"] == "令和2年度（2020年度）〜令和4年度（2022年度）"
    assert about["策定"] == "令和2年（2020年）3月"
    assert about["判定のきまり"].startswith("判定のきまり：")
    history = list(book["実績"].iter_rows(min_row=2, values_only=True))
    assert ("14", "マイナンバーカードの普及促進", "マイナンバーカード交付率", "R3. 3月末",
            "R2年度", "24.4%", 24.4, "総務省 交付状況", None) in history  # fmt: skip


def plan_status(plan: dict[str, Any], name: str) -> str:
    return str(indicators(plan)[name]["progress"]["label"])


def test_csv_holds_the_same_table(server: LiveServer, plan: dict[str, Any]) -> None:
    xlsx = openpyxl.load_workbook(
        io.BytesIO(_get(server, f"/plan/{plan['name']}/export.xlsx").content)
    )
    response = _get(server, f"/plan/{plan['name']}/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    expected = [
        ["" if c is None else str(c) for c in r] for r in xlsx["進捗"].iter_rows(values_only=True)
    ]
    assert rows == expected


def test_export_imports_again_into_another_plan(
    server: LiveServer, ckan: ckanapi.RemoteCKAN, plan: dict[str, Any]
) -> None:
    workbook = _get(server, f"/plan/{plan['name']}/export.xlsx").content
    copy = yamaguchi_plan(ckan, organization(server))
    result = import_table(ckan, copy["name"], "進捗.xlsx", workbook)
    assert result["counts"]["errors"] == 0
    again = ckan.action.plan_show(id=copy["name"])

    def shape(p: dict[str, Any]) -> Any:
        keys = {n["id"]: n["key"] for n in p["nodes"]}
        return (
            sorted((n["key"], n["level"], n["title"]) for n in p["nodes"]),
            [
                (
                    m["number"], m["name"], m["departments"], m["categories"], m["note"],
                    keys.get(m["node_id"]), [(s["fiscal_year"], s["text"]) for s in m["stages"]],
                )
                for m in p["measures"]
            ],
            sorted(
                (
                    i["name"], i["scope"], i["unit"], i["baseline"], i["baseline_value"],
                    i["baseline_period"], i["baseline_date"], i["target"], i["target_value"],
                    i["target_period"], i["target_fiscal_year"], i["direction"],
                )
                for i in indicators(p).values()
            ),
        )  # fmt: skip

    assert shape(again) == shape(plan)
    # The yearly actual values come back, one per fiscal year.
    cards = indicators(again)["マイナンバーカード交付率"]
    assert [(v["fiscal_year"], v["text"]) for v in cards["values"]] == [
        (2020, "24.4%"),
        (2021, "49.0%"),
    ]


def test_unpublished_plans_export_to_their_readers_only(
    server: LiveServer, ckan: ckanapi.RemoteCKAN
) -> None:
    owner = organization(server)
    hidden = yamaguchi_plan(ckan, owner)
    assert _get(server, f"/plan/{hidden['name']}/export.xlsx").status_code == 404
    outsider = server.make_user("plan-export-outsider")
    assert _get(server, f"/plan/{hidden['name']}/export.csv", outsider).status_code == 404
    member = server.make_user("plan-export-member")
    server.act(
        "organization_member_create",
        {"id": owner, "username": "plan-export-member", "role": "member"},
    )
    response = _get(server, f"/plan/{hidden['name']}/export.csv", member)
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").startswith("番号,施策名")
    assert _get(server, "/plan/no-such-plan/export.xlsx").status_code == 404
