"""Layout detection (title rows, header rows, column names) and the streaming body (holdback of
notes, blank rows, ragged rows) on rows given as lists of cells."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tsunagu.datastore.ingest import body, layout
from tsunagu.datastore.ingest.cells import header_text, is_datalike, is_headerish
from tsunagu.datastore.ingest.chunks import chunked
from tsunagu.datastore.ingest.layout import build_table, detect_layout, unique_names
from tsunagu.datastore.ingest.model import Cell, IngestError, RawTable, SourceInfo


def numbered(*rows: list[Cell]) -> list[tuple[int, list[Cell]]]:
    return [(n, list(r)) for n, r in enumerate(rows, start=1)]


def csv_rows(text: str) -> list[tuple[int, list[Cell]]]:
    """Rows as the CSV reader gives them: empty fields are None."""
    return numbered(
        *([c or None for c in line.split(",")] if line else [] for line in text.split("\n"))
    )


def table(text: str, **kwargs: object) -> tuple[RawTable, list[tuple[int, list[Cell]]]]:
    info = SourceInfo(format="CSV")
    t = build_table(chunked(csv_rows(text)), info, max_cells=10**9, ragged=True, **kwargs)  # type: ignore[arg-type]
    return t, list(t.rows)


# --- header detection ------------------------------------------------------------------------


def test_plain_header_on_first_line() -> None:
    found = detect_layout(csv_rows("名前,住所,電話\nA,B,C\nD,E,F"))
    assert found.columns == ["名前", "住所", "電話"]
    assert found.header_line == 1
    assert found.body_start == 1
    assert found.notes == [] and found.warnings == []


def test_title_unit_and_date_rows_become_notes() -> None:
    rows = csv_rows(
        "\n\n人口一覧,,\n令和5年4月1日現在,,\n（単位：人）,,\n\n地区,男,女\n北,1,2\n南,3,4"
    )
    found = detect_layout(rows)
    assert found.columns == ["地区", "男", "女"]
    assert found.header_line == 7
    assert found.notes == ["人口一覧", "令和5年4月1日現在", "（単位：人）"]


def test_header_must_be_mostly_text() -> None:
    # The first wide row is data (numbers); the real header comes after a title.
    rows = csv_rows("集計表,,\n2023/4/1,100,200\n地区,男,女\n北,1,2")
    found = detect_layout(rows)
    assert found.columns == ["地区", "男", "女"]
    assert found.notes == ["集計表", "2023/4/1 100 200"]


def test_years_count_as_header_cells() -> None:
    found = detect_layout(numbered(["地区", 2019, 2020, 2021], ["北", 10, 11, 12]))
    assert found.columns == ["地区", "2019", "2020", "2021"]


def test_no_table_in_single_column_or_numbers() -> None:
    with pytest.raises(IngestError, match="表が見つかりません"):
        detect_layout(csv_rows("お知らせ\nこのページは…\n問合せ先"))
    with pytest.raises(IngestError, match="表が見つかりません"):
        detect_layout(csv_rows("1,2,3\n4,5,6"))
    with pytest.raises(IngestError, match="表が見つかりません"):
        detect_layout(csv_rows("\n\n"))


def test_two_row_header_spanning_cell_forward_filled() -> None:
    rows = csv_rows("地区,人口,,,世帯数\n,男,女,計,\n北,1,2,3,4\n南,5,6,11,7")
    found = detect_layout(rows)
    assert found.columns == ["地区", "人口_男", "人口_女", "人口_計", "世帯数"]
    assert found.header_line == 2
    assert found.body_start == 2


def test_sparse_upper_header_row_is_found_above_the_header() -> None:
    # 「人口」「世帯」 alone fill too little of the width to be the header: found looking up.
    rows = csv_rows("表題,,,,\n,人口,,,世帯\n地区,男,女,計,総数\n北,1,2,3,4")
    found = detect_layout(rows)
    assert found.columns == ["地区", "人口_男", "人口_女", "人口_計", "世帯_総数"]
    assert found.notes == ["表題"]


def test_three_row_header() -> None:
    rows = csv_rows(
        "地区,人口,,,,,\n,日本人,,,外国人,,\n,男,女,計,男,女,計\n北,1,2,3,4,5,9\n南,1,1,2,1,1,2"
    )
    found = detect_layout(rows)
    assert found.columns == [
        "地区",
        "人口_日本人_男",
        "人口_日本人_女",
        "人口_日本人_計",
        "人口_外国人_男",
        "人口_外国人_女",
        "人口_外国人_計",
    ]
    assert found.header_line == 3


def test_text_data_row_is_not_taken_for_a_sub_header() -> None:
    rows = csv_rows("名称,種別,住所\n北館,図書館,北町\n南館,公民館,南町")
    assert detect_layout(rows).body_start == 1


def test_merged_ranges_decide_the_spans() -> None:
    # 「備考」 sits in the lower row with nothing above it: without merge information the
    # heuristic would call it 「人口_備考」; the merges say 「人口」 spans only B:C.
    rows = numbered(["地区", "人口", None, None], [None, "男", "女", "備考"], ["北", 1, 2, "x"])
    merges = [(1, 0, 2, 0), (1, 1, 1, 2)]
    assert detect_layout(rows, merges=merges).columns == ["地区", "人口_男", "人口_女", "備考"]
    assert detect_layout(rows).columns == ["地区", "人口_男", "人口_女", "人口_備考"]


def test_header_text_cleanup() -> None:
    assert header_text("人口\n（人）") == "人口（人）"
    assert header_text(" 氏　名 ") == "氏名"
    assert header_text("Total\r\nPopulation") == "Total Population"
    assert header_text("面積\n(km²)") == "面積(km²)"
    assert header_text(2020.0) == "2020"
    assert header_text("  ") is None


def test_cell_judgements() -> None:
    for value in (
        "1,234",
        "△12",
        "▲3.5",
        "１２，３４５",
        "2023/4/1",
        "R5.4.1",
        "令和元年5月1日",
        "9:30",
        "9時30分",
        "12.5%",
        3,
        2.5,
    ):
        assert is_datalike(value), value
    for value in ("地区", "人口（人）", "No.", "", True):
        assert not is_datalike(value), value
    assert is_headerish(2020) and is_headerish("2020") and not is_headerish(12)


def test_empty_and_duplicate_names() -> None:
    rows = csv_rows("名前,,名前,値,値,値\na,1,b,2,3,4")
    found = detect_layout(rows)
    assert found.columns == ["名前", "列2", "名前_2", "値", "値_2", "値_3"]
    assert any("列2" in w for w in found.warnings)
    assert any("名前 → 名前_2" in w for w in found.warnings)


def test_unnamed_columns_are_named_after_their_source_position() -> None:
    rows = numbered(["a", None, "c"], ["1", "2", "3"])
    assert detect_layout(rows, col_offset=2).columns == ["a", "列4", "c"]


def test_unique_names_avoid_existing_suffixes() -> None:
    warnings: list[str] = []
    assert unique_names(["a", "a", "a_2"], warnings) == ["a", "a_3", "a_2"]
    assert warnings


def test_spacer_and_leading_empty_columns_are_dropped() -> None:
    found = detect_layout(csv_rows(",地区,,人口\n,北,,1\n,南,,2"))
    assert found.columns == ["地区", "人口"]
    assert found.source_cols == [1, 3]
    assert found.warnings == []


def test_values_right_of_the_header_add_columns() -> None:
    found = detect_layout(csv_rows("a,b\n1,2\n3,4,extra"))
    assert found.columns == ["a", "b", "列3"]
    assert any("列3" in w for w in found.warnings)


# --- the streaming body --------------------------------------------------------------------


def test_notes_and_blank_rows_at_the_end_go_to_notes() -> None:
    t, rows = table("地区,男,女\n北,1,2\n南,3,4\n\n※出典：住民基本台帳,,\n注）外国人を含む,,\n\n\n")
    assert [r[0] for r in rows] == [2, 3]
    assert t.info.notes == ["※出典：住民基本台帳", "注）外国人を含む"]


def test_single_cell_rows_after_the_data_are_notes() -> None:
    t, rows = table("地区,男,女\n北,1,2\n平成31年4月1日現在,,")
    assert len(rows) == 1
    assert t.info.notes == ["平成31年4月1日現在"]


def test_note_like_rows_followed_by_data_are_data() -> None:
    # A group heading with one cell and a ※ row in the middle: both released as data.
    t, rows = table("地区,男,女\n【東部】,,\n北,1,2\n※休止中,,\n南,3,4")
    assert [r[1][0] for r in rows] == ["【東部】", "北", "※休止中", "南"]
    assert t.info.notes == []


def test_blank_rows_in_the_middle_are_skipped() -> None:
    _, rows = table("a,b\n1,2\n\n,\n3,4\n\n5,6")
    assert [r[0] for r in rows] == [2, 5, 7]


def test_two_column_table_keeps_rows_with_one_value() -> None:
    # In a two-column table a row with one empty cell is ordinary data, even at the end.
    t, rows = table("名称,備考\nA,\nB,休館中\nC,")
    assert [r[1][0] for r in rows] == ["A", "B", "C"]
    assert t.info.notes == []


def test_holdback_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(body, "MAX_HELD", 5)
    lines = "a,b,c\n1,2,3\n" + "".join(f"x{i},,\n" for i in range(20))
    t, rows = table(lines)
    # Five are held at a time; past that they are data, and the last five become notes.
    assert len(rows) + len(t.info.notes) == 21
    assert len(t.info.notes) <= 5


def test_rows_stream_past_the_lookahead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "LOOKAHEAD_ROWS", 10)
    consumed = 0

    def source() -> Iterator[tuple[int, list[Cell]]]:
        nonlocal consumed
        yield 1, ["id", "name"]
        for n in itertools.count(2):
            consumed = n
            yield n, [str(n), "x"]

    t = build_table(chunked(source(), 5), SourceInfo(format="CSV"), max_cells=10**9, ragged=True)
    first = list(itertools.islice(t.rows, 100))
    assert first[-1][0] == 101
    # Never more than the lookahead and a chunk of rows ahead of the consumer.
    assert consumed <= 101 + 10 + 5


def test_ragged_rows_padded_and_reported() -> None:
    t, rows = table("a,b,c\n1,2\n1,2,3,,\n1,2,3")
    assert [r[1] for r in rows] == [["1", "2", None], ["1", "2", "3"], ["1", "2", "3"]]
    warnings = " ".join(t.info.warnings)
    assert "少ない行" in warnings and "2 行目" in warnings
    assert "多い行" in warnings and "3 行目" in warnings


def test_values_outside_the_table_after_the_lookahead_are_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(layout, "LOOKAHEAD_ROWS", 3)
    t, rows = table("a,b\n1,2\n3,4\n5,6\n7,8,9")
    assert rows[-1] == (5, ["7", "8"])
    assert any("読み飛ばしました" in w and "5 行目" in w for w in t.info.warnings)


def test_excel_error_values_become_empty() -> None:
    t, rows = table("a,b\n1,#N/A\n#DIV/0!,2")
    assert [r[1] for r in rows] == [["1", None], [None, "2"]]
    assert any("#N/A" in w for w in t.info.warnings)


def test_cell_limit_while_streaming() -> None:
    info = SourceInfo(format="CSV")
    t = build_table(chunked(csv_rows("a,b\n1,2\n3,4\n5,6")), info, max_cells=4, ragged=True)
    with pytest.raises(IngestError, match="上限") as error:
        list(t.rows)
    assert error.value.line == 4


def test_rows_with_values_only_outside_the_table_are_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(layout, "LOOKAHEAD_ROWS", 3)
    t, rows = table("a,b,c\n1,2,3\n4,5,6\n,,,x,y\n7,8,9")
    assert [r[0] for r in rows] == [2, 3, 5]
    assert any("読み飛ばしました" in w and "4 行目" in w for w in t.info.warnings)


def test_trailing_spacer_in_the_header_is_not_ragged() -> None:
    t, rows = table("a,b,c,\n1,2,3\n4,5,6")
    assert t.columns == ["a", "b", "c"]
    assert len(rows) == 2
    assert t.info.warnings == []


def test_time_series_headed_by_dates() -> None:
    import datetime as dt

    rows = numbered(["地区", dt.date(2023, 4, 1), dt.date(2023, 5, 1)], ["北", 10, 11])
    assert detect_layout(rows).columns == ["地区", "2023-04-01", "2023-05-01"]
    assert detect_layout(csv_rows("地区,2023/4/1,2023/5/1\n北,10,11")).header_line == 1
    with pytest.raises(IngestError):
        detect_layout(csv_rows("北町,1,2\n南町,3,4"))  # no header at all


def test_unit_row_under_the_header_goes_to_notes() -> None:
    found = detect_layout(csv_rows("地区,人口,面積,予算\n,（人）,km²,千円\n北,1,2.5,300"))
    assert found.columns == ["地区", "人口", "面積", "予算"]
    assert found.notes == ["（人） km² 千円"]
    assert found.body_start == 2
    assert found.header_line == 1


def test_lone_spanning_cell_away_from_the_left_edge() -> None:
    # A cross table: row labels without a header, 「人口」 alone over 男/女/計.
    found = detect_layout(csv_rows(",人口,,\n,男,女,計\n北町,1,2,3"))
    assert found.columns == ["列1", "人口_男", "人口_女", "人口_計"]
    # The same lone cell at the left edge is a title.
    found = detect_layout(csv_rows("人口,,,\n地区,男,女,計\n北町,1,2,3"))
    assert found.columns == ["地区", "男", "女", "計"]
    assert found.notes == ["人口"]
