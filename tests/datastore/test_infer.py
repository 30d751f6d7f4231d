"""Tests for column type inference, row conversion and coordinate column detection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from tsunagu.datastore.ingest.infer import (
    convert_row,
    converter,
    infer_column,
    infer_types,
    looks_like_latitude,
    looks_like_longitude,
    point_columns,
)
from tsunagu.datastore.ingest.model import COLUMN_TYPES, IngestError
from tsunagu.datastore.ingest.values import (
    normalize_text,
    parse_bool,
    parse_date,
    parse_int,
    parse_numeric,
    parse_time,
    parse_timestamp,
)

# --- infer_column ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # int
        (["1", "2", "3"], "int"),
        (["1,234", "△12", "１２", "-5", "+7"], "int"),
        (["12", None, "", "-", "不明", "x", "…"], "int"),  # placeholders are missing values
        (["0", "10"], "int"),
        (["20200401", "20200402"], "int"),  # int is preferred over the 8-digit date form
        ([1, 2, 3.0], "int"),
        (["1", "0", "1"], "int"),  # never bool
        # numeric
        (["1.5", "2"], "numeric"),
        (["12.5%", "3%"], "numeric"),
        (["1.2e3", "△0.5"], "numeric"),
        ([1, 2.5], "numeric"),
        (["0.5", "0.25"], "numeric"),  # "0." is not a leading zero of a code
        # date
        (["2020-04-01", "令和2年4月1日", "R2.4.1", "H31.4.30"], "date"),
        (["2020/4/1", None, "-"], "date"),
        ([dt.date(2020, 4, 1), dt.datetime(2020, 4, 2)], "date"),
        (["2020/4/1 0:00:00", "2020/4/2 0:00:00"], "date"),
        # timestamp
        (["2020-04-01 09:30", "2020-04-02T10:00:00"], "timestamp"),
        (["2020-04-01", "2020-04-01 09:30"], "timestamp"),  # mixed dates and timestamps
        ([dt.datetime(2020, 4, 1, 9, 30), dt.date(2020, 4, 2)], "timestamp"),
        # time
        (["9:00", "17:30"], "time"),
        (["09:00", "10:30"], "time"),  # leading zeros do not matter outside numbers
        (["9時", "午後1時30分"], "time"),
        ([dt.time(9), "10:00"], "time"),
        # bool
        (["○", "×", None], "bool"),
        (["○", None, None], "bool"),
        (["あり", "なし"], "bool"),  # なし is false here, not missing
        (["有", "無"], "bool"),
        (["はい", "いいえ"], "bool"),
        (["Y", "N"], "bool"),
        (["TRUE", "false"], "bool"),
        ([True, False], "bool"),
        # text
        (["01", "02", "10"], "text"),  # codes with leading zeros
        (["1", "2", "001234"], "text"),
        (["１", "０１"], "text"),
        (["083-222-1111", "083-933-0000"], "text"),
        (["753-0001", "754-0002"], "text"),
        (["12", "12人"], "text"),
        (["12", "なし"], "text"),
        (["山口市", "下関市"], "text"),
        (["2020/4", "2020/5"], "text"),  # year-month values stay text
        (["令和2年4月", "令和2年5月"], "text"),
        (["9:00〜17:00"], "text"),
        (["1", "2020-04-01"], "text"),
        (["○", "1"], "text"),
        ([], "text"),
        ([None, "", "-", "不明", "x"], "text"),  # entirely missing
        ([dt.time(9), dt.date(2020, 4, 1)], "text"),
    ],
)
def test_infer_column(values: list[object], expected: str) -> None:
    assert infer_column(values) == expected


@pytest.mark.parametrize(
    "name",
    [
        "団体コード",
        "全国地方公共団体コード",
        "郵便番号",
        "電話番号",
        "電話",
        "TEL",
        "FAX番号",
        "zip",
        "zipcode",
        "code",
        "〒",
    ],
)
def test_code_named_columns_stay_text(name: str) -> None:
    assert infer_column(["352012", "352021"], name) == "text"


@pytest.mark.parametrize(
    "name",
    [
        "人口",
        "世帯数",
        "hotel_rooms",
        "valid",
        "idea",
        None,
        # A plain number or ID column is a row number unless its values have leading zeros.
        "番号",
        "施設番号",
        "ID",
        "施設ID",
        "ＩＤ",
        "facility_id",
        "Id",
    ],
)
def test_other_names_do_not_force_text(name: str | None) -> None:
    assert infer_column(["352012", "352021"], name) == "int"


def test_infer_types() -> None:
    columns = ["団体コード", "名称", "人口", "面積", "開設日", "受付開始", "バリアフリー"]
    rows: list[list[object]] = [
        ["352012", "下関市", "255,051", "716.10", "令和2年4月1日", "9:00", "○"],
        ["352021", "宇部市", "△12", "286.65", "R2.4.2", "９：３０", "×"],
        ["352039", "山口市", "-", "1,023.23", None, "午後1時", None],
    ]
    assert infer_types(columns, rows) == [
        "text",
        "text",
        "int",
        "numeric",
        "date",
        "time",
        "bool",
    ]


def test_infer_types_tolerates_short_rows_and_no_rows() -> None:
    assert infer_types(["a", "b"], [["1"], ["2", "x"]]) == ["int", "text"]
    assert infer_types(["a"], []) == ["text"]


# --- converter / convert_row ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("column_type", "function"),
    [
        ("int", parse_int),
        ("numeric", parse_numeric),
        ("date", parse_date),
        ("timestamp", parse_timestamp),
        ("time", parse_time),
        ("bool", parse_bool),
        ("text", normalize_text),
    ],
)
def test_converter(column_type: str, function: object) -> None:
    assert converter(column_type) is function  # type: ignore[arg-type]


def test_every_column_type_has_a_converter() -> None:
    for column_type in COLUMN_TYPES:
        assert callable(converter(column_type))


def test_unknown_converter() -> None:
    with pytest.raises(ValueError):
        converter("geometry")  # type: ignore[arg-type]


COLUMNS = ["コード", "人口", "面積", "開設日", "受付", "開始", "有無"]
CONVERTERS = [converter(t) for t in ("text", "int", "numeric", "date", "timestamp", "time", "bool")]


def test_convert_row() -> None:
    cells: Sequence[object] = [
        "０１２３",
        "１，２３４",
        "12.5%",
        "令和2年4月1日（水）",
        "2020/4/1 9:30",
        "午後1時",
        "○",
    ]
    assert convert_row(CONVERTERS, cells, 2, COLUMNS) == [
        "0123",
        1234,
        12.5,
        dt.date(2020, 4, 1),
        dt.datetime(2020, 4, 1, 9, 30),
        dt.time(13),
        True,
    ]


def test_convert_row_missing_values() -> None:
    cells = ["-", "不明", "x", "…", "", None, "\u3000"]
    assert convert_row(CONVERTERS, cells, 3, COLUMNS) == [None] * 7
    # 不明 is content in a text column.
    assert convert_row([converter("text")], ["不明"], 3, ["備考"]) == ["不明"]


@pytest.mark.parametrize(
    ("index", "cell", "message"),
    [
        (
            1,
            "12人",
            '"12人" は整数として読めません（単位は列名に書き、値は数字だけにしてください）',
        ),
        (
            2,
            "12人",
            '"12人" は数値として読めません（単位は列名に書き、値は数字だけにしてください）',
        ),
        (1, "12.5", '"12.5" は整数ではありません（小数を含む列は数値の列にしてください）'),
        (
            3,
            "平成31年5月1日",
            '"平成31年5月1日" は平成の期間外です（平成は1989年1月8日〜2019年4月30日）',
        ),
        (3, "2020/02/30", '"2020/02/30" は存在しない日付です'),
        (5, "24:00", '"24:00" は時刻の範囲外です（0:00〜23:59:59 で書いてください）'),
        (6, "1", '"1" は真偽値として読めません（例: はい/いいえ、有/無、○/×、true/false）'),
    ],
)
def test_convert_row_errors(index: int, cell: str, message: str) -> None:
    cells: list[object] = [None] * len(COLUMNS)
    cells[index] = cell
    with pytest.raises(IngestError) as info:
        convert_row(CONVERTERS, cells, 42, COLUMNS)
    error = info.value
    assert error.line == 42
    assert error.column == COLUMNS[index]
    assert error.message == message
    assert str(error) == f"42 行目、列「{COLUMNS[index]}」: {message}"


def test_convert_row_reports_the_first_bad_cell() -> None:
    cells = [None, "abc", "def", None, None, None, None]
    with pytest.raises(IngestError) as info:
        convert_row(CONVERTERS, cells, 7, COLUMNS)
    assert info.value.column == "人口"


def test_convert_row_wrong_width() -> None:
    with pytest.raises(IngestError) as info:
        convert_row(CONVERTERS, ["1", "2"], 5, COLUMNS)
    assert info.value.line == 5
    assert "列の数" in info.value.message


# --- coordinates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "緯度",
        "北緯",
        "中心緯度",
        "緯度（世界測地系）",
        "緯度(度)",
        "lat",
        "Lat",
        "LAT",
        "latitude",
        "Latitude",
        "ｌａｔｉｔｕｄｅ",
        "ＬＡＴ",
        "lat (WGS84)",
        "geo_lat",
        "lat_deg",
        " 緯度 ",
    ],
)
def test_latitude_names(name: str) -> None:
    assert looks_like_latitude(name)
    assert not looks_like_longitude(name)


@pytest.mark.parametrize(
    "name",
    [
        "経度",
        "東経",
        "経度（世界測地系）",
        "lon",
        "LON",
        "lng",
        "Lng",
        "long",
        "Long",
        "longitude",
        "LONGITUDE",
        "ｌｏｎｇｉｔｕｄｅ",
        "ｌｎｇ",
        "geo_lon",
        "long (deg)",
    ],
)
def test_longitude_names(name: str) -> None:
    assert looks_like_longitude(name)
    assert not looks_like_latitude(name)


@pytest.mark.parametrize(
    "name",
    [
        "Y座標",
        "X座標",
        "y",
        "x",
        "緯度経度",  # both in one column: neither
        "lat/lon",
        "latlng",
        "platform",
        "translate",
        "long_name",
        "along",
        "colony",
        "名称",
        "",
    ],
)
def test_not_coordinate_names(name: str) -> None:
    assert not looks_like_latitude(name)
    assert not looks_like_longitude(name)


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["名称", "住所", "緯度", "経度"], (2, 3)),
        (["経度", "緯度"], (1, 0)),
        (["name", "lat", "lng"], (1, 2)),
        (["ＩＤ", "Longitude", "Latitude"], (2, 1)),
        (["緯度", "経度", "緯度2", "経度2"], (0, 1)),  # the first of each
        (["名称", "緯度"], None),
        (["名称", "経度"], None),
        (["X座標", "Y座標"], None),
        (["緯度経度"], None),
        ([], None),
    ],
)
def test_point_columns(columns: list[str], expected: tuple[int, int] | None) -> None:
    assert point_columns(columns) == expected
