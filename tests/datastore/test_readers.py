"""read_table on the corpus (tests/data/datastore, described by manifest.json) and on files made
here for encodings, delimiters, containers, limits and memory use.

Only what the reader decides is checked: format, encoding, sheet, columns, rows, notes and raw
cells. Column types and normalised values in the manifest are for the inference tests.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tsunagu.datastore.ingest import containers, decode, jsonfiles
from tsunagu.datastore.ingest.decode import detect_encoding, sniff_encoding
from tsunagu.datastore.ingest.delimited import choose_delimiter
from tsunagu.datastore.ingest.model import COLUMN_TYPES, IngestError
from tsunagu.datastore.ingest.readers import read_table

CORPUS = Path(__file__).resolve().parent.parent / "data" / "datastore"
MANIFEST: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))[
    "files"
]
GOOD = [e for e in MANIFEST if not e["error"]]
BAD = [e for e in MANIFEST if e["error"]]


def raw_json(cell: object) -> object:
    return cell.isoformat() if isinstance(cell, (dt.date, dt.time)) else cell


# --- the corpus ----------------------------------------------------------------------------


def test_manifest_is_complete() -> None:
    assert len(MANIFEST) >= 25
    on_disk = {p.name for p in CORPUS.iterdir()} - {"manifest.json", "make_corpus.py"}
    assert on_disk == {e["file"] for e in MANIFEST}
    for e in GOOD:
        assert list(e["types"]) == e["columns"], e["file"]
        assert set(e["types"].values()) <= set(COLUMN_TYPES), e["file"]
        assert e["samples"] or e["row_count"] == 0, e["file"]


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "guessed"])
@pytest.mark.parametrize("entry", GOOD, ids=[e["file"] for e in GOOD])
def test_corpus_file(entry: dict[str, Any], declared: bool) -> None:
    fmt = entry["declared_format"] if declared else None
    table = read_table(CORPUS / entry["file"], fmt)
    rows = list(table.rows)
    info = table.info
    assert info.format == entry["format"]
    assert info.encoding == entry["encoding"]
    assert info.delimiter == entry["delimiter"]
    assert info.sheet == entry["sheet"]
    assert info.sheets == entry["sheets"]
    assert info.header_line == entry["header_line"]
    assert table.columns == entry["columns"]
    assert len(rows) == entry["row_count"]
    assert all(len(cells) == len(table.columns) for _, cells in rows)
    lines = [line for line, _ in rows]
    assert lines == sorted(set(lines)) and all(n > info.header_line for n in lines)
    for note in entry["notes"]:
        assert any(note in n for n in info.notes), (note, info.notes)
    if not entry["notes"]:
        assert info.notes == []
    for warning in entry["warnings"]:
        assert any(warning in w for w in info.warnings), (warning, info.warnings)
    if not entry["warnings"]:
        assert info.warnings == []
    for s in entry["samples"]:
        line, cells = rows[s["row"]]
        assert raw_json(cells[table.columns.index(s["column"])]) == s["raw"], s
        if "line" in s:
            assert line == s["line"], s


@pytest.mark.parametrize("entry", BAD, ids=[e["file"] for e in BAD])
def test_corpus_file_refused(entry: dict[str, Any]) -> None:
    for fmt in (entry["declared_format"], None):
        with pytest.raises(IngestError, match=re.escape(entry["error"])):
            list(read_table(CORPUS / entry["file"], fmt).rows)


def test_corpus_is_reproducible(tmp_path: Path) -> None:
    script = tmp_path / "make_corpus.py"
    shutil.copy(CORPUS / "make_corpus.py", script)
    subprocess.run([sys.executable, str(script)], check=True, timeout=120)
    for entry in [*MANIFEST, {"file": "manifest.json"}]:
        name = entry["file"]
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), name


# --- encodings -----------------------------------------------------------------------------


def test_encoding_guesses() -> None:
    text = "事業者,設置場所\n㈱つなぐ,受付①～②\n髙橋商店,２階\n"
    assert detect_encoding(text.encode("cp932"), complete=True) == "cp932"
    text = "避難所名,所在地\n中央小学校,本町一丁目\n東雲中学校,東雲町\n"
    assert detect_encoding(text.encode("euc_jp"), complete=True) == "euc_jp"
    assert detect_encoding(text.encode("utf-8"), complete=True) == "utf-8"
    assert detect_encoding(text.encode("utf-8-sig"), complete=True) == "utf-8-sig"
    assert detect_encoding(text.encode("utf-16"), complete=True) == "utf-16"
    assert detect_encoding("name,value\n1,2\n".encode("utf-16-le"), complete=True) == "utf-16-le"
    with pytest.raises(IngestError, match="テキストファイルとして読めません"):
        detect_encoding(b"\x00\x01\x02\x03binary\xff\xfe\x00", complete=True)


def test_utf8_character_cut_by_the_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(decode, "PREFIX_BYTES", 1000)  # 1000 is not a multiple of 3
    path = tmp_path / "cut.csv"
    path.write_bytes(("名前,値\n" + "あいう,1\n" * 200).encode())
    with path.open("rb") as raw:
        assert sniff_encoding(raw) == "utf-8"
    assert len(list(read_table(path).rows)) == 200


def test_bad_byte_after_the_prefix_names_its_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(decode, "PREFIX_BYTES", 4096)
    path = tmp_path / "late.csv"
    path.write_bytes(("名前,値\n" + "あいう,1\n" * 19998).encode() + b"\x82\xa0,2\n" + b"x,3\n")
    table = read_table(path)  # the first 64 KB are fine
    with pytest.raises(IngestError, match="UTF-8 として読めない") as error:
        list(table.rows)
    assert error.value.line == 20000


def test_ascii_prefix_then_shift_jis(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(decode, "PREFIX_BYTES", 4096)
    path = tmp_path / "late_japanese.csv"
    body = "id,name\n" + "".join(f"{i},abc\n" for i in range(1000)) + "1000,㈱つなぐ\n"
    path.write_bytes(body.encode("cp932"))
    table = read_table(path)
    rows = list(table.rows)
    assert table.info.encoding == "cp932"
    assert rows[-1][1] == ["1000", "㈱つなぐ"]


def test_classic_mac_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes("地区,人口\r北,1\r南,2\r".encode("cp932"))
    table = read_table(path)
    assert [r for r in table.rows] == [(2, ["北", "1"]), (3, ["南", "2"])]


# --- delimiters ----------------------------------------------------------------------------


def test_delimiter_choice() -> None:
    comma = "名前,説明\nA,品目;数量\nB,x;y;z\nC,w\n"
    assert choose_delimiter(comma, None, True) == ","
    semicolon = "品目;数量;単価\nりんご;1,5;100\nみかん;2;80\nぶどう;3,25;300\n"
    assert choose_delimiter(semicolon, None, True) == ";"
    assert choose_delimiter("a\tb\n1\t2\n", None, True) == "\t"
    assert choose_delimiter("a|b|c\n1|2|3\n", None, True) == "|"
    assert choose_delimiter("a,b\n1,2\n", "TSV", True) == "\t"  # declared TSV wins
    quoted = 'a,b\n"1,2,3",x\n"4,5",y\n'
    assert choose_delimiter(quoted, None, True) == ","


def test_unclosed_quote_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('a,b\n1,"never closed\n' + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match="引用符") as error:
        list(read_table(path).rows)
    assert error.value.line == 2


# --- formats and containers ----------------------------------------------------------------


def test_content_decides_the_format(tmp_path: Path) -> None:
    path = tmp_path / "really_excel.csv"
    shutil.copy(CORPUS / "xlsx_two_sheets.xlsx", path)
    table = read_table(path, "CSV")
    assert table.info.format == "XLSX"
    assert any("内容は XLSX" in w for w in table.info.warnings)


def test_sheet_choice() -> None:
    path = CORPUS / "xlsx_two_sheets.xlsx"
    assert read_table(path, sheet="データ").info.sheet == "データ"
    with pytest.raises(IngestError, match="シート「地図」がありません（シート: 説明、データ）"):
        read_table(path, sheet="地図")
    with pytest.raises(IngestError, match="表が見つかりません"):
        read_table(path, sheet="説明")


def test_cell_limits() -> None:
    with pytest.raises(IngestError, match="上限"):
        read_table(CORPUS / "xlsx_title_rows.xlsx", max_cells=100)
    table = read_table(CORPUS / "utf8_bom_population.csv", max_cells=100)
    with pytest.raises(IngestError, match="上限"):
        list(table.rows)


def test_zip_size_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(containers, "MAX_UNCOMPRESSED", 10_000)
    with pytest.raises(IngestError, match="展開後のサイズが大きすぎます"):
        read_table(CORPUS / "xlsx_title_rows.xlsx")
    with pytest.raises(IngestError, match="展開後のサイズが大きすぎます"):
        read_table(CORPUS / "ods_population.ods")


def test_plain_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "a,b\n1,2\n")
    with pytest.raises(IngestError, match="ZIP ファイルです"):
        read_table(path)


def test_json_shapes(tmp_path: Path) -> None:
    def read(doc: object) -> tuple[list[str], list[list[object]]]:
        path = tmp_path / "doc.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        table = read_table(path)
        return table.columns, [cells for _, cells in table.rows]

    assert read({"records": [{"a": 1}, {"b": "x"}]}) == (["a", "b"], [[1, None], [None, "x"]])
    ckan = {"help": "…", "success": True, "result": {"records": [{"_id": 1, "名前": "A"}]}}
    assert read(ckan) == (["_id", "名前"], [[1, "A"]])
    assert read([["名前", "値"], ["A", 1], ["B"]]) == (["名前", "値"], [["A", 1], ["B", None]])
    assert read([{"a": [1, 2], "b": " "}]) == (["a", "b"], [["[1, 2]", None]])
    lines = tmp_path / "lines.jsonl"
    lines.write_text('{"a": 1}\n{"a": 2, "b": true}\n', encoding="utf-8")
    table = read_table(lines, "JSON")
    assert table.columns == ["a", "b"] and len(list(table.rows)) == 2
    for bad in ([], [1, 2], {"a": 1}):
        with pytest.raises(IngestError, match="JSON"):
            read(bad)


def test_json_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n{"a": 1},\n{"a": }\n]', encoding="utf-8")
    with pytest.raises(IngestError, match="JSON として読めません") as error:
        read_table(path, "JSON")
    assert error.value.line == 3
    monkeypatch.setattr(jsonfiles, "MAX_JSON_BYTES", 10)
    path.write_text('[{"a": 1}, {"a": 2}]', encoding="utf-8")
    with pytest.raises(IngestError, match="大きすぎます"):
        read_table(path, "JSON")


def test_text_starting_with_a_bracket_is_still_csv(tmp_path: Path) -> None:
    path = tmp_path / "bracket.csv"
    path.write_text("[番号],[名前]\n1,A\n", encoding="utf-8")
    table = read_table(path, "CSV")
    assert table.columns == ["[番号]", "[名前]"]
    assert table.info.format == "CSV"


# --- memory ----------------------------------------------------------------------------------


def test_large_csv_streams(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="cp932", newline="") as f:
        f.write("人口統計,,,,\n（単位：人）,,,,\n番号,地区,人口,調査日,備考\n")
        for i in range(300_000):
            f.write(
                f'{i},つなぐ市本町{i % 97}丁目,"{i * 7 % 100000:,}",2023/4/{i % 28 + 1},'
                f"{'休止中' if i % 1000 == 0 else ''}\n"
            )
        f.write(",,,,\n※出典：住民基本台帳,,,,\n")
    assert path.stat().st_size > 10_000_000
    tracemalloc.start()
    try:
        table = read_table(path)
        count = 0
        last: tuple[int, list[object]] | None = None
        for row in table.rows:
            count += 1
            last = row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 300_000
    assert last is not None and last[0] == 300_003
    assert table.info.notes == ["人口統計", "（単位：人）", "※出典：住民基本台帳"]
    assert peak < 100 * 1024 * 1024, peak


def test_one_bad_byte_in_the_prefix_is_reported_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "one_bad_byte.csv"
    lines = ["地区,人口"] + [f"本町{i}丁目,{i}" for i in range(200)]
    data = "\n".join(lines).encode("cp932").replace("本町7丁目".encode("cp932"), b"\x85\x40")
    path.write_bytes(data)
    with pytest.raises(IngestError, match="Shift_JIS として読めない") as error:
        list(read_table(path).rows)
    assert error.value.line == 9


def test_sheet_starting_below_and_right(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C4"], ws["C6"], ws["D6"], ws["C7"], ws["D7"] = "表題", "地区", "人口", "北", 12
    ws["F7"] = "x"
    path = tmp_path / "offset.xlsx"
    wb.save(path)
    table = read_table(path)
    assert table.columns == ["地区", "人口", "列6"]  # named after column F
    assert list(table.rows) == [(7, ["北", 12, "x"])]
    assert table.info.header_line == 6 and table.info.notes == ["表題"]


def test_huge_declared_sheet_is_refused_before_loading(tmp_path: Path) -> None:
    source = CORPUS / "xlsx_title_rows.xlsx"
    path = tmp_path / "claims_huge.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
            out.writestr(info, data)
    with pytest.raises(IngestError, match="上限"):
        read_table(path)


def test_password_protected_workbook(tmp_path: Path) -> None:
    path = tmp_path / "protected.xlsx"
    # What Excel writes for a password-protected workbook: an OLE container, not a zip.
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000) + "EncryptedPackage".encode("utf-16-le")
    )
    with pytest.raises(IngestError, match="パスワードで保護"):
        read_table(path, "XLSX")
