"""Generate the auto-fix test inputs (deterministic; run from anywhere).

    .venv/bin/python tests/data/quality/autofix/make_inputs.py

Each file is small and shows the habits auto-fix must undo, the way municipal tables are written.
tests/quality/test_autofix.py holds the exact output expected from each.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def write_text(name: str, text: str, encoding: str) -> None:
    # newline="" so the CRLF / LF written in `text` are kept as they are.
    with (HERE / name).open("w", encoding=encoding, newline="") as f:
        f.write(text)


def sjis_shelters() -> None:
    """Shift_JIS, a title and a unit row above the header, notes below; 和暦 in kanji and
    R2.4.1 forms, full-width digits with separators, △, placeholders, 機種依存文字, half-width
    katakana, a full-width phone number with 「ー」, a formula and stray spaces."""
    rows = [
        "令和5年度　避難所一覧,,,,,",
        "単位：人,,,,,",
        "名称,開設日,収容人数,電話番号,備考,ＦＡＸ",
        '第一小学校　,令和2年4月1日,"１，２３４",０３ー１２３４ー５６７８,①体育館,03-1234-0000',
        "ｶﾀｶﾅ会館,R2.4.1,△12,03-1111-2222,－,",
        '㈱センター,未定,－,,=HYPERLINK("http://example.jp"),…',
        ' 市民ホール,平成31年4月30日,"2,000",０３（１１１１）２２２２,Ｗｉ－Ｆｉあり,－',
        "※収容人数は目安です。,,,,,",
        "※令和5年4月1日現在,,,,,",
    ]
    write_text("sjis_shelters.csv", "\r\n".join(rows) + "\r\n", "cp932")


def wareki_dates() -> None:
    """UTF-8 without BOM, LF: every spelling of dates, times and months, one undated value."""
    rows = [
        "行事,日付,開始,日時,年月",
        "春祭り,令和元年5月1日,9時30分,令和2年4月1日 9時30分,令和2年4月",
        "夏祭り,H31.4.30,午後1時,2020/4/1 13:00,2020/04",
        "秋祭り,R02/04/01,10:00,2020-04-01 10:00:00,R2.4",
        "冬祭り,平成31年4月30日（火）,9:00,20200401,2020年4月",
        "新年会,2020/4/1,午前9時,2020年4月1日 9時,令和2年5月",
        "花火,㍻31年4月30日,9時半,未定,2020-05",
        "盆踊り,未定,,,",
    ]
    write_text("wareki_dates.csv", "\n".join(rows) + "\n", "utf-8")


def numbers_units() -> None:
    """UTF-8 with BOM: numbers with units, currency, percent, △ / ▲, full-width digits,
    statistical placeholders (x, 不明, －) and one value that is not a number."""
    rows = [
        "地区,人口,予算,割合,増減,面積",
        '本町,"1,234人","¥1,000",12.5%,▲5,１２．５',
        "栄町,980人,￥250,7%,△３,8",
        "緑町,不明,x,－,+4,０.５",
        '若葉台,約100人,"¥12,000",0.5%,0,…',
        '旭町,"２，０００人",¥0,100%,-2,3.',
    ]
    write_text("numbers_units.csv", "\r\n".join(rows) + "\r\n", "utf-8-sig")


def platform_chars() -> None:
    """TSV in UTF-8: 機種依存文字, full-width letters and digits among Japanese punctuation that
    must stay, a zero-padded code column, a placeholder in a text column."""
    rows = [
        "施設ID\t施設名\t設備\t利用時間\t所在地",
        "０００１\t㈱つなぐ商事\tⅢ号館・①会議室\t１０：００～１７：００\t本町１丁目２－３",
        "０００２\t（株）山田\t℡あり\t9:00～17:00\tＡＢＣビル３Ｆ",
        "0003\tｶﾌｪ　ﾐﾄﾞﾘ\t広さ２０㎡\t－\t栄町",
        "０００４\t㍿サンプル\tＷｉ－Ｆｉ\t終日\tメール：ｉｎｆｏ＠ｅｘａｍｐｌｅ．ｊｐ",
    ]
    write_text("platform_chars.tsv", "\n".join(rows) + "\n", "utf-8")


def eucjp_codes() -> None:
    """EUC-JP: code columns (郵便番号, 全国地方公共団体コード, 法人番号) in full-width and with
    dash look-alikes (EUC-JP spells 「－」 as U+2212), and a number column named 番号 that stays a number."""
    rows = [
        "番号,団体コード,郵便番号,法人番号,名称",
        "1,０１２０２５,〒０４０−８６６６,１００００２０４０５１０１,函館市",
        "2,012025,040ー8666,1000020405101,函館市　",
        "3,０１２０２５,０４０‐８６６６,,函館市",
    ]
    write_text("eucjp_codes.csv", "\r\n".join(rows) + "\r\n", "euc_jp")


def evacuation_near_miss() -> None:
    """A 03 指定緊急避難場所 file with near-miss column names, an unknown column, and a second
    phone column whose standard name another column already has exactly."""
    rows = [
        "全国地方公共団体コード,ＩＤ,名称,名称（カナ）,所在地_連結表記,緯度(世界測地系),"
        "経度（世界測地系）,電話番号（代表）,電話番号,郵便番号,想定収容人数,独自メモ",
        "０１２０２５,E0120250001,第一小学校,ダイイチショウガッコウ,北海道函館市本町１－１,"
        '４１．７６８７,140.7288,0138-21-0000,０１３８－２１－３１１１,０４０－８６６６,"１，２００",',
        "012025,E0120250002,第二中学校,ﾀﾞｲﾆﾁｭｳｶﾞｯｺｳ,北海道函館市栄町２－２,"
        "41.7701,１４０．７３１２,,0138-21-3112,040-8667,850人,屋上あり",
    ]
    write_text("evacuation_near_miss.csv", "\r\n".join(rows) + "\r\n", "utf-8-sig")


def clean_utf8() -> None:
    """Already conforming: nothing to change."""
    rows = [
        "名称,開設日,収容人数,電話番号,緯度,経度",
        "第一小学校,2020-04-01,1234,03-1234-5678,35.6812,139.7671",
        '"市民ホール, 別館",2021-10-01,-12,,35.6800,139.7600',
        '"名前に""引用符""",2022-01-31,0,0120-000-000,,',
    ]
    write_text("clean_utf8.csv", "\r\n".join(rows) + "\r\n", "utf-8-sig")


def merged_header_xlsx() -> None:
    """XLSX: a merged title, a two-row header with merged cells (人口 over 男/女), typed dates
    and numbers, a text cell with full-width digits and a 機種依存文字, a 和暦 text date."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "地区別人口"
    ws["A1"] = "地区別人口（令和5年3月末）"
    ws.merge_cells("A1:E1")
    ws["A3"], ws["B3"], ws["D3"], ws["E3"] = "地区", "人口", "調査日", "備考"
    ws["B4"], ws["C4"] = "男", "女"
    for merged in ("A3:A4", "B3:C3", "D3:D4", "E3:E4"):
        ws.merge_cells(merged)
    data = [
        ["本町", 1200, 1300.0, dt.date(2023, 3, 31), "①地区"],
        ["栄町", 800, 850, dt.datetime(2023, 3, 31), "ＡＢ棟"],
        ["緑町", 10, 12, "令和5年3月31日", None],
    ]
    for r, row in enumerate(data, start=5):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy/m/d"
    ws["A9"] = "※出典: 住民基本台帳"
    path = HERE / "merged_header.xlsx"
    wb.save(path)
    _normalize_zip(path)


def _normalize_zip(path: Path) -> None:
    """Fixed member times and order, so the generator writes the same bytes every run."""
    with zipfile.ZipFile(path) as src:
        members = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members:
            if name == "docProps/core.xml":
                data = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + (
                    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
                    b'2006/metadata/core-properties"/>'
                )
            out.writestr(zipfile.ZipInfo(name, FIXED_ZIP_TIME), data)


def main() -> None:
    sjis_shelters()
    wareki_dates()
    numbers_units()
    platform_chars()
    eucjp_codes()
    evacuation_near_miss()
    clean_utf8()
    merged_header_xlsx()


if __name__ == "__main__":
    main()
