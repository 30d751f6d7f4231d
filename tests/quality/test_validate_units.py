"""The validation building blocks: cell checks, the batched fast path, codes, coordinates."""

from __future__ import annotations

import random
from datetime import date

import pytest

from tsunagu.quality.findings import Report
from tsunagu.quality.standards import get_standard
from tsunagu.quality.validate.codes import code_issues, same_area
from tsunagu.quality.validate.columns import ColumnCheck, Pending
from tsunagu.quality.validate.geo import coordinate_pairs, is_coordinate
from tsunagu.quality.validate.schema import match_columns
from tsunagu.quality.validate.sink import Sink, show
from tsunagu.quality.validate.text import text_issues
from tsunagu.quality.validate.typed import Expectation, expectation_for_field, typed_issues

TRICKY = [
    "普通の値", "plain", "12", "-5", "35.6812", " 前に空白", "後ろに空白　", "①", "㈱八王子",
    "ｶﾀｶﾅ", "０３", "ＡＢＣ", "令和2年4月1日", "R2.4.1", "2020/4/1", "2020-04-01", "2020-4-1",
    "2020年4月1日", "－", "...", "不明", "該当なし", "N/A", "X", "=SUM(A1)", "@x", "+A1", "-",
    "a\tb", "bell\x07", "\ufffd", "荳ｭ螟ｮ", "縺ゅ≠", "1,234", "△5", "12人", "¥500", "約100",
    "x" * 6000, "042-626-3111", "042(626)3111", "192-8501", "有", "あり", "1", "○", "2020",
    "https://example.jp/", "info@example.jp", "not a mail", "NULL", "NaN", "9:30", "9時",
]  # fmt: skip

EXPECTATIONS = [
    None,
    Expectation(kind="number"),
    Expectation(kind="integer", standard=True),
    Expectation(kind="number", geo=True),
    expectation_for_field("string", "^[0-9-]+$", None, None),
    expectation_for_field("string", "^[0-9]{3}-?[0-9]{4}$", None, None),
    expectation_for_field("string", None, ["有", "無"], None),
    expectation_for_field("string", None, None, "uri"),
    expectation_for_field("string", None, None, "email"),
    expectation_for_field("date", None, None, None),
    expectation_for_field("time", "%H:%M", None, None),
    Expectation(code=True, publisher="132012"),
]


@pytest.mark.parametrize("expect", EXPECTATIONS)
def test_batched_checks_find_exactly_what_cell_by_cell_checks_find(
    expect: Expectation | None,
) -> None:
    rng = random.Random(5)
    values: list[object] = [rng.choice(TRICKY) for _ in range(3000)] + [
        None,
        12,
        3.5,
        date(2020, 1, 1),
    ]
    rng.shuffle(values)
    lines = list(range(2, len(values) + 2))
    batched: list[Pending] = []
    check = ColumnCheck(0, "列", "列", expect, required=True)
    for start in range(0, len(values), 700):  # several batches: the clean cache is used too
        check.run(values[start : start + 700], lines[start : start + 700], batched)
    one_by_one = ColumnCheck(0, "列", "列", expect, required=True)
    expected = [
        (line, 0, rule, "列", value, detail)
        for line, value in zip(lines, values, strict=True)
        for rule, detail in one_by_one.inspect(value)
    ]
    assert sorted(batched, key=repr) == sorted(expected, key=repr)
    assert expected  # the list does exercise the checks


def _unique_values(rng: random.Random, count: int) -> list[object]:
    """Values that hardly repeat (as in ID, name, URL or coordinate columns), with about one
    in twenty a tricky value, some empty cells, and a few typed cells from a spreadsheet."""
    forms = [
        "{n}", "{n}.5", "名前{n}", "https://example.jp/{n}", "03-{n:04d}", "a{n}@example.jp",
        "13{n:04d}", "2020-01-{d:02d}", "ｶﾅ{n}", "{n} ", "０{n}",
    ]  # fmt: skip
    values: list[object] = []
    for n in range(count):
        roll = rng.random()
        if roll < 0.05:
            values.append(rng.choice(TRICKY))
        elif roll < 0.06:
            values.append(None)
        elif roll < 0.062:
            values.append(rng.choice([n, n + 0.5, date(2020, 1, 1 + n % 28)]))
        else:
            values.append(rng.choice(forms).format(n=n, d=1 + n % 28))
    return values


@pytest.mark.parametrize("expect", EXPECTATIONS)
@pytest.mark.parametrize("required", [True, False])
def test_direct_path_for_unique_columns_agrees_with_cell_by_cell_checks(
    expect: Expectation | None, required: bool
) -> None:
    rng = random.Random(11)
    values = _unique_values(rng, 6000)
    values[3000:3512] = [f"行{n}" for n in range(512)]  # one clean batch: nothing to find
    lines = list(range(2, len(values) + 2))
    batched: list[Pending] = []
    check = ColumnCheck(0, "列", "列", expect, required=required)
    took_direct = 0
    for start in range(0, len(values), 512):  # the engine's batch size
        took_direct += check.direct > 0
        check.run(values[start : start + 512], lines[start : start + 512], batched)
    reference = ColumnCheck(0, "列", "列", expect, required=required)
    expected = [
        (line, 0, rule, "列", value, detail)
        for line, value in zip(lines, values, strict=True)
        for rule, detail in reference.inspect(value)
    ]
    assert sorted(batched, key=repr) == sorted(expected, key=repr)
    assert expected
    if check.filters is not None:
        assert took_direct >= 5  # the direct path did run


def test_direct_path_declines_cells_it_cannot_join() -> None:
    check = ColumnCheck(0, "列", "列", Expectation(kind="number"))
    lines = list(range(2, 302))
    out: list[Pending] = []
    assert not check._run_direct([*map(str, range(299)), 5], lines, out)  # a typed cell
    assert not check._run_direct([*map(str, range(299)), "1\n2"], lines, out)  # a line break
    assert out == []
    assert check._run_direct([*map(str, range(299)), None], lines, out)
    assert out == []  # an empty optional cell is fine
    assert check._run_direct([*map(str, range(299)), "12人"], lines, out)
    assert [(line, rule) for line, _, rule, *_ in out] == [(301, "cells.number_format")]


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("普通の値", []),
        ("令和2年4月1日", ["cells.wareki"]),
        ("2020/4/1", ["cells.date_format"]),
        ("2020-04-01", []),
        ("令和2年から休止", []),  # prose, not a date
        ("－", ["cells.placeholder"]),
        ("㈱①", ["cells.platform_dependent"]),
        ("ﾊﾁｵｳｼﾞ", ["cells.halfwidth_kana"]),
        ("ＡＢＣ１２３", ["cells.fullwidth"]),
        ("（株）八王子", []),  # full-width brackets are normal in Japanese text
        (" 前後 ", ["cells.spaces"]),
        ("一行目\n二行目", ["cells.multiple_values"]),
        ("=cmd", ["cells.formula"]),
        ("-12", []),
        ("荳ｭ螟ｮ蝗ｳ譖ｸ", ["file.mojibake"]),
    ],
)
def test_text_issues(text: str, rules: list[str]) -> None:
    assert [rule for rule, _ in text_issues(text)] == rules


def test_wareki_detail_is_the_iso_date() -> None:
    assert text_issues("平成31年4月30日") == [("cells.wareki", "2019-04-30")]


def test_codes() -> None:
    assert code_issues("132012", "132012") == []
    assert code_issues("132012", None) == []
    assert code_issues("132011", None)[0][0] == "codes.check_digit"
    assert "132012" in str(code_issues("132011", None)[0][1])
    rule, detail = code_issues("13201", None)[0]
    assert rule == "codes.format" and "132012" in str(detail)
    rule, detail = code_issues(11002, None)[0]  # 札幌市 011002 typed as a number in Excel
    assert rule == "codes.format" and "先頭の 0" in str(detail)
    assert code_issues("131016", "132012") == [("codes.other_municipality", "132012")]


def test_same_area() -> None:
    assert same_area("130001", "132012")  # 東京都 publishes for 八王子市
    assert not same_area("130001", "011002")
    assert same_area("141003", "141011")  # 横浜市 and its 鶴見区
    assert not same_area("132012", "132021")


def test_typed_cells_from_spreadsheets() -> None:
    assert typed_issues(date(2020, 4, 1), expectation_for_field("date", None, None, None)) == []
    assert typed_issues(12, Expectation(kind="integer", standard=True)) == []
    assert typed_issues(True, Expectation(kind="integer", standard=True))[0][0] == "schema.type"
    assert typed_issues(1.5, Expectation(kind="integer", standard=True))[0][0] == "schema.type"


def test_coordinate_columns_are_recognised_by_name() -> None:
    assert is_coordinate("緯度") and is_coordinate("経度") and is_coordinate("lat")
    assert not is_coordinate("platform") and not is_coordinate("longer description")
    pairs = coordinate_pairs(["中心_緯度", "中心_経度", "lat", "lng"], ["a", "b", "c", "d"], None)
    assert [(p.lat, p.lon) for p in pairs] == [(0, 1), (2, 3)]


def test_exact_names_win_over_near_matches() -> None:
    standard = get_standard("evacuation_space")
    match = match_columns(["名称（カナ）", "名称_カナ", "名称"], standard)
    assert match.field_of["名称_カナ"].name == "名称_カナ"
    assert "名称（カナ）" in match.extra  # the field is taken by the exact column
    assert match.misnamed == {}


def test_sink_counts_past_the_cap_without_listing() -> None:
    report = Report(cap_per_rule=2)
    sink = Sink(report)
    for line in range(2, 12):
        sink.emit("cells.spaces", line, "名称", " x ")
    assert report.counts["cells.spaces"] == 10
    assert len(report.findings) == 2
    assert show("a\tb\x07") == "a\u2409b\u2407"
