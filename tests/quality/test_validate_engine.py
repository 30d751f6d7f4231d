"""validate_file as a whole: caps on huge files, bad files that never raise, the result shape."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tsunagu.datastore.ingest.readers import read_table
from tsunagu.quality.standards import get_standard
from tsunagu.quality.validate import ValidationOptions, ValidationResult, validate_file


def _write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


def test_huge_file_lists_at_most_the_cap_and_counts_every_finding(tmp_path: Path) -> None:
    rows = [["ID", "施設名", "開設日", "定員"]]
    rows += [[str(n), f"施設{n}", "令和2年4月1日", "1,200"] for n in range(1, 20_001)]
    rows += [["20000", "施設20000", "令和2年4月1日", "1,200"]] * 3  # repeated last row
    path = _write(tmp_path / "huge.csv", rows)
    result = validate_file(path, None, ValidationOptions(cap_per_rule=50))
    counts = result.report.counts
    assert result.rows == 20_003
    assert counts["cells.wareki"] == 20_003
    assert counts["cells.number_format"] == 20_003
    assert counts["rows.duplicate"] == 3
    assert "rows.duplicate_id" not in counts  # explained by the repeated rows
    listed = [f for f in result.report.findings if f.rule == "cells.wareki"]
    assert len(listed) == 50
    assert [f.row for f in listed] == list(range(2, 52))  # the first ones, in file order
    summary = result.to_dict()
    assert summary["rules"]["cells.wareki"] == {"severity": "error", "count": 20_003, "listed": 50}
    assert summary["truncated"] is True


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "空"),
        (b"\x00\x01\x02\x03" * 1000, "テキスト"),
        (b"PK\x03\x04not really a zip", "ZIP"),
        (b"<html><body>not a table</body></html>", "HTML"),
        (b"just one line without a table\n", "表が見つかりません"),
    ],
)
def test_bad_files_give_one_unreadable_finding(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = validate_file(path, None, ValidationOptions())
    assert [f.rule for f in result.report.findings] == ["file.unreadable"]
    assert words in result.report.findings[0].message
    assert result.rows == 0


def test_missing_file_and_directory_do_not_raise(tmp_path: Path) -> None:
    for path in (tmp_path / "nothing.csv", tmp_path):
        result = validate_file(path, "CSV", ValidationOptions())
        assert [f.rule for f in result.report.findings] == ["file.unreadable"]


def test_a_bad_byte_deep_in_the_file_keeps_what_was_found_before(tmp_path: Path) -> None:
    # Beyond the 1 MB the encoding is guessed from, so the bad byte is met while streaming.
    head = "施設名,開設日\n" + "".join(f"施設{n},令和2年4月1日\n" for n in range(60_000))
    path = tmp_path / "cut.csv"
    path.write_bytes(head.encode("cp932") + b"\x82\xff\n")
    result = validate_file(path, None, ValidationOptions())
    assert result.report.counts["file.unreadable"] == 1
    # The reader decodes 64 KB at a time: the rows of the chunk with the bad byte are lost.
    assert 55_000 < result.rows < 60_000
    assert result.report.counts["cells.wareki"] == result.rows
    unreadable = next(f for f in result.report.findings if f.rule == "file.unreadable")
    assert unreadable.row == 60_002


def test_result_carries_source_facts_and_standard(tmp_path: Path) -> None:
    standard = get_standard("aed")
    names = [f.name for f in standard.fields]
    path = _write(tmp_path / "aed.csv", [names], encoding="cp932")
    result = validate_file(path, None, ValidationOptions(standard=standard))
    assert isinstance(result, ValidationResult)
    assert result.standard_id == "aed" and result.guessed is False
    assert result.columns == names and result.rows == 0
    assert result.source["encoding"] == "cp932" and result.source["format"] == "CSV"
    data = result.to_dict()
    assert {"standard_id", "guessed", "rows", "columns", "source", "summary", "findings"} <= set(
        data
    )
    assert data["summary"]["warning"] == 1  # file.encoding only


def test_missing_optional_column_is_a_warning(tmp_path: Path) -> None:
    standard = get_standard("aed")
    names = [f.name for f in standard.fields if f.name != "備考"]
    path = _write(tmp_path / "aed.csv", [names])
    result = validate_file(path, None, ValidationOptions(standard=standard))
    missing = [f for f in result.report.findings if f.rule == "schema.missing_column"]
    assert [(f.column, f.severity) for f in missing] == [("備考", "warning")]


def test_spreadsheet_declared_as_csv_is_a_format_mismatch() -> None:
    path = Path(__file__).parents[1] / "data/quality/validation/layout_multi_header.xlsx"
    result = validate_file(path, "CSV", ValidationOptions())
    assert "file.format_mismatch" in result.report.counts


def test_no_standard_is_guessed_when_guessing_is_off(tmp_path: Path) -> None:
    standard = get_standard("evacuation_space")
    path = _write(tmp_path / "e.csv", [[f.name for f in standard.fields]])
    assert validate_file(path, None, ValidationOptions(guess=False)).standard_id is None
    guessed = validate_file(path, None, ValidationOptions())
    assert (guessed.standard_id, guessed.guessed) == ("evacuation_space", True)


def test_the_reader_works_unchanged_without_an_observer(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", [["a", "b"], ["1", "2"], ["", ""], ["3"], ["4", "5"]])
    table = read_table(path)
    assert table.info.row_observer is None
    assert [line for line, _ in table.rows] == [2, 4, 5]
    seen: list[tuple[int, int]] = []
    table = read_table(path)
    table.info.row_observer = lambda line, cells: seen.append((line, len(cells)))
    list(table.rows)
    assert seen == [(3, 2), (4, 1)]
