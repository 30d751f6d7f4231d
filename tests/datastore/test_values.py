"""Tests for parsing single cells written the way Japanese public-sector tables write them."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from tsunagu.datastore.ingest.values import (
    is_missing,
    normalize_text,
    parse_bool,
    parse_date,
    parse_int,
    parse_numeric,
    parse_time,
    parse_timestamp,
    parse_year_month,
    to_halfwidth,
)

D = dt.date
T = dt.time
DT = dt.datetime

# --- is_missing -----------------------------------------------------------------------------

STRICT_MISSING = [
    None,
    "",
    " ",
    "\u3000",
    " \u3000\t\n",
    "-",
    "－",
    "‐",
    "―",
    "—",
    "–",
    "−",
    "ー",
    "ｰ",
    "…",
    "...",
    "．．．",
    "‥",
    "・",
    "･",
    " - ",
    "\u3000－\u3000",
    "--",
    "ーー",
    float("nan"),
    Decimal("NaN"),
]
WIDE_ONLY_MISSING = [
    "*",
    "＊",
    "x",
    "X",
    "ｘ",
    "Ｘ",
    "不明",
    "不詳",
    "該当なし",
    "該当無し",
    "秘匿",
    "#N/A",
    "＃Ｎ／Ａ",
    "N/A",
    "n/a",
    "NA",
    "null",
    "NULL",
    "Null",
    "NaN",
    " 不明 ",
]
NOT_MISSING = [
    "0",
    0,
    0.0,
    False,
    "なし",
    "無",
    "ー12",
    "-12",
    ".5",
    "abc",
    "xx",
    "〃",
    D(2020, 1, 1),
    T(0),
]


@pytest.mark.parametrize("cell", STRICT_MISSING)
def test_strictly_missing(cell: object) -> None:
    assert is_missing(cell, strict=True)
    assert is_missing(cell)


@pytest.mark.parametrize("cell", WIDE_ONLY_MISSING)
def test_missing_only_for_typed_values(cell: object) -> None:
    assert is_missing(cell)
    assert not is_missing(cell, strict=True)


@pytest.mark.parametrize("cell", NOT_MISSING)
def test_not_missing(cell: object) -> None:
    assert not is_missing(cell)
    assert not is_missing(cell, strict=True)


# --- to_halfwidth ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＢＣｘｙｚ０１２３", "ABCxyz0123"),
        ("！～", "!~"),  # both ends of U+FF01..U+FF5E
        ("（株）", "(株)"),
        ("令和\u3000２年", "令和 2年"),
        ("①②", "①②"),  # circled digits are not full-width ASCII
        ("㈱つなぐ", "㈱つなぐ"),
        ("ｶﾀｶﾅ", "ｶﾀｶﾅ"),  # half-width katakana stays
        ("カタカナ", "カタカナ"),
        ("￥１００", "￥100"),  # U+FFE5 is outside the folded block
        ("plain ascii", "plain ascii"),
        ("", ""),
    ],
)
def test_to_halfwidth(text: str, expected: str) -> None:
    assert to_halfwidth(text) == expected


# --- parse_int ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("0", 0),
        ("12", 12),
        ("007", 7),  # keeping codes as text is infer's job
        ("-12", -12),
        ("+12", 12),
        ("−12", -12),
        ("△12", -12),
        ("▲12", -12),
        ("△ 12", -12),
        ("▲\u300012", -12),
        ("－１２", -12),
        ("１２３", 123),
        ("1,234", 1234),
        ("12,345,678", 12345678),
        ("１，２３４", 1234),
        ("△1,234", -1234),
        ("  12  ", 12),
        ("\u300012\u3000", 12),
        ("50%", 50),
        ("５０％", 50),
        ("12345678901234567890", 12345678901234567890),
        (12, 12),
        (-3, -3),
        (3.0, 3),
        (-0.0, 0),
        (Decimal("4"), 4),
        (Decimal("4.00"), 4),
        (None, None),
        ("", None),
        ("-", None),
        ("－", None),
        ("…", None),
        ("不明", None),
        ("x", None),
        ("X", None),
        ("*", None),
        ("#N/A", None),
        ("秘匿", None),
        ("該当なし", None),
        (float("nan"), None),
    ],
)
def test_parse_int(cell: object, expected: int | None) -> None:
    result = parse_int(cell)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("12人", "単位は列名に"),
        ("1,234円", "単位は列名に"),
        ("¥1,000", "単位は列名に"),
        ("12 km", "単位は列名に"),
        ("(12)", "負の数は"),
        ("（１２）", "負の数は"),
        ("1,23", "3桁ごと"),
        ("12,34,567", "3桁ごと"),
        ("1234,5", "3桁ごと"),
        ("12.5", "整数ではありません"),
        ("12.0", "整数ではありません"),
        ("1e3", "整数ではありません"),
        (".5", "整数ではありません"),
        ("abc", "整数として読めません"),
        ("1 2", "整数として読めません"),
        ("--12", "整数として読めません"),
        ("+-12", "整数として読めません"),
        ("12-", "整数として読めません"),
        ("1_000", "整数として読めません"),
        ("٣", "整数として読めません"),  # Arabic-Indic digit: int() would take it
        ("なし", "整数として読めません"),
        (12.5, "整数ではありません"),
        (Decimal("1.5"), "整数ではありません"),
        (True, "真偽値"),
        (False, "真偽値"),
        (D(2020, 4, 1), "日付"),
        (float("inf"), "整数"),
    ],
)
def test_parse_int_rejects(cell: object, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_int(cell)
    assert fragment in str(info.value)


def test_parse_int_message_names_the_value() -> None:
    with pytest.raises(ValueError) as info:
        parse_int("12人")
    assert str(info.value) == (
        '"12人" は整数として読めません（単位は列名に書き、値は数字だけにしてください）'
    )


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(ValueError) as info:
        parse_int("あ" * 200)
    assert len(str(info.value)) < 100
    assert "…" in str(info.value)


# --- parse_numeric --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12", 12),
        ("12.5", 12.5),
        ("-12.5", -12.5),
        ("△12.5", -12.5),
        ("▲ 0.5", -0.5),
        ("−0.25", -0.25),
        (".5", 0.5),
        ("-.5", -0.5),
        ("0.5", 0.5),
        ("12.", 12),
        ("12.0", 12),  # integral → int
        ("12.000", 12),
        ("1,234.5", 1234.5),
        ("１，２３４．５", 1234.5),
        ("１２．５", 12.5),
        ("1.2e3", 1200),
        ("1.5E-3", 0.0015),
        ("1e2", 100),
        ("12.5%", 12.5),  # the percent sign is dropped, not applied
        ("12.5 %", 12.5),
        ("１２．５％", 12.5),
        ("100%", 100),
        ("12345678901234567890.0", 12345678901234567890),  # exact, not via float
        ("+3.25", 3.25),
        ("-0.0", 0),
        (3, 3),
        (3.0, 3),
        (2.5, 2.5),
        (Decimal("2.5"), 2.5),
        (Decimal("10"), 10),
        (None, None),
        ("", None),
        ("-", None),
        ("…", None),
        ("x", None),
        ("不明", None),
        ("N/A", None),
        (float("nan"), None),
    ],
)
def test_parse_numeric(cell: object, expected: float | None) -> None:
    result = parse_numeric(cell)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("12人", "単位は列名に"),
        ("12.5kg", "単位は列名に"),
        ("(12.5)", "負の数は"),
        ("1,23.5", "3桁ごと"),
        ("1.2.3", "数値として読めません"),
        ("1e", "数値として読めません"),
        ("e3", "数値として読めません"),
        ("%", "数値として読めません"),
        ("12%%", "数値として読めません"),
        ("inf", "数値として読めません"),
        ("nan%", "数値として読めません"),
        ("1e400", "大きすぎます"),
        (float("inf"), "大きすぎます"),
        (True, "真偽値"),
        (DT(2020, 4, 1), "日付"),
        (T(9), "日付・時刻"),
    ],
)
def test_parse_numeric_rejects(cell: object, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_numeric(cell)
    assert fragment in str(info.value)


def test_parse_numeric_unit_message() -> None:
    with pytest.raises(ValueError) as info:
        parse_numeric("12人")
    assert str(info.value) == (
        '"12人" は数値として読めません（単位は列名に書き、値は数字だけにしてください）'
    )


# --- parse_date -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2020-04-01", D(2020, 4, 1)),
        ("2020/4/1", D(2020, 4, 1)),
        ("2020/04/01", D(2020, 4, 1)),
        ("2020.4.1", D(2020, 4, 1)),
        ("2020年4月1日", D(2020, 4, 1)),
        ("2020年04月01日", D(2020, 4, 1)),
        ("2020 年 4 月 1 日", D(2020, 4, 1)),
        ("20200401", D(2020, 4, 1)),
        ("２０２０／４／１", D(2020, 4, 1)),
        ("２０２０年４月１日", D(2020, 4, 1)),
        ("令和2年4月1日", D(2020, 4, 1)),
        ("令和元年5月1日", D(2019, 5, 1)),
        ("令和 2年 4月 1日", D(2020, 4, 1)),
        ("令和２年４月１日", D(2020, 4, 1)),
        ("R2.4.1", D(2020, 4, 1)),
        ("R2/4/1", D(2020, 4, 1)),
        ("R2-4-1", D(2020, 4, 1)),
        ("R02.04.01", D(2020, 4, 1)),
        ("r2.4.1", D(2020, 4, 1)),
        ("Ｒ２．４．１", D(2020, 4, 1)),
        ("R 2. 4. 1", D(2020, 4, 1)),
        ("R元.5.1", D(2019, 5, 1)),
        ("R2年4月1日", D(2020, 4, 1)),
        ("令2.4.1", D(2020, 4, 1)),
        ("令和2.4.1", D(2020, 4, 1)),
        ("㋿2年4月1日", D(2020, 4, 1)),
        ("H31.4.30", D(2019, 4, 30)),
        ("平成31年4月30日", D(2019, 4, 30)),
        ("平成元年1月8日", D(1989, 1, 8)),
        ("H1.1.8", D(1989, 1, 8)),
        ("㍻31年4月30日", D(2019, 4, 30)),
        ("昭和64年1月7日", D(1989, 1, 7)),
        ("S64.1.7", D(1989, 1, 7)),
        ("昭和元年12月25日", D(1926, 12, 25)),
        ("㍼50年1月1日", D(1975, 1, 1)),
        ("大正15年12月25日", D(1926, 12, 25)),
        ("T15.12.25", D(1926, 12, 25)),
        ("大正元年7月30日", D(1912, 7, 30)),
        ("㍽2年1月1日", D(1913, 1, 1)),
        ("明治45年7月30日", D(1912, 7, 30)),
        ("M45.7.30", D(1912, 7, 30)),
        ("明治元年1月25日", D(1868, 1, 25)),
        ("㍾10年1月1日", D(1877, 1, 1)),
        ("令和2年4月1日（水）", D(2020, 4, 1)),
        ("令和2年4月1日 (水)", D(2020, 4, 1)),
        ("2020/4/1(水)", D(2020, 4, 1)),
        ("2020年4月1日（水曜日）", D(2020, 4, 1)),
        ("2020年4月1日（水曜）", D(2020, 4, 1)),
        ("2021年5月3日（月・祝）", D(2021, 5, 3)),
        ("2021年5月3日（祝）", D(2021, 5, 3)),
        ("  2020-04-01\u3000", D(2020, 4, 1)),
        ("2024-02-29", D(2024, 2, 29)),
        ("2020/4/1 0:00", D(2020, 4, 1)),  # Excel's way of writing a date as text
        ("2020-04-01 00:00:00", D(2020, 4, 1)),
        ("2020-04-01T00:00:00", D(2020, 4, 1)),
        (D(2020, 4, 1), D(2020, 4, 1)),
        (DT(2020, 4, 1), D(2020, 4, 1)),
        (None, None),
        ("", None),
        ("-", None),
        ("不明", None),
        ("…", None),
    ],
)
def test_parse_date(cell: object, expected: dt.date | None) -> None:
    result = parse_date(cell)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        # Era boundaries: the day after an era ends and the day before the next begins.
        ("平成31年5月1日", "平成の期間外"),
        ("H31.5.1", "平成の期間外"),
        ("令和1年4月30日", "令和の期間外"),
        ("令和元年4月30日", "令和の期間外"),
        ("昭和64年1月8日", "昭和の期間外"),
        ("平成元年1月7日", "平成の期間外"),
        ("大正15年12月26日", "大正の期間外"),
        ("昭和元年12月24日", "昭和の期間外"),
        ("明治45年7月31日", "明治の期間外"),
        ("大正元年7月29日", "大正の期間外"),
        ("明治元年1月24日", "明治の期間外"),
        ("平成32年1月1日", "平成の期間外"),
        ("令和0年5月1日", "0年"),
        ("R0.5.1", "0年"),
        # Impossible days.
        ("2020-02-30", "存在しない日付"),
        ("2019-02-29", "存在しない日付"),
        ("2020-13-01", "存在しない日付"),
        ("2020/4/31", "存在しない日付"),
        ("2020-00-10", "存在しない日付"),
        ("20201301", "存在しない日付"),
        ("令和2年2月30日", "存在しない日付"),
        ("0000-01-01", "存在しない日付"),
        # Year and month only.
        ("令和2年4月", "年月だけ"),
        ("2020/04", "年月だけ"),
        ("2020年4月", "年月だけ"),
        ("R2.4", "年月だけ"),
        # Not dates.
        ("2020/4-1", "日付として読めません"),  # mixed separators
        ("20/4/1", "日付として読めません"),  # two-digit year
        ("4/1", "日付として読めません"),
        ("2020-4-1-1", "日付として読めません"),
        ("令和2年4月1", "日付として読めません"),
        ("令和百年4月1日", "日付として読めません"),
        ("X2.4.1", "日付として読めません"),
        ("2020-04-01 (木曜", "日付として読めません"),
        ("2020040", "日付として読めません"),
        ("なし", "日付として読めません"),
        ("2020/4/1 9:30", "時刻を含む"),
        (DT(2020, 4, 1, 9, 30), "時刻を含む"),
        (43922, "数値"),  # Excel serial numbers are not dates here
        (43922.0, "数値"),
        (True, "日付として読めません"),
        (T(9), "日付として読めません"),
    ],
)
def test_parse_date_rejects(cell: object, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_date(cell)
    assert fragment in str(info.value)


def test_era_message_states_the_era_range() -> None:
    with pytest.raises(ValueError) as info:
        parse_date("平成31年5月1日")
    assert str(info.value) == (
        '"平成31年5月1日" は平成の期間外です（平成は1989年1月8日〜2019年4月30日）'
    )


@pytest.mark.parametrize(
    ("first_day", "last_day_before"),
    [
        ("大正元年7月30日", "明治45年7月30日"),  # changeover days are written in both eras
        ("昭和元年12月25日", "大正15年12月25日"),
        ("平成元年1月8日", "昭和64年1月7日"),
        ("令和元年5月1日", "平成31年4月30日"),
    ],
)
def test_era_changeovers(first_day: str, last_day_before: str) -> None:
    start, end = parse_date(first_day), parse_date(last_day_before)
    assert start is not None and end is not None
    assert (start - end).days in (0, 1)


# --- parse_year_month -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2020/04", "2020-04"),
        ("2020/4", "2020-04"),
        ("2020-04", "2020-04"),
        ("2020.4", "2020-04"),
        ("2020年4月", "2020-04"),
        ("２０２０年１２月", "2020-12"),
        ("令和2年4月", "2020-04"),
        ("令和元年5月", "2019-05"),
        ("R2.4", "2020-04"),
        ("R2/4", "2020-04"),
        ("H31.4", "2019-04"),
        ("平成元年1月", "1989-01"),
        ("昭和64年1月", "1989-01"),
        ("㋿3年1月", "2021-01"),
        (D(2020, 4, 1), "2020-04"),
        (DT(2020, 4, 1, 9), "2020-04"),
        (None, None),
        ("", None),
        ("-", None),
        ("不明", None),
    ],
)
def test_parse_year_month(cell: object, expected: str | None) -> None:
    assert parse_year_month(cell) == expected


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("2020/4/1", "年月として読めません"),
        ("2020/13", "存在しない年月"),
        ("2020年0月", "存在しない年月"),
        ("令和1年4月", "令和の期間外"),
        ("平成31年5月", "平成の期間外"),
        ("令和0年5月", "0年"),
        ("202004", "年月として読めません"),
        ("4月", "年月として読めません"),
        (202004, "年月として読めません"),
    ],
)
def test_parse_year_month_rejects(cell: object, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_year_month(cell)
    assert fragment in str(info.value)


# --- parse_timestamp ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2020-04-01 09:30", DT(2020, 4, 1, 9, 30)),
        ("2020-04-01 09:30:15", DT(2020, 4, 1, 9, 30, 15)),
        ("2020-04-01T09:30:00", DT(2020, 4, 1, 9, 30)),
        ("2020-04-01T09:30:00.5", DT(2020, 4, 1, 9, 30, 0, 500000)),
        ("2020-04-01T09:30:00.123456", DT(2020, 4, 1, 9, 30, 0, 123456)),
        ("2020/4/1 9:30", DT(2020, 4, 1, 9, 30)),
        ("2020/4/1  9:30:05", DT(2020, 4, 1, 9, 30, 5)),
        ("2020.4.1 23:59", DT(2020, 4, 1, 23, 59)),
        ("2020年4月1日 9時30分", DT(2020, 4, 1, 9, 30)),
        ("2020年4月1日9時", DT(2020, 4, 1, 9)),
        ("令和2年4月1日 9時30分", DT(2020, 4, 1, 9, 30)),
        ("令和2年4月1日9時30分", DT(2020, 4, 1, 9, 30)),
        ("令和2年4月1日 午後1時30分", DT(2020, 4, 1, 13, 30)),
        ("令和2年4月1日（水）9時30分", DT(2020, 4, 1, 9, 30)),
        ("2020/4/1(水) 13:00", DT(2020, 4, 1, 13)),
        ("R2.4.1 9:30", DT(2020, 4, 1, 9, 30)),
        ("２０２０／４／１　９：３０", DT(2020, 4, 1, 9, 30)),
        ("2020-04-01 1:30 PM", DT(2020, 4, 1, 13, 30)),
        # Offsets are converted to Japan time and dropped.
        ("2020-04-01T09:30:00+09:00", DT(2020, 4, 1, 9, 30)),
        ("2020-04-01T00:30:00Z", DT(2020, 4, 1, 9, 30)),
        ("2020-04-01T09:30:00+0900", DT(2020, 4, 1, 9, 30)),
        ("2020-03-31T20:00:00-05:00", DT(2020, 4, 1, 10)),
        ("2020-04-01T09:30Z", DT(2020, 4, 1, 18, 30)),
        ("2020-04-01 00:30:00+00", DT(2020, 4, 1, 9, 30)),  # PostgreSQL's text form
        ("2020-04-01 09:30:00+09:00", DT(2020, 4, 1, 9, 30)),
        # A date alone is midnight, so mixed date/timestamp columns are timestamp columns.
        ("2020-04-01", DT(2020, 4, 1)),
        ("令和2年4月1日", DT(2020, 4, 1)),
        ("20200401", DT(2020, 4, 1)),
        (DT(2020, 4, 1, 9, 30), DT(2020, 4, 1, 9, 30)),
        (DT(2020, 4, 1, 0, 30, tzinfo=dt.UTC), DT(2020, 4, 1, 9, 30)),
        (D(2020, 4, 1), DT(2020, 4, 1)),
        (None, None),
        ("", None),
        ("-", None),
        ("不明", None),
    ],
)
def test_parse_timestamp(cell: object, expected: dt.datetime | None) -> None:
    result = parse_timestamp(cell)
    assert result == expected
    assert type(result) is type(expected)
    if result is not None:
        assert result.tzinfo is None


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("2020-04-01 24:00", "時刻の範囲外"),
        ("2020-04-01 09:60", "時刻の範囲外"),
        ("2020-04-31 09:00", "存在しない日付"),
        ("平成31年5月1日 9時", "平成の期間外"),
        ("2020-04-0109:30", "日時として読めません"),
        ("2020-04-01 9", "日時として読めません"),
        ("9:30", "日時として読めません"),
        ("2020/04", "日時として読めません"),
        ("2020-04-01 09:30 ごろ", "日時として読めません"),
        # An offset only follows the machine layouts: elsewhere it is a range of hours.
        ("2020/4/1 9:30-17:00", "日時として読めません"),
        ("2020-04-01 09:30+09:00", "日時として読めません"),
        ("令和2年4月1日 9時-17時", "日時として読めません"),
        ("2020-04-01T09:30:00+15:00", "範囲外"),
        ("2020-04-01T09:30:00+09:60", "範囲外"),
        (43922.5, "日時として読めません"),
        (T(9, 30), "日時として読めません"),
    ],
)
def test_parse_timestamp_rejects(cell: object, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_timestamp(cell)
    assert fragment in str(info.value)


# --- parse_time -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("9:00", T(9)),
        ("09:00", T(9)),
        ("09:00:00", T(9)),
        ("9:05:30", T(9, 5, 30)),
        ("23:59:59", T(23, 59, 59)),
        ("0:00", T(0)),
        ("09:00:00.25", T(9, 0, 0, 250000)),
        ("９：００", T(9)),
        ("９：３０：１５", T(9, 30, 15)),
        ("9時", T(9)),
        ("9時30分", T(9, 30)),
        ("9時05分", T(9, 5)),
        ("9時30分15秒", T(9, 30, 15)),
        ("9時半", T(9, 30)),
        ("９時３０分", T(9, 30)),
        ("9 時 30 分", T(9, 30)),
        ("午前9時", T(9)),
        ("午前0時", T(0)),
        ("午前11時59分", T(11, 59)),
        ("午後0時", T(12)),
        ("午後1時30分", T(13, 30)),
        ("午後11時", T(23)),
        ("午後 1:30", T(13, 30)),
        ("1:30 PM", T(13, 30)),
        ("1:30pm", T(13, 30)),
        ("PM 1:30", T(13, 30)),
        ("12:00 AM", T(0)),
        ("12:00 PM", T(12)),
        ("9:00 a.m.", T(9)),
        (T(9, 30), T(9, 30)),
        (None, None),
        ("", None),
        ("-", None),
        ("不明", None),
    ],
)
def test_parse_time(cell: object, expected: dt.time | None) -> None:
    assert parse_time(cell) == expected


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("24:00", "時刻の範囲外"),
        ("25:30", "時刻の範囲外"),
        ("9:60", "時刻の範囲外"),
        ("9:30:60", "時刻の範囲外"),
        ("24時", "時刻の範囲外"),
        ("9時60分", "時刻の範囲外"),
        ("午後12時", "あいまい"),
        ("午前12時", "あいまい"),
        ("午後13時", "あいまい"),
        ("13:00 PM", "AM・PM"),
        ("0:30 AM", "AM・PM"),
        ("午後1時 PM", "二重"),
        ("9", "時刻として読めません"),
        ("930", "時刻として読めません"),
        ("9:5", "時刻として読めません"),
        ("9.30", "時刻として読めません"),
        ("9:30〜17:00", "時刻として読めません"),
        ("2020-04-01 09:30", "時刻として読めません"),
        ("朝", "時刻として読めません"),
        (DT(2020, 4, 1, 9, 30), "時刻として読めません"),
        (0.375, "時刻として読めません"),
    ],
)
def test_parse_time_rejects(cell: object, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_time(cell)
    assert fragment in str(info.value)


# --- parse_bool -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "true",
        "TRUE",
        "True",
        "ｔｒｕｅ",
        "yes",
        "YES",
        "Y",
        "y",
        "はい",
        "有",
        "有り",
        "あり",
        "○",
        "◯",
        "〇",
        " ○ ",
        True,
    ],
)
def test_parse_bool_true(cell: object) -> None:
    assert parse_bool(cell) is True


@pytest.mark.parametrize(
    "cell",
    [
        "false",
        "FALSE",
        "False",
        "no",
        "NO",
        "N",
        "n",
        "いいえ",
        "無",
        "無し",
        "なし",
        "×",
        "✕",
        False,
    ],
)
def test_parse_bool_false(cell: object) -> None:
    assert parse_bool(cell) is False


@pytest.mark.parametrize("cell", [None, "", "\u3000", "-", "不明", "x", "X", "N/A"])
def test_parse_bool_missing(cell: object) -> None:
    assert parse_bool(cell) is None


@pytest.mark.parametrize("cell", ["1", "0", 1, 0, 1.0, "on", "off", "○×", "t", "f", "ok"])
def test_parse_bool_rejects(cell: object) -> None:
    with pytest.raises(ValueError, match="真偽値として読めません"):
        parse_bool(cell)


# --- normalize_text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("山口市", "山口市"),
        ("  山口市\u3000", "山口市"),
        ("ＡＢＣ　１２３", "ABC 123"),  # inner spacing kept, only the ends stripped
        ("a  b", "a  b"),
        ("①㈱ｶﾅ", "①㈱ｶﾅ"),
        ("不明", "不明"),  # content in a text column
        ("該当なし", "該当なし"),
        ("x", "x"),
        ("*", "*"),
        ("N/A", "N/A"),
        ("なし", "なし"),
        ("083-222-1111", "083-222-1111"),
        ("01", "01"),
        ("line1\nline2", "line1\nline2"),
        (None, None),
        ("", None),
        ("  ", None),
        ("\u3000", None),
        ("-", None),
        ("－", None),
        ("ー", None),
        ("…", None),
        ("・", None),
        (12, "12"),
        (12.0, "12"),
        (-3.0, "-3"),
        (12.5, "12.5"),
        (0.1, "0.1"),
        (float("nan"), None),
        (Decimal("12.50"), "12.5"),
        (Decimal("3.0"), "3"),
        (True, "true"),
        (False, "false"),
        (D(2020, 4, 1), "2020-04-01"),
        (DT(2020, 4, 1, 9, 30), "2020-04-01 09:30:00"),
        (T(9, 30), "09:30:00"),
    ],
)
def test_normalize_text(cell: object, expected: str | None) -> None:
    assert normalize_text(cell) == expected


# --- performance ----------------------------------------------------------------------------

_FULLWIDTH_DIGITS = str.maketrans("0123456789,", "０１２３４５６７８９，")


def _best_of(runs: int, fn: Callable[[object], object], cells: list[str]) -> float:
    """Best wall time of a few runs, so one scheduling hiccup does not fail the test."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for cell in cells:
            fn(cell)
        best = min(best, time.perf_counter() - start)
    return best


def test_parse_int_speed_plain_digits() -> None:
    rng = random.Random(1)
    cells = [str(rng.randrange(10**7)) for _ in range(1_000_000)]
    elapsed = _best_of(3, parse_int, cells)
    print(f"\nparse_int, 1,000,000 plain ASCII digit strings: {elapsed:.3f} s")
    assert elapsed < 1.0


def test_parse_int_speed_mixed_forms() -> None:
    rng = random.Random(2)
    cells = []
    for i in range(100_000):
        text = f"{rng.randrange(10**7):,}"
        kind = i % 4
        if kind == 0:
            text = text.translate(_FULLWIDTH_DIGITS)
        elif kind == 1:
            text = "△" + text
        elif kind == 2:
            text = "▲ " + text.translate(_FULLWIDTH_DIGITS)
        cells.append(text)
    assert parse_int(cells[1]) == -int(cells[1][1:].replace(",", ""))  # the △ form parses
    elapsed = _best_of(3, parse_int, cells)
    print(f"\nparse_int, 100,000 full-width/△/comma strings: {elapsed:.3f} s")
    assert elapsed < 1.5


def test_parse_date_speed_wareki() -> None:
    rng = random.Random(3)
    forms = ["令和{}年{}月{}日", "R{}.{}.{}", "令和{}年{}月{}日（水）", "令和{}年{}月{}日"]
    cells = []
    for i in range(100_000):
        text = forms[i % 4].format(rng.randint(2, 6), rng.randint(1, 12), rng.randint(1, 28))
        cells.append(text.translate(_FULLWIDTH_DIGITS) if i % 4 == 3 else text)
    elapsed = _best_of(3, parse_date, cells)
    print(f"\nparse_date, 100,000 和暦 strings: {elapsed:.3f} s")
    assert elapsed < 2.0
