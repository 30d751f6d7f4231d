"""validate_file as a whole: caps on huge files, bad files that never raise, the result shape."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import pytest

from tsunagu.datastore.ingest.readers import read_table
from tsunagu.quality.areas import area_bbox
from tsunagu.quality.standards import get_standard
from tsunagu.quality.validate import ValidationOptions, ValidationResult, engine, validate_file
from tsunagu.quality.validate.columns import ColumnCheck, Pending


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


def _planted_file(path: Path, rows: int, seed: int) -> Path:
    """A 03 指定緊急避難場所 file of mostly unique values (so the direct path runs) in which
    about one row in ten carries a mistake of some kind, repeated rows and IDs included."""
    standard = get_standard("evacuation_space")
    names = [f.name for f in standard.fields]
    rng = random.Random(seed)
    mistakes = {
        "全国地方公共団体コード": ["132011", "13201", "131016", "１３２０１２", "－"],
        "ID": ["", " 12", "００１"],
        "名称": ["㈱八王子", "ﾊﾁｵｳｼﾞ", "名称　", "=SUM(A1)", "荳ｭ螟ｮ蝗ｳ", "a\tb", "x" * 5001,
               "一行目\n二行目", "令和2年4月1日", "2020/4/1", "N/A", "bell\x07"],
        "緯度": ["139.3", "35,6", "北緯35度", "", "NaN", "12.5"],
        "経度": ["35.65", "", "200"],
        "電話番号": ["０４２-６２６-３１１１", "042(626)3111", "内線なし"],
        "郵便番号": ["1928501", "192-85", "〒192-8501"],
        "想定収容人数": ["1,200人", "約100", "△5", "1.5", "－"],
        "災害種別_地震": ["○", "有", "2"],
        "URL": ["www.example.jp", "https://example.jp/ a"],
        "連絡先メールアドレス": ["bosai@", "a@b.jp c@d.jp"],
        "所在地_連結表記": ["", "－"],
    }  # fmt: skip
    previous: list[str] | None = None
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(names)
        for n in range(1, rows + 1):
            row = {name: "" for name in names}
            row.update(
                {
                    "全国地方公共団体コード": "132012",
                    "ID": f"{n:06d}",
                    "名称": f"避難場所{n}",
                    "所在地_連結表記": f"東京都八王子市元本郷町{n}",
                    "緯度": f"{35.62 + rng.random() * 0.1:.6f}",
                    "経度": f"{139.25 + rng.random() * 0.1:.6f}",
                    "電話番号": f"042-{n:07d}",
                    "郵便番号": "192-8501",
                    "想定収容人数": str(n),
                    "URL": f"https://example.jp/{n}",
                    "連絡先メールアドレス": f"bosai{n}@example.jp",
                    "災害種別_地震": "1",
                }
            )
            roll = rng.random()
            if roll < 0.1:
                column = rng.choice(list(mistakes))
                row[column] = rng.choice(mistakes[column])
            elif roll < 0.11:
                row["緯度"], row["経度"] = row["経度"], row["緯度"]
            elif roll < 0.12:
                row["緯度"], row["経度"] = "43.06", "141.35"  # 札幌: in Japan, not in 八王子
            values = [row[name] for name in names]
            roll = rng.random()
            if roll < 0.01 and previous is not None:
                values = previous  # a repeated row
            elif roll < 0.02 and previous is not None:
                values = [*values]
                values[names.index("ID")] = previous[names.index("ID")]  # a repeated ID
            out.writerow(values)
            previous = values
    return path


def _cell_by_cell(self: ColumnCheck, values: Any, lines: Any, out: list[Pending]) -> None:
    for i, value in enumerate(values):
        if issues := self.inspect(value):
            self._pend(out, lines[i], value, issues)


def _findings(path: Path) -> tuple[int, dict[str, int], list[tuple[Any, ...]]]:
    options = ValidationOptions(
        standard=get_standard("evacuation_space"),
        local_gov_code="132012",
        area=area_bbox("132012"),
        cap_per_rule=10**6,
    )
    result = validate_file(path, None, options)
    found = [(f.rule, f.row, f.column, f.value, f.message, f.fix) for f in result.report.findings]
    return result.rows, dict(result.report.counts), found


@pytest.mark.parametrize("seed", [1, 2])
def test_fast_paths_find_exactly_what_the_cell_by_cell_reference_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    path = _planted_file(tmp_path / "planted.csv", 6000, seed)
    fast = _findings(path)
    monkeypatch.setattr(ColumnCheck, "run", _cell_by_cell)
    monkeypatch.setattr(engine, "BATCH_ROWS", 2048)  # the batch size before the fast paths
    assert fast == _findings(path)
    fired = set(fast[1])
    assert fired >= {
        "cells.platform_dependent", "cells.halfwidth_kana", "cells.spaces", "cells.formula",
        "file.mojibake", "cells.control_char", "cells.too_long", "cells.multiple_values",
        "cells.wareki", "cells.date_format", "cells.placeholder", "cells.fullwidth",
        "cells.number_format", "codes.check_digit", "codes.format", "codes.other_municipality",
        "schema.type", "schema.pattern", "schema.enum", "schema.required_value", "geo.swapped",
        "geo.outside_japan", "geo.outside_area", "geo.format", "rows.duplicate",
        "rows.duplicate_id",
    }  # fmt: skip
