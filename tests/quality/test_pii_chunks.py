"""The scan's chunked fast path (table_scan.TableScan.chunk) reports exactly what a cell-by-cell
look does: findings at the edges of a chunk, cells straddling the reader's buffers, full-width
digits and dashes, Shift_JIS files, NUL characters and spreadsheet values in a column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tsunagu.datastore.ingest.decode import CHUNK_BYTES
from tsunagu.quality.pii import PiiResult, scan_file, scan_rows
from tsunagu.quality.pii.columns import SAMPLE_ROWS
from tsunagu.quality.pii.mynumber import check_digit
from tsunagu.quality.pii.scan import chunk_rows

# The 0-based data rows that end a chunk: the sample, then chunk_rows(width) at a time.
SAMPLE_END = SAMPLE_ROWS - 1


def first_chunk_end(width: int) -> int:
    return SAMPLE_ROWS + chunk_rows(width) - 1


def found(result: PiiResult) -> list[tuple[str, int, str]]:
    """Every finding in report order (the order decides which ones the cap keeps)."""
    return [(f.rule, f.row or 0, f.column or "") for f in result.report.findings]


def landline(i: int) -> str:
    return f"0834-{i % 90 + 10}-{i % 9000 + 1000}"


def my_number(first_eleven: str) -> str:
    return first_eleven + str(check_digit(first_eleven))


def test_findings_on_both_sides_of_every_chunk_edge_and_in_the_last_row() -> None:
    end = first_chunk_end(3)
    count = end + chunk_rows(3) + 50
    mobile_at = {0, SAMPLE_END, SAMPLE_END + 1, end, end + 1, end + chunk_rows(3), count - 1}
    data = [
        (
            i + 2,
            [f"集会所{i}", f"090-1111-{i % 10000:04d}" if i in mobile_at else landline(i), None],
        )
        for i in range(count)
    ]
    result = scan_rows(["施設名", "電話番号", "備考"], data, cap_per_rule=100)
    assert result.rows == count and result.scanned and not result.blocked
    assert found(result) == [
        ("pii.facility_mobile_phone", i + 2, "電話番号") for i in sorted(mobile_at)
    ]


def test_my_number_and_free_mail_beside_facility_landlines() -> None:
    # Only a mobile could be reported in the phone column; a free-mail address and a 個人番号 in
    # remarks of rows of plain landlines are still found, in row and column order.
    number = my_number("98320567321")
    data = [(i + 2, [f"公民館{i}", landline(i), ""]) for i in range(SAMPLE_ROWS + 20)]
    data[SAMPLE_END + 3][1][2] = f"管理人 {number}"
    data[SAMPLE_END + 3][1][1] = "0834 (92) 3897"
    data[SAMPLE_END + 5][1][2] = "連絡は kanri.taro@gmail.com へ"
    result = scan_rows(["施設名", "電話番号", "備考"], data)
    assert found(result) == [
        ("pii.my_number", SAMPLE_END + 5, "備考"),
        ("pii.email", SAMPLE_END + 7, "備考"),  # not a facility contact column
    ]
    assert result.report.findings[0].value == f"{number[:4]} **** {number[8:]}"


def test_full_width_digits_and_dashes_in_every_kind_of_column() -> None:
    wide = str.maketrans("0123456789-", "０１２３４５６７８９ー")
    number = my_number("12345678901")
    rows_ = [
        ["山田 太郎", "０４２２－１１－２２２２", "備考なし"],
        ["佐藤 花子", "03-1111-2222", "０９０ー１２３４ー５６７８"],
        ["鈴木 一郎", "", number.translate(wide)],
        ["高橋 次郎", "", "ｙａｍａ＠ｙａｈｏｏ．ｃｏ．ｊｐ"],
    ]
    data = [(i + 2, list(r)) for i, r in enumerate(rows_)]
    # Enough rows that the full-width ones are not all in the sample chunk.
    filler = [(len(data) + i + 2, ["", "", "特になし"]) for i in range(first_chunk_end(3) + 1)]
    late = (len(data) + len(filler) + 2, ["田中 三郎", "０９０ー９８７６ー５４３２", ""])
    result = scan_rows(["氏名", "自宅電話", "備考"], [*data, *filler, late])
    assert found(result) == [
        ("pii.person_column", 2, "氏名"),
        ("pii.personal_phone", 2, "自宅電話"),
        ("pii.person_column", 3, "氏名"),
        ("pii.personal_phone", 3, "自宅電話"),
        ("pii.mobile_phone", 3, "備考"),
        ("pii.person_column", 4, "氏名"),
        ("pii.my_number", 4, "備考"),
        ("pii.person_column", 5, "氏名"),
        ("pii.email", 5, "備考"),
        ("pii.person_column", late[0], "氏名"),
        ("pii.mobile_phone", late[0], "自宅電話"),
    ]


def test_international_form_of_a_mobile_among_landlines() -> None:
    data = [(i + 2, [f"メモ{i}", landline(i)]) for i in range(SAMPLE_ROWS + 10)]
    data[-1][1][1] = "+81 90-1234-5678"
    data[-2][1][1] = "+81 834-92-3897"  # a landline in the same form: not reported
    data[-3][1][1] = "+81 (0)80 1234 5678"
    result = scan_rows(["メモ", "電話番号"], data)
    assert found(result) == [
        ("pii.mobile_phone", data[-3][0], "電話番号"),
        ("pii.mobile_phone", data[-1][0], "電話番号"),
    ]
    assert [f.value for f in result.report.findings] == ["080-****-5678", "090-****-5678"]


def test_a_nul_inside_a_cell_is_still_scanned_cell_by_cell() -> None:
    data = [(i + 2, [f"店{i}", landline(i), "なし"]) for i in range(SAMPLE_ROWS + 5)]
    data[-2][1][2] = "携帯\x00090-1234-5678"
    data[-1][1][2] = "\x00" * 3
    result = scan_rows(["名称", "電話番号", "備考"], data)
    assert found(result) == [("pii.mobile_phone", data[-2][0], "備考")]


def test_spreadsheet_values_mixed_into_a_column_across_chunks() -> None:
    values: list[object] = [None, 9012345678, "", 3.5, dt.date(2024, 4, 1), True, "03-1111-2222"]
    data = [(i + 2, [values[i % len(values)]]) for i in range(first_chunk_end(1) + 10)]
    result = scan_rows(["携帯電話"], data, cap_per_rule=10_000)
    mobiles = [line for line, cells in data if cells[0] == 9012345678]
    landlines = [line for line, cells in data if cells[0] == "03-1111-2222"]
    assert result.report.counts == {
        "pii.mobile_phone": len(mobiles),
        "pii.personal_phone": len(landlines),
    }
    assert [f.row for f in result.report.findings] == sorted(mobiles + landlines)


def test_shift_jis_file_with_a_cell_across_the_decoder_buffer_and_a_multiline_cell(
    tmp_path: Path,
) -> None:
    header = "番号,施設名,所在地,電話番号,備考\r\n"
    lines = [header]
    size = len(header.encode("cp932"))
    i = 0
    # Fill the file up to just before the reader's first buffer ends, then put a full-width
    # mobile number across that boundary (two bytes a character in Shift_JIS).
    while True:
        line = f"{i + 1},集会所{i},周南市徳山１８６−{i % 99},{landline(i)},\r\n"
        if size + len(line.encode("cp932")) > CHUNK_BYTES - 100:
            break
        lines.append(line)
        size += len(line.encode("cp932"))
        i += 1
    head, tail = f"{i + 1},集会所{i},", f",{landline(i)},管理人 "
    pad = "あ" * ((CHUNK_BYTES - 10 - size - len((head + tail).encode("cp932"))) // 2)
    straddling = f"{head}{pad}{tail}０９０－１２３４－５６７８\r\n"
    start = size + len(f"{head}{pad}{tail}".encode("cp932"))
    assert start < CHUNK_BYTES < start + 26  # 13 characters of two bytes
    lines.append(straddling)
    straddling_line = len(lines)
    i += 1
    # A quoted remark over two lines, with a mobile number on its second line, at the edge of
    # the scan's first chunk; every later row starts one line further down.
    while len(lines) - 1 < first_chunk_end(5):
        lines.append(f"{i + 1},集会所{i},周南市{i},{landline(i)},\r\n")
        i += 1
    lines.append(f'{i + 1},集会所{i},周南市{i},{landline(i)},"鍵の管理\r\n080-2222-3333"\r\n')
    quoted_line = len(lines)
    i += 1
    for _ in range(30):
        lines.append(f"{i + 1},集会所{i},周南市{i},{landline(i)},\r\n")
        i += 1
    lines.append(f"{i + 1},集会所{i},周南市{i},070-4444-5555,\r\n")
    last_line = len(lines) + 1  # the quoted remark took two lines
    path = tmp_path / "facilities.csv"
    path.write_bytes("".join(lines).encode("cp932"))

    result = scan_file(path, "CSV")
    assert result.scanned and result.rows == len(lines) - 1
    assert found(result) == [
        ("pii.mobile_phone", straddling_line, "備考"),
        ("pii.mobile_phone", quoted_line, "備考"),
        ("pii.facility_mobile_phone", last_line, "電話番号"),
    ]
    assert result.report.findings[0].value == "090-****-5678"


def test_only_free_mail_is_looked_at_in_a_facility_mail_column() -> None:
    end = first_chunk_end(3)
    count = end + 5
    data = [
        (i + 2, [f"児童館{i}", landline(i), f"jidokan{i}@city.shunan.lg.jp"]) for i in range(count)
    ]
    data[SAMPLE_END][1][2] = "ＫＡＮＲＩ＠ＧＭＡＩＬ．ＣＯＭ"  # full-width and upper case
    data[end + 1][1][2] = "info@example.co.jp; sub@mail.ocn.ne.jp"
    data[-1][1][2] = "Info@Example.CO.JP"  # an organisation's own domain: passes
    result = scan_rows(["施設名", "電話番号", "メールアドレス"], data)
    assert found(result) == [
        ("pii.facility_personal_email", SAMPLE_END + 2, "メールアドレス"),
        ("pii.facility_personal_email", end + 3, "メールアドレス"),
    ]
    assert [f.value for f in result.report.findings] == ["KA***@GMAIL.COM", "s***@mail.ocn.ne.jp"]


def test_every_address_counts_in_a_table_of_people() -> None:
    data = [(i + 2, ["", "", ""]) for i in range(SAMPLE_ROWS + 10)]
    data[0][1][:] = ["山田 太郎", "子ども会", "kodomokai@example.jp"]
    data[-1][1][:] = ["佐藤 花子", "町内会", "sato@example.jp"]
    data[-2][1][:] = ["", "自治会", "jichikai@example.jp"]  # no person in the row: passes
    result = scan_rows(["氏名", "所属", "連絡先メール"], data)
    assert found(result) == [
        ("pii.person_column", 2, "氏名"),
        ("pii.email", 2, "連絡先メール"),
        ("pii.person_column", data[-1][0], "氏名"),
        ("pii.email", data[-1][0], "連絡先メール"),
    ]
