"""Column-wise conversion of text-file batches (ingest/batches.py) and their SQLite parameters
(datastore/bulk.py) give exactly what converting cell by cell gives: the same stored values of
the same Python types, and the same error (message, line, column) for a bad cell."""

from __future__ import annotations

import gc
import random
from typing import Any

import pytest

from tsunagu.datastore import bulk, tables
from tsunagu.datastore.ingest import batches as batches_module
from tsunagu.datastore.ingest.batches import Batch, batch_converter, batches
from tsunagu.datastore.ingest.halfwidth import _HALFWIDTH, fold_long
from tsunagu.datastore.ingest.infer import column_converter, convert_row
from tsunagu.datastore.ingest.model import ColumnType, IngestError

# Awkward values per column type, as a CSV reader gives them (str, or None for an empty cell).
CLEAN: dict[str, list[str]] = {
    "int": ["1", "42", "007", "1234567890123", "0"],
    "numeric": ["34.28916", "131.00532", "-0.25", "0.00000001", "12.5", "7", "-12.8", "1.10"],
    "text": ["下関市", "公民館", "Wi-Fi", "0834-92-3897", "令和7年度改修予定", "a-", "北区1-2"],
    "date": ["令和2年4月1日", "R5.4.1", "H31.4.30", "2020-04-01", "2020/4/1"],
    "timestamp": ["2020/4/1 9:30", "2020-04-01T09:30:00", "令和2年4月1日 9時30分"],
    "time": ["9:30", "9時半", "午後1時30分"],
    "bool": ["はい", "×", "TRUE", "有"],
}
AWKWARD: dict[str, list[str]] = {
    "int": ["１，２００", "1,234", "△5", "▲12", "-3", "+7", "－", "不明", "50%", " 12 ", "１２"],
    "numeric": [
        "12.50",
        "12.0",
        "12.00",
        "34.00000",
        "１２．５",
        "△1.5",
        "1e3",
        "1,234.5",
        "-0",
        "-0.0",
        ".5",
        "12.",
        "1.000000000000000001",
        "12345678.5",
        "－",
        "x",
        "12.5%",
    ],
    "text": [
        "ｗｉ－ｆｉ",
        "－",
        "ー",
        "…",
        "・",
        "...",
        " 前後に空白 ",
        "\u3000全角空白",
        "不明",
        "（仮称）公園",
        "-12",
        "line\nbreak",
        "a\x00b",
    ],
    "date": [
        "令和元年5月1日",
        "平成元年1月8日",
        "Ｒ５．４．１",
        "令和２年４月１日",
        "R05/04/01",
        "H1.1.8",
        "不明",
        "－",
        "20200401",
    ],
    "timestamp": ["令和元年5月1日 0:00", "－", "2020/4/1"],
    "time": ["９：３０", "午前9時", "－"],
    "bool": ["○", "なし", "－", "no"],
}
BAD: dict[str, str] = {
    "int": "12.5",
    "numeric": "12人",
    "text": "",  # text takes anything
    "date": "令和2年2月30日",
    "timestamp": "2020/4/1 25:00",
    "time": "25:00",
    "bool": "多分",
}
KINDS: list[ColumnType] = ["int", "numeric", "text", "date", "timestamp", "time", "bool"]
NAMES = ["整数", "数値", "文字", "日付", "日時", "時刻", "真偽"]


def _column(rng: random.Random, kind: str, rows: int, awkward: float, empty: float) -> list[Any]:
    out: list[Any] = []
    for _ in range(rows):
        r = rng.random()
        if r < empty:
            out.append(None)
        elif r < empty + awkward:
            out.append(rng.choice(AWKWARD[kind]))
        else:
            out.append(rng.choice(CLEAN[kind]))
    return out


def _rows(rng: random.Random, rows: int, awkward: float, empty: float) -> list[Any]:
    columns = [_column(rng, kind, rows, awkward, empty) for kind in KINDS]
    return [(line + 2, list(cells)) for line, cells in enumerate(zip(*columns, strict=True))]


def _per_cell(rows: list[Any], stored: list[Any]) -> list[list[object]]:
    converters = [column_converter(k, s) for k, s in zip(KINDS, stored, strict=True)]
    return [convert_row(converters, cells, line, NAMES) for line, cells in rows]


def _columnwise(rows: list[Any], stored: list[Any], size: int) -> list[Batch]:
    converters = [column_converter(k, s) for k, s in zip(KINDS, stored, strict=True)]
    convert = batch_converter(KINDS, converters, NAMES, stored, columnwise=True)
    return list(batches(rows, size, convert))


def _typed(rows: list[list[object]] | list[tuple[object, ...]]) -> list[list[tuple[str, object]]]:
    # Equal values of other types (1 and 1.0, 1 and True) must not pass for the same.
    return [[(type(v).__name__, v) for v in row] for row in rows]


@pytest.mark.parametrize("sqlite", [True, False])
@pytest.mark.parametrize(
    ("awkward", "empty"),
    [(0.0, 0.0), (0.0, 0.2), (0.02, 0.0), (0.3, 0.1), (1.0, 0.0), (0.0, 1.0)],
)
def test_columnwise_batches_store_what_cell_by_cell_stores(
    sqlite: bool, awkward: float, empty: float
) -> None:
    """Clean batches take the fast paths, mixed ones the remembered look-ups: same rows."""
    rng = random.Random(f"{awkward}-{empty}")
    rows = _rows(rng, 1200, awkward, empty)
    stored = [tables.sqlite_stored(k) if sqlite else None for k in KINDS]
    expected = _per_cell(rows, stored)
    got = [row for batch in _columnwise(rows, stored, 100) for row in batch.row_tuples()]
    assert _typed(got) == _typed(expected)


def test_batches_of_every_size_and_a_ragged_last_batch() -> None:
    rng = random.Random(5)
    rows = _rows(rng, 250, 0.1, 0.1)
    stored = [tables.sqlite_stored(k) for k in KINDS]
    expected = _typed(_per_cell(rows, stored))
    for size in (1, 7, 100, 1000):
        found = _columnwise(rows, stored, size)
        assert sum(b.rows for b in found) == 250
        assert _typed([r for b in found for r in b.row_tuples()]) == expected


def test_the_cache_of_a_column_of_all_different_values_is_dropped() -> None:
    converters = [column_converter("text")]
    convert = batch_converter(["text"], converters, ["名"], [None], columnwise=True)
    # Full-width digits send every batch to the look-up path; every value is different.
    cells = [(n, [f"施設１{n}"]) for n in range(70_000)]
    got = [v for b in batches(cells, 5000, convert) for v in b.columns[0]]
    assert got == [f"施設1{n}" for n in range(70_000)]


@pytest.mark.parametrize(("kind", "column"), list(enumerate(NAMES)))
def test_a_bad_cell_is_reported_as_cell_by_cell_reports_it(kind: int, column: str) -> None:
    if not BAD[KINDS[kind]]:
        return
    rng = random.Random(kind)
    rows = _rows(rng, 300, 0.1, 0.1)
    rows[137][1][kind] = BAD[KINDS[kind]]
    stored = [tables.sqlite_stored(k) for k in KINDS]
    with pytest.raises(IngestError) as plain:
        _per_cell(rows, stored)
    with pytest.raises(IngestError) as fast:
        _columnwise(rows, stored, 100)
    assert (fast.value.message, fast.value.line, fast.value.column) == (
        plain.value.message,
        plain.value.line,
        plain.value.column,
    )
    assert (fast.value.line, fast.value.column) == (139, column)


def test_a_row_of_another_width_is_reported() -> None:
    convert = batch_converter(
        ["int", "text"],
        [column_converter("int"), column_converter("text")],
        ["数", "名"],
        [None, None],
        columnwise=True,
    )
    rows = [(2, ["1", "a"]), (3, ["2"]), (4, ["3", "c"])]
    with pytest.raises(IngestError) as error:
        list(batches(rows, 10, convert))
    assert error.value.line == 3
    assert "列の数が合いません" in error.value.message


def test_typed_cells_of_other_sources_are_converted_cell_by_cell() -> None:
    """Spreadsheet cells: 1, 1.0 and True are one dict key, so no look-up table is used."""
    convert = batch_converter(
        ["text", "numeric"],
        [column_converter("text"), column_converter("numeric")],
        ["名", "数"],
        [None, None],
        columnwise=False,
    )
    rows = [(2, [True, 1]), (3, [1, 1.0]), (4, [1.0, 2.5])]
    (batch,) = batches(rows, 10, convert)
    assert _typed(batch.row_tuples()) == _typed([("true", 1), ("1", 1), ("1", 2.5)])


@pytest.mark.parametrize("empty", [0.0, 0.3])
def test_sqlite_parameters_match_the_table_module(empty: float) -> None:
    """The parameters and _full_text built column by column are those tables.insert_rows
    binds for the same converted rows."""
    rng = random.Random(11)
    rows = _rows(rng, 500, 0.3, empty)
    stored = [tables.sqlite_stored(k) for k in KINDS]
    fields = [{"id": n, "type": k} for n, k in zip(NAMES, KINDS, strict=True)]
    table = tables.table_object("t", fields)
    expected = tables.sqlite_parameters(table, _per_cell(rows, stored))
    got = [p for b in _columnwise(rows, stored, 64) for p in bulk.sqlite_parameters(KINDS, b)]
    assert _typed(got) == _typed(expected)


@pytest.mark.parametrize("kind", KINDS)
def test_each_awkward_value_in_an_otherwise_clean_batch(kind: ColumnType) -> None:
    """One awkward cell among clean ones must take its batch off the fast path."""
    for sqlite in (True, False):
        stored = tables.sqlite_stored(kind) if sqlite else None
        for value in [*AWKWARD[kind], BAD[kind]]:
            cells = [*CLEAN[kind], value, None, *CLEAN[kind]]
            rows = [(n + 2, [cell]) for n, cell in enumerate(cells)]
            plain = column_converter(kind, stored)
            convert = batch_converter([kind], [plain], ["列"], [stored], columnwise=True)
            try:
                expected: Any = _typed([[plain(c)] for c in cells])
            except ValueError:
                with pytest.raises(IngestError):
                    list(batches(rows, 100, convert))
                continue
            got = [r for b in batches(rows, 100, convert) for r in b.row_tuples()]
            assert _typed(got) == expected, value


def test_a_bad_cell_before_an_unreadable_spot_is_the_error_reported() -> None:
    convert = batch_converter(["int"], [column_converter("int")], ["数"], [None], columnwise=True)

    def rows() -> Any:
        yield from [(2, ["1"]), (3, ["abc"]), (4, ["3"])]
        raise IngestError("読めない文字があります", line=5)

    with pytest.raises(IngestError) as error:
        list(batches(rows(), 100, convert))
    assert (error.value.line, error.value.column) == (3, "数")
    clean = iter(list(batches([(2, ["1"]), (3, ["2"])], 100, convert)))
    assert next(clean).columns == [[1, 2]]

    def unreadable() -> Any:
        yield from [(2, ["1"]), (3, ["2"])]
        raise IngestError("読めない文字があります", line=4)

    loaded = batches(unreadable(), 100, convert)
    assert next(loaded).columns == [[1, 2]]  # the rows before it load first
    with pytest.raises(IngestError) as error:
        next(loaded)
    assert error.value.line == 4


def test_collections_are_fewer_while_loads_run_and_as_before_after() -> None:
    before = gc.get_threshold()
    with bulk.fewer_collections():
        assert gc.get_threshold()[0] == max(before[0], bulk.LOAD_GC_THRESHOLD)
        with bulk.fewer_collections():  # a second load in the same process
            assert gc.get_threshold()[0] == max(before[0], bulk.LOAD_GC_THRESHOLD)
        assert gc.get_threshold()[0] == max(before[0], bulk.LOAD_GC_THRESHOLD)
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), bulk.fewer_collections():
        raise RuntimeError
    assert gc.get_threshold() == before


def test_decimals_taken_as_written_print_back_as_written() -> None:
    """_full_text uses the cells of such a column instead of str() of each float."""
    rng = random.Random(17)
    taken = 0
    for _ in range(20_000):
        whole = rng.choice(["0", "00", "7", "34", "131", "9999999", str(rng.randrange(10**7))])
        fraction = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 8)))
        text = ("-" if rng.random() < 0.3 else "") + whole + "." + fraction
        if batches_module._REPR_DECIMALS.fullmatch(text):
            taken += 1
            assert str(float(text)) == text
        if batches_module._REPR_PADDED.fullmatch(text):
            assert str(float(text)) == batches_module._TRAILING_ZEROS.sub("", text)
    assert taken > 5000
    for text in ("0.00001", "1.50", "007.5", "0.0"):
        assert not batches_module._REPR_DECIMALS.fullmatch(text)


@pytest.mark.parametrize("empty", [0.0, 0.2])
def test_sqlite_parameters_of_clean_batches(empty: float) -> None:
    rng = random.Random(23)
    rows = _rows(rng, 600, 0.0, empty)
    for n, (_, cells) in enumerate(rows):
        # Decimals that print back as written, and in every third batch some that do not.
        odd = ["0.00001", "00.5", "34.5"] if n // 20 % 3 == 0 else ["12.50", "1.10"]
        if cells[1] is not None:
            cells[1] = rng.choice([*odd, "34.28916", "131.00532", "-0.25", "12.5", "-12.8"])
    stored = [tables.sqlite_stored(k) for k in KINDS]
    fields = [{"id": n, "type": k} for n, k in zip(NAMES, KINDS, strict=True)]
    table = tables.table_object("t", fields)
    expected = tables.sqlite_parameters(table, _per_cell(rows, stored))
    found = _columnwise(rows, stored, 20)
    assert any(b.texts[1] is None for b in found)
    assert any(b.texts[1] is not None for b in found) or empty
    got = [p for b in found for p in bulk.sqlite_parameters(KINDS, b)]
    assert _typed(got) == _typed(expected)


# 和暦 days in the spellings _by_day reads (and some it leaves to parse_date), several per day.
ERA_SPELLINGS = [
    "平成27年4月22日",
    "平成２７年４月２２日",
    "H27.4.22",
    "H27/04/22",
    "h27-04-22",
    "Ｈ27.4.22",
    "平成元年1月8日",
    "H1.1.8",
    "H01/01/08",
    "平成1年1月8日",
    "令和元年5月1日",
    "R1.5.1",
    "R01/05/01",
    "昭和64年1月7日",
    "S64.1.7",
    "平成31年4月30日",
    "H31.4.30",
    "令和7年12月31日",
    "R07.12.31",
    "Ｒ７．１２．３１",
    "平成 27年4月22日",
    "H27.4.22(水)",
]
# Spellings whose day does not exist or falls outside its era: errors, never remembered.
ERA_BAD = ["H31.5.1", "平成31年5月1日", "令和1年4月30日", "R1.4.30", "H27.2.30", "H0.1.1"]


@pytest.mark.parametrize("sqlite", [True, False])
def test_era_days_read_once_per_day_convert_as_parse_date_does(sqlite: bool) -> None:
    rng = random.Random(14)
    store = tables.sqlite_stored("date") if sqlite else None
    converters = [column_converter("date", store)]
    convert = batch_converter(["date"], converters, ["開設日"], [store], columnwise=True)
    cells = [rng.choice([*ERA_SPELLINGS, None]) for _ in range(3000)]
    rows = [(n + 2, [c]) for n, c in enumerate(cells)]
    got = [v for b in batches(rows, 250, convert) for v in b.columns[0]]
    plain = column_converter("date", store)
    assert _typed([got]) == _typed([[plain(c) for c in cells]])
    for bad in ERA_BAD:
        # Each bad spelling after good ones of neighbouring days: its own error, line and cell.
        rows = [(2, ["H31.4.30"]), (3, ["平成31年4月30日"]), (4, [bad]), (5, ["R1.5.1"])]
        with pytest.raises(IngestError) as error:
            list(batches(rows, 10, convert))
        with pytest.raises(ValueError) as expected:
            plain(bad)
        assert (error.value.message, error.value.line, error.value.column) == (
            str(expected.value),
            4,
            "開設日",
        )


@pytest.mark.parametrize(
    "values",
    [
        ["周南市徳山１８６－２２", "宇部市小野771-19", "ｗｉ－ｆｉ", "（仮称）公園", None],
        ["ＡＢＣ", "a\x00b", "全角１"],  # a cell holding the join separator
        ["ＡＢＣ", "－", "１２"],  # a placeholder once folded
        ["ＡＢＣ", "\u3000前", "１２"],  # a space once folded, to strip
        ["ＡＢＣ", "後 ", "１２"],
    ],
)
def test_a_text_column_folded_at_once_stores_what_cell_by_cell_stores(values: list[Any]) -> None:
    rng = random.Random(len(values))
    convert = batch_converter(["text"], [column_converter("text")], ["名"], [None], columnwise=True)
    cells = [rng.choice(values) for _ in range(2000)]
    got = [
        v
        for b in batches([(n, [c]) for n, c in enumerate(cells)], 300, convert)
        for v in b.columns[0]
    ]
    plain = column_converter("text")
    assert got == [plain(c) for c in cells]
    texts = [
        t
        for b in batches([(n, [c]) for n, c in enumerate(cells)], 300, convert)
        for t in (b.texts[0] or b.columns[0])
    ]
    assert texts == got


def test_folding_a_long_text_at_once_folds_as_to_halfwidth() -> None:
    """Every code point (and a lone surrogate, which UTF-32 cannot encode) as str.translate."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert fold_long(every) == every.translate(_HALFWIDTH)
    assert fold_long("ａ\ud800１") == "a\ud8001"
    assert fold_long("") == ""


def test_one_scan_takes_the_decimals_the_three_scans_took() -> None:
    """_PRINTED_DECIMALS takes a cell exactly when _DECIMALS and _REPR_PADDED both do, and a
    column of such cells converts to the floats and texts of the three-scan path."""
    rng = random.Random(29)
    cells = []
    for _ in range(20_000):
        whole = rng.choice(["0", "00", "7", "34", "131", "9999999", "12345678"])
        fraction = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 10)))
        text = rng.choice(["", "-"]) + whole + rng.choice([".", ".", ""]) + fraction
        both = bool(
            batches_module._DECIMALS.fullmatch(text) and batches_module._REPR_PADDED.fullmatch(text)
        )
        assert bool(batches_module._PRINTED_DECIMALS.fullmatch(text)) == both, text
        if both:
            cells.append(text)
    assert len(cells) > 3000
    for start in range(0, len(cells), 500):
        column = tuple(cells[start : start + 500])
        converter = batches_module.ColumnConverter("numeric", column_converter("numeric"))
        values = converter(column)
        expected = [column_converter("numeric")(c) for c in column]
        assert _typed([list(values)]) == _typed([expected])
        assert converter.texts is not None
        assert list(converter.texts) == [str(v) for v in values]
