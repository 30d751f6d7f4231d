"""Writes the validation corpus next to this file: `.venv/bin/python make_corpus.py`.

Small files of the Digital Agency standard datasets (conforming and broken) and one or more
files per rule family. What each file must produce is in manifest.json, written by hand.
Conforming rows are built from the standards' own field lists, so a changed standard shows up
as a changed file here.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from tsunagu.quality.standards import get_standard

HERE = Path(__file__).parent
CITY = "132012"  # 八王子市

_BY_NAME = {
    "全国地方公共団体コード": CITY,
    "所在地_全国地方公共団体コード": CITY,
    "市区町村コード": CITY,
    "地方公共団体名": "八王子市",
    "所在地_連結表記": "東京都八王子市元本郷町三丁目24番1号",
    "所在地_都道府県": "東京都",
    "所在地_市区町村": "八王子市",
    "所在地_町字": "元本郷町三丁目",
    "所在地_番地以下": "24番1号",
    "緯度": "35.666",
    "経度": "139.316",
    "電話番号": "042-626-3111",
    "連絡先電話番号": "042-626-3111",
    "郵便番号": "192-8501",
    "連絡先メールアドレス": "info@example.jp",
    "URL": "https://www.example.jp/",
    "小児対応設備の有無": "有",
    "法人番号": "8000020132012",
    "開始時間": "09:00",
    "終了時間": "17:00",
    "設置位置": "1階正面玄関",
    "地域名": "元本郷町",
    "調査年月日": "2024-04-01",
}


def conforming(standard_id: str, n: int) -> list[dict[str, str]]:
    rows = []
    for i in range(1, n + 1):
        row: dict[str, str] = {}
        for f in get_standard(standard_id).fields:
            if f.name in _BY_NAME:
                value = _BY_NAME[f.name]
            elif f.name == "ID":
                value = f"{i:04d}"
            elif f.enum:
                value = f.enum[0]
            elif f.type == "integer":
                value = str(100 * i)
            elif f.type == "number":
                value = "12.5"
            elif f.type == "date":
                value = f"2024-04-{i:02d}"
            elif f.type == "time":
                value = "10:00"
            elif f.required or f.name in ("名称", "イベント名", "名称_カナ"):
                value = f"{f.name}{i}"
            else:
                value = ""
            row[f.name] = value
        rows.append(row)
    return rows


def header(standard_id: str) -> list[str]:
    return [f.name for f in get_standard(standard_id).fields]


def write_csv(name: str, rows: list[list[Any]], encoding: str = "utf-8") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    (HERE / name).write_bytes(buffer.getvalue().encode(encoding))


def table(
    standard_id: str, rows: list[dict[str, str]], names: list[str] | None = None
) -> list[list[Any]]:
    names = names or header(standard_id)
    return [names, *([row.get(n, "") for n in names] for row in rows)]


def write_xlsx(name: str, rows: list[list[Any]], merges: tuple[str, ...] = ()) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "データ"
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    book.save(HERE / name)


def standard_files() -> None:
    # 03 指定緊急避難場所
    write_csv("03_evacuation_ok.csv", table("evacuation_space", conforming("evacuation_space", 3)))
    rows = conforming("evacuation_space", 5)
    rows[0]["全国地方公共団体コード"] = "132011"  # line 2: wrong check digit
    rows[1]["名称"] = ""  # line 3: required value missing
    rows[2]["想定収容人数"] = "1,200人"  # line 4: separator and unit
    rows[3]["災害種別_洪水"] = "○"  # line 5: not in the enum
    names = header("evacuation_space")
    names[names.index("名称_カナ")] = "名称（カナ）"
    for row in rows:
        row["名称（カナ）"] = row.pop("名称_カナ")
    write_csv("03_evacuation_broken.csv", table("evacuation_space", rows, names))
    write_csv(
        "03_evacuation_guess.csv", table("evacuation_space", conforming("evacuation_space", 2))
    )

    # 08 AED, the broken one in Shift_JIS as Excel saves it
    write_csv("08_aed_ok.csv", table("aed", conforming("aed", 3)))
    rows = conforming("aed", 5)
    rows[0]["開始時間"] = "9時"  # line 2: not a time
    rows[1]["小児対応設備の有無"] = "あり"  # line 3: enum
    rows[2]["電話番号"] = "042(626)3111"  # line 4: pattern
    rows[3]["設置位置"] = ""  # line 5: required
    rows[4]["緯度"], rows[4]["経度"] = "139.316", "35.666"  # line 6: swapped
    write_csv("08_aed_broken.csv", table("aed", rows), encoding="cp932")

    # 01 公共施設 as Excel workbooks
    write_xlsx(
        "01_public_facility_ok.xlsx", table("public_facility", conforming("public_facility", 3))
    )
    rows = conforming("public_facility", 3)
    rows[1]["郵便番号"] = "1928501-1"  # row 4 (title above): pattern
    rows[2]["緯度"], rows[2]["経度"] = "34.6937", "135.5023"  # row 5: 大阪市, outside 八王子市
    names = [n for n in header("public_facility") if n != "所在地_連結表記"]
    write_xlsx(
        "01_public_facility_broken.xlsx",
        [["八王子市 公共施設一覧（令和6年4月1日現在）"], *table("public_facility", rows, names)],
    )

    # 11 観光施設
    write_csv("11_tourism_ok.csv", table("tourism", conforming("tourism", 3)))
    rows = conforming("tourism", 4)
    rows[0]["名称"] = "①高尾山"  # line 2: 機種依存文字
    rows[1]["連絡先電話番号"] = "０４２－６２６－３１１１"  # line 3: full-width digits
    rows[3] = dict(rows[2])  # line 5 repeats line 4
    names = header("tourism")
    lat, lon = names.index("緯度"), names.index("経度")
    names[lat], names[lon] = names[lon], names[lat]  # 経度 before 緯度
    names.append("おすすめ度")
    write_csv("11_tourism_broken.csv", table("tourism", rows, names))

    # 12 イベント
    write_csv("12_event_ok.csv", table("event", conforming("event", 3)))
    rows = conforming("event", 5)
    rows[0]["開始日"] = "令和6年4月1日"  # line 2: 和暦
    rows[1]["終了日"] = "2024/4/30"  # line 3: not ISO 8601
    rows[2]["定員"] = "約100"  # line 4: not an integer
    rows[3]["イベント名"] = "－"  # line 5: placeholder in a required column
    rows[4]["説明"] = "午前の部\n午後の部"  # line 6 (two physical lines): line break
    rows[4]["ID"] = rows[0]["ID"]  # line 6: duplicated ID
    write_csv("12_event_broken.csv", table("event", rows))

    # 04 地域・年齢別人口
    write_csv("04_population_ok.csv", table("population", conforming("population", 3)))
    rows = conforming("population", 6)
    rows[0]["総人口"] = "12,345"  # line 2: separator
    rows[1]["男性"] = "１２３"  # line 3: full-width digits in a number column
    rows[2]["全国地方公共団体コード"] = "13201"  # line 4: no check digit
    rows[3]["全国地方公共団体コード"] = "131016"  # line 5: 千代田区, not the publisher
    rows[4]["調査年月日"] = "R6.4.1"  # line 6: 和暦
    rows[5]["0-4歳の男性"] = "-"  # line 7: placeholder
    write_csv("04_population_broken.csv", table("population", rows))


def family_files() -> None:
    plain = [["施設名", "住所", "定員"], ["中央図書館", "八王子市元本郷町1-1", "120"],
             ["南図書館", "八王子市南町2-2", "80"], ["北図書館", "八王子市北町3-3", "60"]]  # fmt: skip
    write_csv("clean_plain.csv", plain)
    write_csv("file_shift_jis.csv", plain, encoding="cp932")
    write_csv("file_euc_jp.csv", plain, encoding="euc_jp")
    mojibake = [
        plain[0],
        ["荳ｭ螟ｮ蝗ｳ譖ｸ鬢ｨ", "八王子市", "120"],
        ["南図書館", "八王子\ufffd", "80"],
        plain[3],
    ]
    write_csv("file_mojibake.csv", mojibake)
    (HERE / "file_binary.csv").write_bytes(bytes(range(256)) * 64)
    (HERE / "file_empty.csv").write_bytes(b"")
    with zipfile.ZipFile(HERE / "file_zip_bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(64):
                member.write(b"\0" * (1 << 20))

    write_csv("layout_title_notes.csv", [
        ["八王子市 図書館一覧"], ["", "", "単位：人"], ["施設名", "住所", "定員"], ["", "", "人"],
        ["中央図書館", "八王子市元本郷町1-1", "120"], ["南図書館", "八王子市南町2-2", "80"],
        ["北図書館", "八王子市北町3-3", "60"], ["※出典：八王子市統計書"],
    ])  # fmt: skip
    write_xlsx("layout_multi_header.xlsx", [
        ["地区", "人口", None, "世帯数"], [None, "男", "女", None],
        ["元本郷町", 120, 130, 100], ["南町", 80, 90, 70], ["北町", 60, 50, 40],
    ], merges=("B1:C1", "A1:A2", "D1:D2"))  # fmt: skip
    write_csv("layout_columns.csv", [
        ["施設名", "", "住所", "住所"], ["中央図書館", "A", "八王子市元本郷町1-1", "元本郷町"],
        ["南図書館", "B", "八王子市南町2-2", "南町"], ["北図書館", "C", "八王子市北町3-3", "北町"],
    ])  # fmt: skip
    write_csv("layout_ragged_blank.csv", [
        ["施設名", "住所", "定員"], ["中央図書館", "八王子市元本郷町1-1", "120"], ["", "", ""],
        ["南図書館", "八王子市南町2-2"], ["北図書館", "八王子市北町3-3", "60"], ["東図書館", "東町", "50"],
    ])  # fmt: skip
    write_csv("cells_chars.csv", [
        ["施設名", "カナ", "電話番号", "備考"],
        ["㈱八王子会館", "ハチオウジ", "042-626-3111", "駐車場あり"],
        ["中央図書館", "ﾁｭｳｵｳ", "042-626-3112", "駐車場なし"],
        ["南図書館", "ミナミ", "０４２-６２６-３１１３", " 駐輪場あり"],
        ["北図書館", "キタ", "042-626-3114", "月曜休館\t祝日開館"],
        ["東図書館", "ヒガシ", "042-626-3115", "第1駐車場\n第2駐車場"],
    ])  # fmt: skip
    write_csv("cells_dates_numbers.csv", [
        ["施設名", "開設日", "面積", "備考"],
        ["中央図書館", "令和2年4月1日", "1200.5", "改修済"],
        ["南図書館", "2019/4/1", "1,500", "改修済"],
        ["北図書館", "2018-04-01", "△30", "該当なし"],
        ["東図書館", "H30.4.1", "800", "改修済"],
        ["西図書館", "2017-04-01", "900㎡", "改修済"],
    ])  # fmt: skip
    write_csv("codes.csv", [
        ["全国地方公共団体コード", "施設名", "所在地_全国地方公共団体コード"],
        [CITY, "中央図書館", "132011"], [CITY, "南図書館", "13201"],
        [CITY, "北図書館", "131016"], ["13201x", "東図書館", CITY],
    ])  # fmt: skip
    write_csv("geo.csv", [
        ["施設名", "緯度", "経度"], ["中央図書館", "35.666", "139.316"],
        ["南図書館", "139.316", "35.666"], ["北図書館", "51.5", "-0.12"],
        ["東図書館", "34.6937", "135.5023"], ["西図書館", "35度40分", "139.316"],
    ])  # fmt: skip
    write_csv("rows.csv", [
        ["ID", "施設名", "住所"], ["1", "中央図書館", "元本郷町"], ["2", "南図書館", "南町"],
        ["1", "中央図書館", "元本郷町"], ["2", "北図書館", "北町"], ["3", "東図書館", "東町"],
    ])  # fmt: skip
    write_csv("malicious.csv", [
        ["施設名", "リンク", "備考"],
        ["中央図書館", '=HYPERLINK("http://evil.example/","click")', "x" * 10_000],
        ["南図書館", "@SUM(1+1)", "ベル\x07文字"],
        ["北図書館", "+cmd|' /C calc'!A0", "普通の備考"],
        ["東図書館", "-2+3", "普通の備考"],
    ])  # fmt: skip
    write_xlsx("malicious.xlsx", [
        ["施設名", "計算", "備考"], ["中央図書館", "=1+1", "y" * 10_000], ["南図書館", "=A2&A3", "普通"],
        ["北図書館", 3, "普通"],
    ])  # fmt: skip


if __name__ == "__main__":
    standard_files()
    family_files()
