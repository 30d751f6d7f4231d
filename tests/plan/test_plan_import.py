"""Importing plan tables over the API (plan_import_preview / plan_import_apply), on SQLite and
PostgreSQL: 山口県's 施策集 built from the reference with every one of its 26 indicator rows,
re-imports that update instead of duplicating, rows that cannot be read named with the reason,
宮城県's master-table layout, and mapping changes made in the preview."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import ckanapi
import openpyxl
import pytest

from support.live_server import LiveServer
from support.plans import (
    import_table,
    indicators,
    organization,
    sysadmin,
    unique,
    upload,
    yamaguchi_plan,
)
from tsunagu.demo import plan_yamaguchi as yamaguchi


@pytest.fixture(scope="module")
def ckan(server: LiveServer) -> ckanapi.RemoteCKAN:
    return sysadmin(server)


@pytest.fixture(scope="module")
def owner(server: LiveServer) -> str:
    return organization(server)


def _with_period(value: str, period: str) -> str:
    return f"{value} ({period})" if period else value


def test_yamaguchi_workbook_imports_every_indicator_row(
    ckan: ckanapi.RemoteCKAN, owner: str
) -> None:
    plan = yamaguchi_plan(ckan, owner)
    preview = ckan.action.plan_import_preview(
        plan_id=plan["name"], upload=upload("施策集.xlsx", yamaguchi.workbook())
    )
    # The title row above the table is skipped; each column gets its suggested field.
    assert preview["header_line"] == 2
    fields = {c["name"]: c["field"] for c in preview["columns"]}
    assert fields == {
        "施策の柱": "level:1",
        "推進方策": "level:2",
        "番号": "number",
        "施策名": "name",
        "所管課": "departments",
        "指標": "indicator",
        "取組対象": "scope",
        "単位": "unit",
        "現状": "baseline",
        "目標": "target",
        "官民データ": "categories",
        "R2年度": "stage:2020",
        "R3年度": "stage:2021",
        "R4年度": "stage:2022",
        "備考": "measure_note",
    }
    counts = preview["counts"]
    assert counts["errors"] == 0
    assert (counts["measures_created"], counts["indicators_created"]) == (24, 26)
    assert counts["headings_created"] == 9
    # The preview changes nothing.
    assert ckan.action.plan_show(id=plan["name"])["num_indicators"] == 0

    applied = ckan.action.plan_import_apply(id=preview["id"])
    assert applied["state"] == "applied"
    shown = ckan.action.plan_show(id=plan["name"])
    assert (shown["num_measures"], shown["num_indicators"]) == (24, 26)
    found = indicators(shown)
    for row in yamaguchi.indicator_rows():
        indicator = found[row.indicator]
        assert _with_period(indicator["baseline"], indicator["baseline_period"]) == row.baseline
        assert _with_period(indicator["target"], indicator["target_period"]) == row.target
        assert indicator["scope"] == row.scope
        if row.unit:
            assert indicator["unit"] == row.unit

    # Values keep their text and are read into number + qualifier.
    cards = found["マイナンバーカード交付率"]
    assert (cards["baseline_value"], cards["baseline_qualifier"]) == (14.8, "")
    assert (cards["baseline_period"], cards["baseline_date"]) == ("R2. 1月", "2020-01-31")
    assert cards["baseline_fiscal_year"] == 2019
    assert (cards["target_value"], cards["target_fiscal_year"]) == (94.1, 2022)
    assert cards["target_fiscal_year_label"] == "令和4年度（2022年度）"
    access = found["やまぐち総合教育支援サイト(教育用ネットワークシステム利用)へのアクセス数"]
    assert (access["baseline"], access["baseline_value"]) == ("約409,000件", 409000)
    assert access["baseline_qualifier"] == "approx"
    assert (access["target"], access["target_value"], access["target_qualifier"]) == (
        "増加させる",
        None,
        "text",
    )
    assert access["progress"]["status"] == "qualitative"
    cases = found["オープンデータ活用事例数"]
    assert (cases["baseline"], cases["baseline_qualifier"], cases["unit"]) == ("-件", "none", "件")
    assert (cases["baseline_period"], cases["baseline_fiscal_year"]) == ("2019 (令元)", 2019)
    accidents = found["人身交通事故件数"]
    assert (accidents["baseline_period"], accidents["baseline_date"]) == ("H30年中", "2018-12-31")
    assert accidents["direction"] == "decrease"
    # The 柱-level row has no target year: the plan's last year, said in the preview.
    online = found["行政手続等のオンライン利用率(注)"]
    assert (online["target"], online["target_period"], online["target_fiscal_year"]) == (
        "70%",
        "",
        2022,
    )
    notes = [p["message"] for p in preview["problems"] if p["severity"] == "note"]
    assert any("目標「70%」の目標年度がありません" in m for m in notes)

    # Headings from the 柱 and 推進方策 columns (merged down in the workbook); the 柱-level rows
    # belong to their 推進方策, and a dash leaves measures under the 柱 only.
    nodes = {n["key"]: n for n in shown["nodes"]}
    assert nodes["I"]["level_name"] == "施策の柱"
    assert nodes["II/1"]["title"] == "行政手続き等のオンライン化"
    assert [i["name"] for i in nodes["I/1"]["indicators"]] == ["オープンデータ活用事例数"]
    assert [i["name"] for i in nodes["II/1"]["indicators"]] == ["行政手続等のオンライン利用率(注)"]
    measures = {m["number"]: m for m in shown["measures"]}
    key_of = {n["id"]: n["key"] for n in shown["nodes"]}
    assert key_of[measures["1-3"]["node_id"]] == "I/1"
    assert key_of[measures["5"]["node_id"]] == "I"
    assert key_of[measures["21"]["node_id"]] == "III/1"
    assert measures["23"]["node_id"] is None
    assert measures["14"]["departments"] == ["情報企画課", "市町課"]
    assert measures["14"]["categories"] == ["mynumber"]
    # 工程表: measure 1's text is merged across R2〜R4 and holds for each year.
    assert [(s["label"], s["text"]) for s in measures["1"]["stages"]] == [
        ("R2年度", "行政データのニーズ調査・利活用検討"),
        ("R3年度", "行政データのニーズ調査・利活用検討"),
        ("R4年度", "行政データのニーズ調査・利活用検討"),
    ]
    assert [s["text"] for s in measures["18"]["stages"]] == [
        "11校導入(累計20校)",
        "12校導入(累計33校)",
        "9校導入(累計42校)",
    ]
    assert measures["9"]["note"] == "工程: 研究 → 実用化と現場展開"


def test_reimport_updates_instead_of_duplicating(ckan: ckanapi.RemoteCKAN, owner: str) -> None:
    plan = yamaguchi_plan(ckan, owner)
    import_table(ckan, plan["name"], "施策集.xlsx", yamaguchi.workbook())
    before = ckan.action.plan_show(id=plan["name"])
    summary = ckan.action.plan_measure_patch(
        id=next(m["id"] for m in before["measures"] if m["number"] == "3"),
        summary="携帯電話の不感地区を解消する。",
    )
    assert summary["summary"] == "携帯電話の不感地区を解消する。"

    # The same plan as CSV, with one target changed and measure 3's summary column absent.
    rows = yamaguchi.table_rows()
    header = rows[0]
    target = header.index("目標")
    for row in rows[1:]:
        if row[header.index("番号")] == "3":
            row[target] = "35地区 (R4年度)"
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    preview = ckan.action.plan_import_preview(
        plan_id=plan["name"], upload=upload("施策集.csv", text.getvalue().encode("utf-8"))
    )
    counts = preview["counts"]
    assert (counts["measures_created"], counts["measures_updated"]) == (0, 24)
    assert (counts["indicators_created"], counts["indicators_updated"]) == (0, 26)
    assert counts["headings_created"] == 0
    assert {r["action"] for r in preview["rows"] if r["kind"] != "heading"} == {"update"}
    ckan.action.plan_import_apply(id=preview["id"])

    after = ckan.action.plan_show(id=plan["name"])
    assert (after["num_measures"], after["num_indicators"]) == (24, 26)
    assert len(after["nodes"]) == len(before["nodes"])
    changed = indicators(after)["携帯電話不感地区数"]
    assert (changed["target"], changed["target_value"]) == ("35地区", 35)
    measure = next(m for m in after["measures"] if m["number"] == "3")
    assert measure["summary"] == "携帯電話の不感地区を解消する。"  # not in the file: kept
    assert [m["id"] for m in after["measures"]] == [m["id"] for m in before["measures"]]


BAD_TABLE = [
    ["番号", "施策名", "所管課", "指標", "現状", "目標", "H32年度 実績", "H33"],
    [
        "１",
        "オープンデータの推進",
        "情報企画課",
        "オープンデータ数",
        "１４０ (R元年度)",
        "560",
        "",
        "",
    ],
    ["2", "アクセス解析", "広報課", "アクセス数", "約409,000件 (H30)", "増加", "", "拡充"],
    ["3", "電子申請", "情報企画課", "利用率", "－ (R元年度)", "94.1% (H32年度)", "61.5%", ""],
    ["4", "来年の施策", "情報企画課", "件数", "10 (来年度)", "20 (R4年度)", "", ""],
    ["5", "名前のない指標", "情報企画課", "", "10 (R元年度)", "20 (R4年度)", "", ""],
    ["1", "別の名前", "情報企画課", "重複", "1 (R元年度)", "2 (R4年度)", "", ""],
]


def _problems(preview: dict[str, Any], line: int) -> list[str]:
    return [p["message"] for p in preview["problems"] if p["line"] == line]


def _errors(preview: dict[str, Any]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for p in preview["problems"]:
        if p["severity"] == "error":
            found.setdefault(p["line"], []).append(p["message"])
    return found


def test_bad_rows_are_named_with_their_reason(ckan: ckanapi.RemoteCKAN, owner: str) -> None:
    plan = yamaguchi_plan(ckan, owner)
    existing = ckan.action.plan_measure_create(
        plan_id=plan["name"], number="4", name="来年の施策", summary="登録済みの概要"
    )
    ckan.action.plan_indicator_create(
        plan_id=plan["name"],
        measure_id=existing["id"],
        name="件数",
        baseline="8",
        baseline_period="H30年度",
        target="15",
        target_period="R4年度",
    )
    text = io.StringIO()
    csv.writer(text).writerows(BAD_TABLE)
    # Shift_JIS, as Excel writes CSV in Japanese.
    preview = ckan.action.plan_import_preview(
        plan_id=plan["name"], upload=upload("施策集.csv", text.getvalue().encode("cp932"))
    )
    errors = _errors(preview)
    assert set(errors) == {5, 6, 7}
    assert any("「来年度」を年度や日付として読めません" in m for m in errors[5])
    assert any("指標名がありません" in m for m in errors[6])
    assert any("番号「1」の施策名が 2 行目" in m for m in errors[7])
    # What was read with an interpretation says how, on its row.
    row2 = " ".join(_problems(preview, 2))
    assert "全角の数字を半角として読みました" in row2
    assert "目標「560」の目標年度がありません" in row2
    row3 = " ".join(_problems(preview, 3))
    assert "「約409,000件」を約 409000件（およその値）と読みました" in row3
    assert "「増加」は数値ではないため文言として読みました" in row3
    assert "「H33」が空欄" not in row3  # a written year is not a continuation
    row4 = " ".join(_problems(preview, 4))
    assert "「－」を値なし（－）と読みました" in row4
    assert "「94.1%」を 94.1（単位 %）と読みました" in row4
    assert "平成は31年までのため、実際の年度で読みました" in row4  # H32年度 = 令和2年度
    assert {r["line"]: r["error"] for r in preview["rows"]} == {
        2: False,
        3: False,
        4: False,
        5: True,
        6: True,
        7: True,
    }

    result = ckan.action.plan_import_apply(id=preview["id"])
    assert result["counts"]["errors"] == 3
    shown = ckan.action.plan_show(id=plan["name"])
    found = indicators(shown)
    assert found["オープンデータ数"]["baseline_value"] == 140
    assert found["オープンデータ数"]["target_fiscal_year"] == 2022
    rate = found["利用率"]
    assert (rate["target_period"], rate["target_fiscal_year"]) == ("H32年度", 2020)
    assert [(v["period"], v["value"], v["fiscal_year"]) for v in rate["values"]] == [
        ("H32年度", 61.5, 2020)
    ]
    stages = next(m for m in shown["measures"] if m["number"] == "2")["stages"]
    assert [(s["label"], s["text"], s["fiscal_year"]) for s in stages] == [("H33", "拡充", 2021)]
    # Rows in error change nothing already stored, and make nothing new.
    kept = next(m for m in shown["measures"] if m["number"] == "4")
    assert kept["summary"] == "登録済みの概要"
    assert (kept["indicators"][0]["baseline"], kept["indicators"][0]["target"]) == ("8", "15")
    assert "重複" not in found and "別の名前" not in {m["name"] for m in shown["measures"]}
    assert {m["number"] for m in shown["measures"]} == {"1", "2", "3", "4"}


def test_merged_cells_are_read_and_said_per_row(ckan: ckanapi.RemoteCKAN, owner: str) -> None:
    plan = yamaguchi_plan(ckan, owner)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["番号", "事業名【担当部局・課室名】", "指標", "現状", "目標"])
    sheet.append(
        ["84", "産業廃棄物処理業等管理システムの運用【環境生活部循環型社会推進課】",
         "データベース化する事業者", "4,283件 (H29年3月末)", "5,500件 (H33年3月末)"]
    )  # fmt: skip
    sheet.append(
        [None, None, "データベース化する施設数", "354件 (H29年3月末)", "400件 (H33年3月末)"]
    )
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:B3")
    out = io.BytesIO()
    book.save(out)
    preview = ckan.action.plan_import_preview(
        plan_id=plan["name"], upload=upload("主な取組一覧.xlsx", out.getvalue())
    )
    assert preview["counts"]["errors"] == 0
    row3 = " ".join(_problems(preview, 3))
    assert "3行目「番号」は 2〜3 行目で結合されたセルです。2 行目の値「84」として読みました" in row3
    assert "3行目「事業名【担当部局・課室名】」は 2〜3 行目で結合されたセルです" in row3
    ckan.action.plan_import_apply(id=preview["id"])
    shown = ckan.action.plan_show(id=plan["name"])
    [measure] = shown["measures"]
    assert measure["name"] == "産業廃棄物処理業等管理システムの運用"
    assert measure["departments"] == ["環境生活部循環型社会推進課"]
    assert [i["name"] for i in measure["indicators"]] == [
        "データベース化する事業者",
        "データベース化する施設数",
    ]
    facilities = measure["indicators"][1]
    assert (facilities["target_period"], facilities["target_fiscal_year"]) == ("H33年3月末", 2020)
    assert facilities["target_date"] == "2021-03-31"


MIYAGI = [
    ["重点目標", "取組の方向性", "事業番号・細目番号", "事業名【担当部局・課室名】",
     "H29", "H30", "H31", "H32", "従たる目標", "指標", "※官民データ", "掲載頁"],
    ["4 行政運営の最適化の推進", "(1) 行政手続きのオンライン化", "70",
     "電子申請オンライン利用の促進【震災復興・企画部情報政策課】", "運用", "", "", "",
     "", "電子申請利用率(県) 現状値(H27年3月末)45.17% 目標値(H33年3月末)58%", "①", "p.28"],
    ["1 安全・安心なくらしの構築", "(1) 迅速かつ正確な情報提供と積極的な情報発信", "17",
     "宮城県オープンデータサイトの運営【震災復興・企画部情報政策課】", "運営", "", "運営・拡充",
     "運営・拡充市町村支援", "", "オープンデータ公開市町村数 現状値(H30年度末)5市 目標値(H32年度末)35市町村",
     "②", "p.12"],
]  # fmt: skip


def test_miyagi_master_table_with_mapping_changes(ckan: ckanapi.RemoteCKAN, owner: str) -> None:
    plan = ckan.action.plan_create(
        name=unique("miyagi-plan"),
        title="みやぎICT・データ利活用推進プラン",
        owner_org=owner,
        period_start="H29年度",
        period_end="H32年度",
        level_names="基本目標 → 重点目標 → 取組の基本方向 → 事業",
    )
    assert plan["period_start"] == 2017 and plan["period_end"] == 2020
    text = io.StringIO()
    csv.writer(text).writerows(MIYAGI)
    preview = ckan.action.plan_import_preview(
        plan_id=plan["name"], upload=upload("主な取組一覧.csv", text.getvalue().encode("utf-8"))
    )
    fields = {c["name"]: c["field"] for c in preview["columns"]}
    assert fields["重点目標"] == "level:1"
    assert fields["取組の方向性"] == "level:2"
    assert fields["H32"] == "stage:2020"
    assert fields["従たる目標"] == ""
    assert fields["掲載頁"] == "measure_note"
    # Staff leave 掲載頁 out; other columns keep their suggestion.
    preview = ckan.action.plan_import_preview(id=preview["id"], mapping=json.dumps({"掲載頁": ""}))
    assert {c["name"]: c["field"] for c in preview["columns"]}["掲載頁"] == ""
    assert preview["mapping"] == {"掲載頁": ""}
    ckan.action.plan_import_apply(id=preview["id"])
    shown = ckan.action.plan_show(id=plan["name"])
    measures = {m["number"]: m for m in shown["measures"]}
    portal = measures["17"]
    assert portal["name"] == "宮城県オープンデータサイトの運営"
    assert portal["categories"] == ["opendata"]
    assert portal["note"] == ""
    # A blank year continues the year before it (宮城県's convention).
    assert [(s["label"], s["text"]) for s in portal["stages"]] == [
        ("H29", "運営"),
        ("H30", "運営"),
        ("H31", "運営・拡充"),
        ("H32", "運営・拡充市町村支援"),
    ]
    [municipalities] = portal["indicators"]
    assert municipalities["name"] == "オープンデータ公開市町村数"
    assert (municipalities["baseline"], municipalities["baseline_value"]) == ("5市", 5)
    assert (municipalities["target"], municipalities["unit"]) == ("35市町村", "市町村")
    assert municipalities["target_fiscal_year"] == 2020
    assert measures["70"]["categories"] == ["online"]
    keys = {n["key"]: n["level_name"] for n in shown["nodes"]}
    assert keys["4"] == "重点目標" and keys["4/(1)"] == "取組の基本方向"


def test_turning_off_year_continuation(ckan: ckanapi.RemoteCKAN, owner: str) -> None:
    plan = yamaguchi_plan(ckan, owner)
    text = io.StringIO()
    csv.writer(text).writerows(MIYAGI[:1] + MIYAGI[2:])
    preview = ckan.action.plan_import_preview(
        plan_id=plan["name"],
        upload=upload("一覧.csv", text.getvalue().encode("utf-8")),
        continue_blank_years="false",
    )
    assert preview["continue_blank_years"] is False
    ckan.action.plan_import_apply(id=preview["id"])
    [measure] = ckan.action.plan_show(id=plan["name"])["measures"]
    assert [s["label"] for s in measure["stages"]] == ["H29", "H31", "H32"]


def test_refusals(ckan: ckanapi.RemoteCKAN, owner: str) -> None:
    plan = yamaguchi_plan(ckan, owner)
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.plan_import_preview(plan_id=plan["name"], upload=upload("plan.pdf", b"%PDF"))
    assert "CSV・Excel" in str(refused.value.error_dict["upload"])
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.plan_import_preview(plan_id=plan["name"])
    assert "upload" in refused.value.error_dict
    preview = ckan.action.plan_import_preview(
        plan_id=plan["name"], upload=upload("a.csv", "番号,施策名\n1,施策\n".encode())
    )
    with pytest.raises(ckanapi.ValidationError) as refused:
        ckan.action.plan_import_preview(id=preview["id"], mapping='{"番号": "no_such_field"}')
    assert "no_such_field" in str(refused.value.error_dict["mapping"])
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.plan_import_preview(id=preview["id"], mapping="not json")
    ckan.action.plan_import_discard(id=preview["id"])
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.plan_import_apply(id=preview["id"])
    with pytest.raises(ckanapi.NotFound):
        ckan.action.plan_import_preview(plan_id="no-such-plan", upload=upload("a.csv", b"a,b\n"))


def test_a_preview_left_for_a_day_is_discarded(
    server: LiveServer, ckan: ckanapi.RemoteCKAN, owner: str
) -> None:
    import datetime as dt

    from sqlalchemy import update

    from tsunagu.plan.models import PlanImport

    plan = yamaguchi_plan(ckan, owner)
    old = ckan.action.plan_import_preview(
        plan_id=plan["name"], upload=upload("a.csv", "番号,施策名\n1,施策\n".encode())
    )
    with server.services.sessions() as session:
        session.execute(
            update(PlanImport)
            .where(PlanImport.id == old["id"])
            .values(modified=dt.datetime(2020, 1, 1))
        )
        session.commit()
    ckan.action.plan_import_preview(
        plan_id=plan["name"], upload=upload("b.csv", "番号,施策名\n2,施策\n".encode())
    )
    assert ckan.action.plan_import_show(id=old["id"])["state"] == "discarded"
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.plan_import_apply(id=old["id"])
