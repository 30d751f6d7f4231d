"""Auto-fix: exact output bytes and recorded changes for each input, idempotence, bad paths.

Inputs are made by tests/data/quality/autofix/make_inputs.py.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from tsunagu.datastore.ingest.model import IngestError
from tsunagu.quality.autofix import AutofixResult, autofix_file
from tsunagu.quality.autofix.columns import clean_names, match_columns
from tsunagu.quality.autofix.kinds import SAMPLE_ROWS, decide_kind
from tsunagu.quality.autofix.result import KINDS
from tsunagu.quality.autofix.text import fold_alnum, looks_like_formula
from tsunagu.quality.standards import get_standard

DATA = Path(__file__).resolve().parents[1] / "data" / "quality" / "autofix"
BOM = "\ufeff"


def csv_text(*lines: str) -> str:
    return BOM + "".join(line + "\r\n" for line in lines)


EXPECTED: dict[str, str] = {
    "sjis_shelters.csv": csv_text(
        "名称,開設日,収容人数,電話番号,備考,FAX",
        "第一小学校,2020-04-01,1234,03-1234-5678,(1)体育館,03-1234-0000",
        "カタカナ会館,2020-04-01,-12,03-1111-2222,,",
        '(株)センター,未定,,,"\'=HYPERLINK(""http://example.jp"")",',
        "市民ホール,2019-04-30,2000,03(1111)2222,Wi-Fiあり,",
    ),
    "wareki_dates.csv": csv_text(
        "行事,日付,開始,日時,年月",
        "春祭り,2019-05-01,09:30,2020-04-01T09:30:00,2020-04",
        "夏祭り,2019-04-30,13:00,2020-04-01T13:00:00,2020-04",
        "秋祭り,2020-04-01,10:00,2020-04-01T10:00:00,2020-04",
        "冬祭り,2019-04-30,09:00,2020-04-01T00:00:00,2020-04",
        "新年会,2020-04-01,09:00,2020-04-01T09:00:00,2020-05",
        "花火,2019-04-30,09:30,未定,2020-05",
        "盆踊り,未定,,,",
    ),
    "numbers_units.csv": csv_text(
        "地区,人口,予算,割合,増減,面積",
        "本町,1234,1000,12.5,-5,12.5",
        "栄町,980,250,7,-3,8",
        "緑町,,,,4,0.5",
        "若葉台,約100人,12000,0.5,0,",
        "旭町,2000,0,100,-2,3",
    ),
    "platform_chars.tsv": csv_text(
        "施設ID,施設名,設備,利用時間,所在地",
        "0001,(株)つなぐ商事,III号館・(1)会議室,10:00～17:00,本町1丁目2-3",
        "0002,（株）山田,TELあり,9:00～17:00,ABCビル3F",
        "0003,カフェ\u3000ミドリ,広さ20m2,,栄町",
        "0004,株式会社サンプル,Wi-Fi,終日,メール：info@example.jp",
    ),
    "eucjp_codes.csv": csv_text(
        "番号,団体コード,郵便番号,法人番号,名称",
        "1,012025,040-8666,1000020405101,函館市",
        "2,012025,040-8666,1000020405101,函館市",
        "3,012025,040-8666,,函館市",
    ),
    "evacuation_near_miss.csv": csv_text(
        "全国地方公共団体コード,ID,名称,名称_カナ,所在地_連結表記,緯度,経度,電話番号（代表）,"
        "電話番号,郵便番号,想定収容人数,独自メモ",
        "012025,E0120250001,第一小学校,ダイイチショウガッコウ,北海道函館市本町1-1,41.7687,"
        "140.7288,0138-21-0000,0138-21-3111,040-8666,1200,",
        "012025,E0120250002,第二中学校,ダイニチュウガッコウ,北海道函館市栄町2-2,41.7701,"
        "140.7312,,0138-21-3112,040-8667,850,屋上あり",
    ),
    "clean_utf8.csv": csv_text(
        "名称,開設日,収容人数,電話番号,緯度,経度",
        "第一小学校,2020-04-01,1234,03-1234-5678,35.6812,139.7671",
        '"市民ホール, 別館",2021-10-01,-12,,35.6800,139.7600',
        '"名前に""引用符""",2022-01-31,0,0120-000-000,,',
    ),
    "merged_header.xlsx": csv_text(
        "地区,人口_男,人口_女,調査日,備考",
        "本町,1200,1300,2023-03-31,(1)地区",
        "栄町,800,850,2023-03-31,AB棟",
        "緑町,10,12,2023-03-31,",
    ),
}

COUNTS: dict[str, dict[str, int]] = {
    "sjis_shelters.csv": {
        "encoding": 1,
        "title_rows_dropped": 2,
        "notes_dropped": 2,
        "column_name_cleaned": 1,
        "whitespace": 2,
        "platform_dependent_char": 2,
        "halfwidth_katakana": 1,
        "fullwidth": 1,
        "wareki_date": 3,
        "number_format": 3,
        "code_format": 2,
        "placeholder": 4,
        "formula_neutralised": 1,
        "unconvertible": 1,
    },
    "wareki_dates.csv": {
        "platform_dependent_char": 1,
        "wareki_date": 9,
        "date_format": 12,
        "unconvertible": 2,
    },
    "numbers_units.csv": {
        "number_format": 12,
        "unit_removed": 11,
        "placeholder": 4,
        "unconvertible": 1,
    },
    "platform_chars.tsv": {
        "format": 1,
        "platform_dependent_char": 5,
        "halfwidth_katakana": 1,
        "fullwidth": 6,
        "code_format": 3,
        "placeholder": 1,
    },
    "eucjp_codes.csv": {"encoding": 1, "whitespace": 1, "code_format": 6},
    "evacuation_near_miss.csv": {
        "column_renamed": 4,
        "halfwidth_katakana": 1,
        "fullwidth": 2,
        "number_format": 3,
        "unit_removed": 1,
        "code_format": 3,
    },
    "clean_utf8.csv": {},
    "merged_header.xlsx": {
        "format": 1,
        "title_rows_dropped": 1,
        "notes_dropped": 1,
        "platform_dependent_char": 1,
        "fullwidth": 1,
        "wareki_date": 1,
    },
}


def fix(name: str, tmp_path: Path, **kwargs: Any) -> tuple[AutofixResult, bytes]:
    out = tmp_path / f"{name}.fixed.csv"
    result = autofix_file(DATA / name, None, out, **kwargs)
    return result, out.read_bytes()


def examples(result: AutofixResult, kind: str) -> list[tuple[int, str, str, str]]:
    change = result.change(kind)
    assert change is not None, kind
    return [(e["row"], e["column"], e["before"], e["after"]) for e in change.examples]


def test_every_input_is_covered() -> None:
    names = {p.name for p in DATA.iterdir() if p.suffix != ".py"}
    assert names == set(EXPECTED) == set(COUNTS)
    assert len(names) >= 8


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_output_bytes_and_counts(name: str, tmp_path: Path) -> None:
    result, data = fix(name, tmp_path)
    assert data.decode("utf-8") == EXPECTED[name]
    assert {c.kind: c.count for c in result.changes} == COUNTS[name]
    # Stable order, and every change explained in Japanese with at most five examples.
    assert [c.kind for c in result.changes] == [k for k in KINDS if k in COUNTS[name]]
    for change in result.changes:
        assert change.description
        assert len(change.examples) <= 5
    assert result.rows == EXPECTED[name].count("\r\n") - 1
    assert result.columns == next(csv.reader(io.StringIO(EXPECTED[name][1:])))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixing_the_output_again_changes_nothing(name: str, tmp_path: Path) -> None:
    result, data = fix(name, tmp_path)
    again = tmp_path / "again.csv"
    second = autofix_file(tmp_path / f"{name}.fixed.csv", "CSV", again)
    assert again.read_bytes() == data
    # Values that could not be converted are still reported, and nothing else.
    assert {c.kind for c in second.changes} <= {"unconvertible"}
    assert second.columns == result.columns
    assert second.rows == result.rows


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_source_is_never_modified(name: str, tmp_path: Path) -> None:
    before = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
    fix(name, tmp_path)
    assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == before


def test_sjis_examples_and_notes(tmp_path: Path) -> None:
    result, _ = fix("sjis_shelters.csv", tmp_path)
    assert examples(result, "wareki_date") == [
        (4, "開設日", "令和2年4月1日", "2020-04-01"),
        (5, "開設日", "R2.4.1", "2020-04-01"),
        (7, "開設日", "平成31年4月30日", "2019-04-30"),
    ]
    assert examples(result, "number_format") == [
        (4, "収容人数", "１，２３４", "1234"),
        (5, "収容人数", "△12", "-12"),
        (7, "収容人数", "2,000", "2000"),
    ]
    assert examples(result, "unconvertible") == [(6, "開設日", "未定", "未定")]
    assert examples(result, "code_format")[0] == (
        4,
        "電話番号",
        "０３ー１２３４ー５６７８",
        "03-1234-5678",
    )
    assert examples(result, "formula_neutralised") == [
        (6, "備考", '=HYPERLINK("http://example.jp")', '\'=HYPERLINK("http://example.jp")')
    ]
    change = result.change("encoding")
    assert change is not None and "Shift_JIS" in change.description
    assert result.notes == [
        "令和5年度\u3000避難所一覧",
        "単位：人",
        "※収容人数は目安です。",
        "※令和5年4月1日現在",
    ]
    assert result.standard_id is None and result.renamed == {}
    data = result.to_dict()
    assert data["changes"][0]["kind"] == "encoding"
    assert data["rows"] == 4


def test_units_are_kept_in_notes(tmp_path: Path) -> None:
    result, _ = fix("numbers_units.csv", tmp_path)
    assert result.notes == ["列「人口」の単位: 人", "列「予算」の単位: 円", "列「割合」の単位: %"]
    assert examples(result, "unconvertible") == [(5, "人口", "約100人", "約100人")]
    assert (4, "人口", "不明", "") in examples(result, "placeholder")


def test_standard_near_miss_names_are_renamed(tmp_path: Path) -> None:
    standard = get_standard("evacuation_space")
    result, _ = fix("evacuation_near_miss.csv", tmp_path, standard=standard)
    assert result.standard_id == "evacuation_space"
    assert result.renamed == {
        "ＩＤ": "ID",
        "名称（カナ）": "名称_カナ",
        "緯度(世界測地系)": "緯度",
        "経度（世界測地系）": "経度",
    }
    # 電話番号（代表） also means 電話番号, which the file already has: kept as it is.
    assert "電話番号（代表）" in result.columns and "独自メモ" in result.columns
    # The standard's integer type makes 想定収容人数 a number column: 「850人」 loses its unit.
    assert (3, "想定収容人数", "850人", "850") in examples(result, "unit_removed")


def test_standard_is_guessed_when_not_given(tmp_path: Path) -> None:
    result, _ = fix("evacuation_near_miss.csv", tmp_path)
    assert result.standard_id == "evacuation_space"
    assert result.renamed["名称（カナ）"] == "名称_カナ"


def test_two_columns_for_one_field_rename_neither() -> None:
    standard = get_standard("evacuation_space")
    columns = ["名称", "緯度(世界測地系)", "緯度（日本測地系）", "経度"]
    assert match_columns(columns, standard) == {}
    assert match_columns(["名称（カナ）", "緯度(世界測地系)"], standard) == {
        "名称（カナ）": "名称_カナ",
        "緯度(世界測地系)": "緯度",
    }


def test_cleaned_names_never_collide() -> None:
    assert clean_names(["ＩＤ", "ID", "①名称", " 備考 "]) == ["ＩＤ", "ID", "(1)名称", "備考"]


def test_fullwidth_folding_keeps_japanese_punctuation() -> None:
    assert fold_alnum("（株）山田") == "（株）山田"
    assert fold_alnum("電話：０３－１２３４") == "電話：03-1234"
    assert fold_alnum("１０：００～１７：００") == "10:00～17:00"
    assert fold_alnum("ｗｗｗ．ｅｘａｍｐｌｅ．ｊｐ") == "www.example.jp"


def test_formula_detection() -> None:
    assert looks_like_formula("=1+1")
    assert looks_like_formula("+A1")
    assert looks_like_formula("-以下同じ")
    assert looks_like_formula("@SUM(A1)")
    assert not looks_like_formula("-12")
    assert not looks_like_formula("+81-3-1234-5678")
    assert not looks_like_formula("'=1+1")
    assert not looks_like_formula("=")


def test_kind_tolerates_a_few_odd_values() -> None:
    assert decide_kind("開設日", ["令和2年4月1日", "R2.4.1", "未定"], None).kind == "date"
    assert decide_kind("メモ", ["令和2年4月1日", "未定", "調整中"], None).kind == "text"
    assert decide_kind("人口", ["12人", "1,234人", "x"], None).unit == "人"
    # 「3丁目」 is not a count of 丁目: unknown words are never removed as units.
    assert decide_kind("番地", ["3丁目", "5丁目"], None).kind == "text"
    assert decide_kind("郵便番号", ["1000001"], None).kind == "code"
    # A standard string field is never reformatted as a number.
    assert decide_kind("収容人数", ["1,000"], "string").kind == "text"
    assert decide_kind("番号", ["100"], "string").kind == "code"
    assert decide_kind("緯度", ["不明"], "number").kind == "number"


def test_rows_after_the_sample_are_fixed_and_streamed(tmp_path: Path) -> None:
    src = tmp_path / "big.csv"
    lines = ["番号,日付,金額"]
    lines += [f'{i},令和2年4月{i % 28 + 1}日,"{i:,}"' for i in range(1, SAMPLE_ROWS + 500)]
    lines.append(f"{SAMPLE_ROWS + 500},未定,１，０００")
    src.write_text("\n".join(lines) + "\n", encoding="cp932")
    out = tmp_path / "big_fixed.csv"
    result = autofix_file(src, None, out)
    assert result.rows == SAMPLE_ROWS + 500
    text = out.read_text(encoding="utf-8-sig").splitlines()
    assert text[1200] == "1200,2020-04-25,1200"
    assert text[-1] == f"{SAMPLE_ROWS + 500},未定,1000"
    assert examples(result, "unconvertible") == [(SAMPLE_ROWS + 501, "日付", "未定", "未定")]
    change = result.change("wareki_date")
    assert change is not None and change.count == SAMPLE_ROWS + 499
    assert len(change.examples) == 5


def test_header_only_file_gives_header_only_output(tmp_path: Path) -> None:
    src = tmp_path / "header.csv"
    src.write_text("名称,住所\n", encoding="utf-8")
    result = autofix_file(src, None, tmp_path / "out.csv")
    assert result.rows == 0
    assert (tmp_path / "out.csv").read_bytes() == csv_text("名称,住所").encode("utf-8")


def test_unreadable_files_raise_ingest_error_and_leave_no_output(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    html = tmp_path / "page.csv"
    html.write_text("<!DOCTYPE html><html><body>x</body></html>", encoding="utf-8")
    for src in (empty, html, tmp_path / "missing.csv"):
        with pytest.raises(IngestError):
            autofix_file(src, None, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".autofix-")] == []


def test_dest_must_not_be_the_source(tmp_path: Path) -> None:
    src = tmp_path / "same.csv"
    shutil.copy(DATA / "clean_utf8.csv", src)
    before = src.read_bytes()
    with pytest.raises(ValueError):
        autofix_file(src, None, src)
    assert src.read_bytes() == before


def test_existing_dest_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old content that is longer than the new one " * 50, encoding="utf-8")
    autofix_file(DATA / "clean_utf8.csv", None, out)
    assert out.read_bytes().decode("utf-8") == EXPECTED["clean_utf8.csv"]


# --- what the validation engine says about the fixed files ----------------------------------

# Findings auto-fix is meant to remove. Number and date findings stay legitimate for the values
# auto-fix could not convert, so those are checked against the unconvertible examples instead.
REMOVED_RULES = {
    "file.encoding",
    "cells.fullwidth",
    "cells.halfwidth_kana",
    "cells.placeholder",
    "cells.platform_dependent",
    "cells.spaces",
    "cells.control_char",
    "cells.formula",
    "layout.title_row",
    "layout.unit_row",
    "layout.notes_below",
    "layout.multi_row_header",
    "layout.merged_cells",
}
VALUE_RULES = {"cells.number_format", "cells.date_format", "cells.wareki"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixed_files_have_no_findings_autofix_removes(name: str, tmp_path: Path) -> None:
    try:
        from tsunagu.quality.validate import (  # type: ignore[attr-defined]
            ValidationOptions,
            validate_file,
        )
    except ImportError:
        pytest.skip("the validation engine (validate_file) has not landed yet")
    result, _ = fix(name, tmp_path)
    report = validate_file(tmp_path / f"{name}.fixed.csv", "CSV", ValidationOptions()).to_dict()
    rules = report.get("rules") or report.get("report", {}).get("rules", {})
    findings = report.get("findings") or report.get("report", {}).get("findings", [])
    assert set(rules) & REMOVED_RULES == set()
    unconvertible = result.change("unconvertible")
    kept = {e["after"] for e in unconvertible.examples} if unconvertible else set()
    for finding in findings:
        if finding["rule"] in VALUE_RULES:
            assert finding.get("value") in kept, finding
