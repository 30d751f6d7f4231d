"""Generate the datastore ingest corpus and its manifest (deterministic; run from anywhere).

    .venv/bin/python tests/data/datastore/make_corpus.py

Each file resembles what Japanese municipalities publish, one trait at a time and combined.
manifest.json says, for each file, what a careful human expects: format, encoding, columns
after flattening, column types (ColumnType names), row count, sample cells and notes, or the
error for files that cannot be read. In samples, "row" is the 0-based data row, "line" its
1-based source line, "raw" the cell as the reader returns it (JSON: dates as ISO text) and
"value" the cell after type inference and normalisation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import struct
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl

HERE = Path(__file__).resolve().parent
FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
MANIFEST: list[dict[str, Any]] = []

TOWNS = [
    "本町一丁目",
    "本町二丁目",
    "本町三丁目",
    "栄町",
    "緑町",
    "若葉台",
    "桜ケ丘",
    "旭町",
    "中央一丁目",
    "中央二丁目",
    "港町",
    "山の手",
    "北浜町",
    "南浜町",
    "東雲町",
    "西野",
    "川原町",
    "新川",
    "朝日町",
    "日の出町",
    "宮前",
    "柳町",
    "松風町",
    "青葉",
    "元町",
    "末広町",
    "大手町",
    "湯川町",
    "亀田町",
    "美原",
]
WIDE = str.maketrans(
    "0123456789,.-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "０１２３４５６７８９，．－ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
)


# --- helpers -----------------------------------------------------------------------------


class Table:
    """Rows of a file with the positions of its data rows (to compute sample lines)."""

    def __init__(self) -> None:
        self.rows: list[list[Any]] = []
        self.data_pos: list[int] = []

    def line(self, *cells: Any) -> None:
        self.rows.append(list(cells))

    def data(self, *cells: Any) -> None:
        self.data_pos.append(len(self.rows))
        self.rows.append(list(cells))


def render_csv(
    table: Table, *, delimiter: str = ",", newline: str = "\r\n"
) -> tuple[str, list[int]]:
    """CSV text and the 1-based line each row starts on."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    starts = []
    for row in table.rows:
        starts.append(buf.getvalue().count("\n") + 1)
        writer.writerow(["" if c is None else c for c in row])
    return buf.getvalue(), starts


def sample(row: int, column: str, raw: Any, value: Any, line: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"row": row, "column": column, "raw": _json(raw), "value": value}
    if line is not None:
        out["line"] = line
    return out


def _json(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return value


def entry(file: str, description: str, **spec: Any) -> None:
    base = {
        "file": file,
        "description": description,
        "declared_format": None,
        "format": None,
        "encoding": None,
        "delimiter": None,
        "sheet": None,
        "sheets": [],
        "header_line": 1,
        "columns": [],
        "types": {},
        "row_count": 0,
        "samples": [],
        "notes": [],
        "warnings": [],
        "error": None,
    }
    unknown = set(spec) - set(base)
    assert not unknown, unknown
    base.update(spec)
    if base["columns"]:
        assert list(base["types"]) == base["columns"], file
    for s in base["samples"]:
        if base["types"][s["column"]] == "text" and isinstance(s["value"], str):
            s["value"] = halfwidth(s["value"])
    MANIFEST.append(base)


def write_csv(
    name: str, table: Table, *, encoding: str, delimiter: str = ",", newline: str = "\r\n"
) -> list[int]:
    text, starts = render_csv(table, delimiter=delimiter, newline=newline)
    (HERE / name).write_bytes(text.encode(encoding))
    return [starts[p] for p in table.data_pos]


def normalize_zip(path: Path) -> None:
    """Fixed timestamps inside and on the zip, so regenerating gives identical bytes."""
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as out:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>2024-01-01T00:00:00Z",
                    data,
                )
            fixed = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            out.writestr(fixed, data)


def save_workbook(wb: openpyxl.Workbook, name: str) -> Path:
    path = HERE / name
    wb.save(path)
    normalize_zip(path)
    return path


_HALFWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def halfwidth(text: str) -> str:
    """Text as inference should normalise it: full-width ASCII forms (Ａ, １, （, ：, ～) and the
    ideographic space made half-width, surrounding spaces removed; ㈱, ① and kana unchanged."""
    return text.translate(_HALFWIDTH).strip()


def types(**kinds: str) -> dict[str, str]:
    return kinds


def wide(text: str) -> str:
    return text.translate(WIDE)


def wareki(d: dt.date) -> str:
    if d >= dt.date(2019, 5, 1):
        year = d.year - 2018
        return f"令和{'元' if year == 1 else year}年{d.month}月{d.day}日"
    return f"平成{d.year - 1988}年{d.month}月{d.day}日"


def wareki_short(d: dt.date) -> str:
    if d >= dt.date(2019, 5, 1):
        return f"R{d.year - 2018}.{d.month}.{d.day}"
    return f"H{d.year - 1988}.{d.month}.{d.day}"


def sankaku(n: int) -> str:
    """Japanese accounting style: △ for negative numbers, thousands separators."""
    return f"△{-n:,}" if n < 0 else f"{n:,}"


def day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days))


def phone(rng: random.Random) -> str:
    return f"0138-{rng.randrange(20, 99)}-{rng.randrange(1000, 9999)}"


# --- delimited text ----------------------------------------------------------------------


def utf8_bom_population() -> None:
    rng = random.Random(1)
    t = Table()
    cols = ["町丁目コード", "町丁目名", "世帯数", "男", "女", "計"]
    t.line(*cols)
    data = []
    for i in range(40):
        men, women = rng.randrange(200, 3000), rng.randrange(200, 3000)
        row = [
            f"{1 + i // 10:03d}{1 + i % 10:03d}",
            TOWNS[i % 30] + ("" if i < 30 else "北"),
            str(rng.randrange(300, 3000)),
            str(men),
            str(women),
            str(men + women),
        ]
        data.append(row)
        t.data(*row)
    lines = write_csv("utf8_bom_population.csv", t, encoding="utf-8-sig")
    entry(
        "utf8_bom_population.csv",
        "UTF-8 (BOM), CRLF: population by 町丁目; codes with leading zeros",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8-sig",
        delimiter=",",
        columns=cols,
        types=types(
            町丁目コード="text", 町丁目名="text", 世帯数="int", 男="int", 女="int", 計="int"
        ),
        row_count=40,
        samples=[
            sample(0, "町丁目コード", "001001", "001001", lines[0]),
            sample(5, "計", data[5][5], int(data[5][5]), lines[5]),
            sample(39, "町丁目名", data[39][1], data[39][1], lines[39]),
        ],
    )


def utf8_facilities() -> None:
    rng = random.Random(2)
    t = Table()
    cols = ["No", "施設名", "住所", "郵便番号", "電話番号", "緯度", "経度", "開設日", "駐車場"]
    t.line(*cols)
    data = []
    kinds = ["公民館", "図書館", "体育館", "児童館", "コミュニティセンター"]
    for i in range(30):
        lat, lon = round(41.75 + rng.random() * 0.1, 6), round(140.70 + rng.random() * 0.1, 6)
        opened = day(rng, dt.date(1970, 1, 1), dt.date(2022, 12, 31))
        row = [
            str(i + 1),
            f"{TOWNS[i]}{kinds[i % 5]}",
            f"つなぐ市{TOWNS[i]}{rng.randrange(1, 30)}番{rng.randrange(1, 20)}号",
            f"041-{rng.randrange(0, 9999):04d}",
            phone(rng),
            str(lat),
            str(lon),
            opened.isoformat(),
            rng.choice(["有", "無"]),
        ]
        data.append(row)
        t.data(*row)
    lines = write_csv("utf8_facilities.csv", t, encoding="utf-8", newline="\n")
    entry(
        "utf8_facilities.csv",
        "UTF-8 without BOM, LF: public facilities with 緯度/経度, postcodes, phones, 有/無",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8",
        delimiter=",",
        columns=cols,
        types=types(
            No="int",
            施設名="text",
            住所="text",
            郵便番号="text",
            電話番号="text",
            緯度="numeric",
            経度="numeric",
            開設日="date",
            駐車場="bool",
        ),
        row_count=30,
        samples=[
            sample(0, "郵便番号", data[0][3], data[0][3], lines[0]),
            sample(3, "緯度", data[3][5], float(data[3][5]), lines[3]),
            sample(7, "開設日", data[7][7], data[7][7], lines[7]),
            sample(2, "駐車場", data[2][8], data[2][8] == "有"),
        ],
    )


def sjis_aed() -> None:
    rng = random.Random(3)
    t = Table()
    cols = ["設置施設名", "設置場所", "住所", "管理者", "利用可能時間", "電話番号", "緯度", "経度"]
    t.line(*cols)
    data = []
    places = ["1階 受付①", "2階 事務室②", "正面玄関③", "体育館入口④", "1階 ロビー⑤"]
    owners = ["㈱つなぐ警備", "㈲北浜サービス", "髙橋商店", "つなぐ市", "㈱港湾ビル管理"]
    for i in range(25):
        row = [
            f"{TOWNS[i]}会館",
            places[i % 5],
            f"つなぐ市{TOWNS[i]}{i + 1}－{rng.randrange(1, 30)}",
            owners[i % 5],
            f"{rng.choice([8, 9])}:00～{rng.choice([17, 18, 21])}:00",
            phone(rng),
            f"{41.7 + rng.random() / 10:.5f}",
            f"{140.7 + rng.random() / 10:.5f}",
        ]
        data.append(row)
        t.data(*row)
    lines = write_csv("sjis_aed.csv", t, encoding="cp932")
    entry(
        "sjis_aed.csv",
        "Shift_JIS (cp932) with 機種依存文字 ①②, ㈱, ㈲, 髙, ～",
        declared_format="CSV",
        format="CSV",
        encoding="cp932",
        delimiter=",",
        columns=cols,
        types=types(
            設置施設名="text",
            設置場所="text",
            住所="text",
            管理者="text",
            利用可能時間="text",
            電話番号="text",
            緯度="numeric",
            経度="numeric",
        ),
        row_count=25,
        samples=[
            sample(0, "設置場所", "1階 受付①", "1階 受付①", lines[0]),
            sample(0, "管理者", "㈱つなぐ警備", "㈱つなぐ警備"),
            sample(2, "管理者", "髙橋商店", "髙橋商店"),
            sample(1, "利用可能時間", data[1][4], data[1][4]),
        ],
    )


def eucjp_shelters() -> None:
    rng = random.Random(4)
    t = Table()
    cols = [
        "番号",
        "避難所名",
        "所在地",
        "収容人数",
        "海抜（m）",
        "指定日",
        "洪水",
        "土砂災害",
        "地震",
    ]
    t.line(*cols)
    data = []
    for i in range(20):
        designated = day(rng, dt.date(2005, 1, 1), dt.date(2019, 4, 30))
        row = [
            str(i + 1),
            f"{TOWNS[i]}小学校",
            f"つなぐ市{TOWNS[i]}{i + 2}番地",
            str(rng.randrange(50, 800)),
            f"{rng.random() * 40:.1f}",
            wareki(designated),
            rng.choice(["○", "×"]),
            rng.choice(["○", "×"]),
            "○",
        ]
        data.append((row, designated))
        t.data(*row)
    lines = write_csv("eucjp_shelters.csv", t, encoding="euc_jp", newline="\n")
    row3, date3 = data[3]
    entry(
        "eucjp_shelters.csv",
        "EUC-JP: evacuation shelters; 和暦 dates (平成), ○/× flags",
        declared_format="CSV",
        format="CSV",
        encoding="euc_jp",
        delimiter=",",
        columns=cols,
        types=types(
            番号="int",
            避難所名="text",
            所在地="text",
            収容人数="int",
            **{"海抜（m）": "numeric"},
            指定日="date",
            洪水="bool",
            土砂災害="bool",
            地震="bool",
        ),
        row_count=20,
        samples=[
            sample(3, "指定日", row3[5], date3.isoformat(), lines[3]),
            sample(3, "避難所名", row3[1], row3[1]),
            sample(0, "地震", "○", True),
        ],
    )


def utf16_budget() -> None:
    rng = random.Random(5)
    t = Table()
    cols = [
        "款",
        "項",
        "本年度予算額（千円）",
        "前年度予算額（千円）",
        "比較増減（千円）",
        "増減率（％）",
    ]
    t.line(*cols)
    data = []
    kan = [
        "総務費",
        "民生費",
        "衛生費",
        "労働費",
        "農林水産業費",
        "商工費",
        "土木費",
        "消防費",
        "教育費",
        "公債費",
    ]
    kou = ["総務管理費", "徴税費", "戸籍住民基本台帳費", "選挙費"]
    for i in range(30):
        this, last = rng.randrange(10_000, 9_000_000), rng.randrange(10_000, 9_000_000)
        diff = this - last
        rate = round(diff / last * 100, 1)
        row = [
            kan[i // 3],
            kou[i % 4],
            f"{this:,}",
            f"{last:,}",
            sankaku(diff),
            f"△{-rate}" if rate < 0 else f"{rate}",
        ]
        data.append((row, this, diff, rate))
        t.data(*row)
    lines = write_csv("utf16_budget.txt", t, encoding="utf-16", delimiter="\t")
    neg = next(i for i, d in enumerate(data) if d[2] < 0)
    entry(
        "utf16_budget.txt",
        "UTF-16 LE with BOM, tab separated (Excel 「Unicode テキスト」), declared TXT; △ negatives, thousands separators",
        declared_format="TXT",
        format="TSV",
        encoding="utf-16",
        delimiter="\t",
        columns=cols,
        types=types(
            款="text",
            項="text",
            **{
                "本年度予算額（千円）": "int",
                "前年度予算額（千円）": "int",
                "比較増減（千円）": "int",
                "増減率（％）": "numeric",
            },
        ),
        row_count=30,
        samples=[
            sample(0, "本年度予算額（千円）", data[0][0][2], data[0][1], lines[0]),
            sample(neg, "比較増減（千円）", data[neg][0][4], data[neg][2], lines[neg]),
            sample(neg, "増減率（％）", data[neg][0][5], data[neg][3]),
        ],
    )


def library_loans() -> None:
    rng = random.Random(6)
    t = Table()
    cols = ["ISBN", "書名", "著者", "出版者", "出版年", "貸出回数", "最終貸出日"]
    t.line(*cols)
    data = []
    titles = [
        "ぐりとぐら",
        "はらぺこあおむし",
        "100万回生きたねこ",
        "つなぐ市の歴史, 第2版",
        "北海道の野鳥",
        "ことばあそびうた",
        "かいけつゾロリ",
        "やさしい家計簿",
    ]
    for i in range(50):
        last = day(rng, dt.date(2022, 4, 1), dt.date(2024, 3, 31))
        row = [
            f"978-4-{rng.randrange(10, 99)}-{rng.randrange(100000, 999999)}-{rng.randrange(10)}",
            f"{titles[i % 8]}{'' if i < 8 else f' {i // 8}'}",
            f"著者{i % 13 + 1}",
            f"出版社{i % 5 + 1}",
            str(rng.randrange(1965, 2023)),
            str(rng.randrange(0, 400)),
            last.strftime("%Y/%m/%d"),
        ]
        data.append((row, last))
        t.data(*row)
    lines = write_csv("library_loans.tsv", t, encoding="utf-8", delimiter="\t", newline="\n")
    entry(
        "library_loans.tsv",
        "UTF-8 TSV declared TSV: library loan counts; ISBN text, YYYY/MM/DD dates, a title with a comma",
        declared_format="TSV",
        format="TSV",
        encoding="utf-8",
        delimiter="\t",
        columns=cols,
        types=types(
            ISBN="text",
            書名="text",
            著者="text",
            出版者="text",
            出版年="int",
            貸出回数="int",
            最終貸出日="date",
        ),
        row_count=50,
        samples=[
            sample(3, "書名", "つなぐ市の歴史, 第2版", "つなぐ市の歴史, 第2版", lines[3]),
            sample(10, "最終貸出日", data[10][0][6], data[10][1].isoformat(), lines[10]),
            sample(0, "ISBN", data[0][0][0], data[0][0][0]),
        ],
    )


def semicolon_events() -> None:
    rng = random.Random(7)
    t = Table()
    cols = ["イベント名", "開催日", "開始時刻", "終了時刻", "会場", "定員", "参加費（円）"]
    t.line(*cols)
    data = []
    names = ["親子料理教室", "朝市", "星空観察会", "花火大会", "英会話サロン", "健康ウォーキング"]
    for i in range(30):
        start = rng.choice([9, 10, 13, 18])
        fee = rng.choice([0, 500, 1000, 1500, 2000])
        row = [
            f"{names[i % 6]}（第{i // 6 + 1}回）",
            day(rng, dt.date(2023, 4, 1), dt.date(2024, 3, 31)).isoformat(),
            f"{start}:00",
            f"{start + 2}:30",
            f"{TOWNS[i]}会館",
            str(rng.randrange(10, 200)),
            f"{fee:,}",
        ]
        data.append((row, fee, start))
        t.data(*row)
    lines = write_csv("semicolon_events.csv", t, encoding="utf-8", delimiter=";")
    paid = next(i for i, d in enumerate(data) if d[1] >= 1000)
    entry(
        "semicolon_events.csv",
        "Semicolon-separated UTF-8 CSV: events; H:MM times, thousands separators",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8",
        delimiter=";",
        columns=cols,
        types=types(
            イベント名="text",
            開催日="date",
            開始時刻="time",
            終了時刻="time",
            会場="text",
            定員="int",
            **{"参加費（円）": "int"},
        ),
        row_count=30,
        samples=[
            sample(0, "開始時刻", data[0][0][2], f"{data[0][2]:02d}:00:00", lines[0]),
            sample(paid, "参加費（円）", data[paid][0][6], data[paid][1], lines[paid]),
            sample(1, "終了時刻", data[1][0][3], f"{data[1][2] + 2:02d}:30:00"),
        ],
    )


def quoted_multiline() -> None:
    rng = random.Random(8)
    t = Table()
    cols = ["番号", "受付日", "件名", "意見の概要", "市の考え方"]
    t.line(*cols)
    data = []
    for i in range(15):
        received = day(rng, dt.date(2023, 6, 1), dt.date(2023, 6, 30))
        opinion = (
            f'第{i + 1}条について、\n表現を「"わかりやすく"」改めてください。'
            if i % 3 == 0
            else f"計画案{i + 1}に賛成します, 早期の実施を望みます。"
        )
        answer = (
            "ご意見を踏まえ、\n修正します。\n（担当：企画課）"
            if i % 2 == 0
            else "原案のとおりとします。"
        )
        row = [str(i + 1), wareki(received), f"総合計画案（{i + 1}）", opinion, answer]
        data.append((row, received))
        t.data(*row)
    lines = write_csv("quoted_multiline.csv", t, encoding="utf-8-sig")
    entry(
        "quoted_multiline.csv",
        "Quoted fields with embedded line breaks, commas and doubled quotes (パブリックコメント); rows span several lines",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8-sig",
        delimiter=",",
        columns=cols,
        types=types(番号="int", 受付日="date", 件名="text", 意見の概要="text", 市の考え方="text"),
        row_count=15,
        samples=[
            sample(0, "意見の概要", data[0][0][3], data[0][0][3], lines[0]),
            sample(1, "番号", "2", 2, lines[1]),
            sample(14, "市の考え方", data[14][0][4], data[14][0][4], lines[14]),
            sample(5, "受付日", data[5][0][1], data[5][1].isoformat(), lines[5]),
        ],
    )


def title_unit_notes() -> None:
    rng = random.Random(9)
    t = Table()
    t.line("年齢別人口（5歳階級）", "", "", "")
    t.line("令和5年4月1日現在", "", "", "")
    t.line("（単位：人）", "", "", "")
    t.line("", "", "", "")
    cols = ["年齢", "男", "女", "計"]
    t.line(*cols)
    data = []
    total_m = total_f = 0
    for i in range(21):
        label = f"{i * 5}～{i * 5 + 4}歳" if i < 20 else "100歳以上"
        men, women = rng.randrange(50, 9000), rng.randrange(50, 9000)
        total_m, total_f = total_m + men, total_f + women
        row = [label, f"{men:,}", f"{women:,}", f"{men + women:,}"]
        data.append((row, men + women))
        t.data(*row)
    t.data("総数", f"{total_m:,}", f"{total_f:,}", f"{total_m + total_f:,}")
    t.line("", "", "", "")
    t.line("※出典：住民基本台帳", "", "", "")
    t.line("注）外国人住民を含む。", "", "", "")
    lines = write_csv("title_unit_notes.csv", t, encoding="cp932")
    entry(
        "title_unit_notes.csv",
        "Shift_JIS; title, date and unit rows above the header; ※出典 and 注） notes below",
        declared_format="CSV",
        format="CSV",
        encoding="cp932",
        delimiter=",",
        header_line=5,
        columns=cols,
        types=types(年齢="text", 男="int", 女="int", 計="int"),
        row_count=22,
        samples=[
            sample(0, "年齢", "0～4歳", "0～4歳", lines[0]),
            sample(2, "計", data[2][0][3], data[2][1], lines[2]),
            sample(21, "計", f"{total_m + total_f:,}", total_m + total_f, lines[21]),
        ],
        notes=[
            "年齢別人口（5歳階級）",
            "令和5年4月1日現在",
            "（単位：人）",
            "※出典：住民基本台帳",
            "注）外国人住民を含む",
        ],
    )


def blank_rows_middle() -> None:
    rng = random.Random(10)
    t = Table()
    cols = ["地区", "町内会名", "会員世帯数", "設立年"]
    t.line(*cols)
    data = []
    for i in range(30):
        if i and i % 10 == 0:
            t.line()
            t.line("", "", "", "")
        row = [
            ["東部", "西部", "南部"][i // 10],
            f"{TOWNS[i]}町内会",
            str(rng.randrange(20, 600)),
            str(rng.randrange(1950, 2010)),
        ]
        data.append(row)
        t.data(*row)
    t.line()
    t.line()
    lines = write_csv("blank_rows_middle.csv", t, encoding="utf-8", newline="\n")
    entry(
        "blank_rows_middle.csv",
        "Blank lines and empty ',,,' rows between groups and at the end",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8",
        delimiter=",",
        columns=cols,
        types=types(地区="text", 町内会名="text", 会員世帯数="int", 設立年="int"),
        row_count=30,
        samples=[
            sample(10, "町内会名", data[10][1], data[10][1], lines[10]),
            sample(20, "地区", "南部", "南部", lines[20]),
            sample(29, "設立年", data[29][3], int(data[29][3]), lines[29]),
        ],
    )


def ragged_rows() -> None:
    rng = random.Random(11)
    t = Table()
    cols = ["番号", "窓口名", "担当課", "内線", "備考"]
    t.line(*cols)
    sections = ["市民課", "保険年金課", "税務課", "福祉課", "子育て支援課", "環境課"]
    data = []
    for i in range(24):
        row = [
            str(i + 1),
            f"{sections[i % 6]}窓口{i // 6 + 1}",
            sections[i % 6],
            str(rng.randrange(1000, 2999)),
            "土日休み" if i % 4 == 0 else "",
        ]
        if i == 2:
            row.append("要予約")  # a sixth value: becomes column 列6
        elif i % 5 == 1:
            row = row[:4]  # short row: 備考 omitted
        elif i % 7 == 3:
            row += ["", ""]  # trailing empty cells
        data.append(row)
        t.data(*row)
    lines = write_csv("ragged_rows.csv", t, encoding="utf-8")
    entry(
        "ragged_rows.csv",
        "Ragged rows: short rows, rows with trailing empty cells, one row with an extra value",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8",
        delimiter=",",
        columns=[*cols, "列6"],
        types=types(番号="int", 窓口名="text", 担当課="text", 内線="text", 備考="text", 列6="text"),
        row_count=24,
        samples=[
            sample(2, "列6", "要予約", "要予約", lines[2]),
            sample(1, "備考", None, None, lines[1]),
            sample(0, "備考", "土日休み", "土日休み"),
        ],
        warnings=["少ない", "多い", "列6"],
    )


def duplicate_empty_headers() -> None:
    rng = random.Random(12)
    t = Table()
    t.line("年月日", "区分", "件数", "件数", "", "備考", "", "担当")
    data = []
    for i in range(20):
        d = dt.date(2023, 4, 1) + dt.timedelta(days=i)
        a, b = rng.randrange(0, 50), rng.randrange(0, 50)
        row = [
            f"{d.year}/{d.month}/{d.day}",
            rng.choice(["窓口", "電話", "メール"]),
            str(a),
            str(b),
            str(a + b),
            "" if i % 3 else "集計中",
            "",
            rng.choice(["佐藤", "鈴木", "高橋"]),
        ]
        data.append((row, d))
        t.data(*row)
    lines = write_csv("duplicate_empty_headers.csv", t, encoding="utf-8")
    cols = ["年月日", "区分", "件数", "件数_2", "列5", "備考", "担当"]
    entry(
        "duplicate_empty_headers.csv",
        "Duplicate column names (件数 twice), an unnamed column with values, an empty spacer column (dropped)",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8",
        delimiter=",",
        columns=cols,
        types=types(
            年月日="date",
            区分="text",
            件数="int",
            件数_2="int",
            列5="int",
            備考="text",
            担当="text",
        ),
        row_count=20,
        samples=[
            sample(0, "年月日", "2023/4/1", "2023-04-01", lines[0]),
            sample(4, "件数_2", data[4][0][3], int(data[4][0][3]), lines[4]),
            sample(4, "列5", data[4][0][4], int(data[4][0][4])),
        ],
        warnings=["件数_2", "列5"],
    )


def wareki_dates() -> None:
    rng = random.Random(13)
    t = Table()
    cols = ["番号", "許可日", "許可日（略記）", "旧許可日", "旧許可日（略記）", "西暦日付"]
    t.line(*cols)
    data = []
    for i in range(40):
        new = day(rng, dt.date(2019, 5, 1), dt.date(2023, 12, 31)) if i else dt.date(2019, 5, 7)
        old = (
            day(rng, dt.date(2010, 1, 1), dt.date(2019, 4, 30)) if i != 1 else dt.date(2019, 4, 30)
        )
        row = [
            str(i + 1),
            wareki(new),
            wareki_short(new),
            wareki(old),
            wareki_short(old),
            new.strftime("%Y/%m/%d"),
        ]
        data.append((row, new, old))
        t.data(*row)
    lines = write_csv("wareki_dates.csv", t, encoding="cp932")
    entry(
        "wareki_dates.csv",
        "和暦 dates: 令和2年4月1日, 令和元年, R2.4.1, 平成31年4月30日, H31.4.30, and 西暦 YYYY/MM/DD",
        declared_format="CSV",
        format="CSV",
        encoding="cp932",
        delimiter=",",
        columns=cols,
        types=types(
            番号="int",
            許可日="date",
            **{"許可日（略記）": "date"},
            旧許可日="date",
            **{"旧許可日（略記）": "date"},
            西暦日付="date",
        ),
        row_count=40,
        samples=[
            sample(0, "許可日", "令和元年5月7日", "2019-05-07", lines[0]),
            sample(1, "旧許可日", "平成31年4月30日", "2019-04-30", lines[1]),
            sample(1, "旧許可日（略記）", "H31.4.30", "2019-04-30"),
            sample(5, "許可日（略記）", data[5][0][2], data[5][1].isoformat()),
        ],
    )


def fullwidth_numbers() -> None:
    rng = random.Random(14)
    t = Table()
    cols = ["地区", "人口", "前年比増減", "面積（k㎡）", "人口密度", "高齢化率（％）"]
    t.line(*cols)
    data = []
    missing = ["-", "…", "－", "―"]
    for i in range(30):
        pop = rng.randrange(800, 60000)
        change = rng.randrange(-900, 900)
        area = round(rng.uniform(0.5, 90), 2)
        change_text = (
            missing[i // 6 % 4]
            if i % 6 == 5
            else ("▲" if i % 2 else "△") + wide(f"{-change:,}")
            if change < 0
            else wide(f"{change:,}")
        )
        row = [
            wide(chr(ord("A") + i % 26)) + "地区" + ("" if i < 26 else "北"),
            wide(f"{pop:,}"),
            change_text,
            wide(f"{area:.2f}"),
            f"{pop / area:,.1f}",
            wide(f"{rng.uniform(20, 45):.1f}"),
        ]
        data.append((row, pop, change, area))
        t.data(*row)
    lines = write_csv("fullwidth_numbers.csv", t, encoding="cp932")
    neg = next(i for i, d in enumerate(data) if d[2] < 0 and i % 6 != 5)
    entry(
        "fullwidth_numbers.csv",
        "Full-width digits and commas, △/▲ negatives, -/…/－/― as missing values",
        declared_format="CSV",
        format="CSV",
        encoding="cp932",
        delimiter=",",
        columns=cols,
        types=types(
            地区="text",
            人口="int",
            前年比増減="int",
            **{"面積（k㎡）": "numeric"},
            人口密度="numeric",
            **{"高齢化率（％）": "numeric"},
        ),
        row_count=30,
        samples=[
            sample(0, "地区", "Ａ地区", "Ａ地区", lines[0]),
            sample(0, "人口", data[0][0][1], data[0][1], lines[0]),
            sample(neg, "前年比増減", data[neg][0][2], data[neg][2], lines[neg]),
            sample(5, "前年比増減", "-", None, lines[5]),
            sample(11, "前年比増減", "…", None),
            sample(2, "面積（k㎡）", data[2][0][3], data[2][3]),
        ],
    )


def times_bools() -> None:
    rng = random.Random(15)
    t = Table()
    cols = ["施設名", "開館時間", "閉館時間", "土曜開館", "日曜開館", "授乳室", "車いす対応"]
    t.line(*cols)
    data = []
    for i in range(25):
        open_h, open_m = rng.choice([(8, 30), (9, 0), (9, 30), (10, 0)])
        close_h, close_m = rng.choice([(17, 0), (17, 15), (20, 0), (21, 30)])
        close = f"{close_h}時" if close_m == 0 and i % 2 else f"{close_h}時{close_m:02d}分"
        row = [
            f"{TOWNS[i]}センター",
            f"{open_h}:{open_m:02d}",
            close,
            *(rng.choice(["○", "×"]) for _ in range(4)),
        ]
        data.append((row, (open_h, open_m), (close_h, close_m)))
        t.data(*row)
    lines = write_csv("times_bools.csv", t, encoding="utf-8")
    entry(
        "times_bools.csv",
        "Times as 9:00 and 17時30分 / 17時; ○/× booleans",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8",
        delimiter=",",
        columns=cols,
        types=types(
            施設名="text",
            開館時間="time",
            閉館時間="time",
            土曜開館="bool",
            日曜開館="bool",
            授乳室="bool",
            車いす対応="bool",
        ),
        row_count=25,
        samples=[
            sample(0, "開館時間", data[0][0][1], "{:02d}:{:02d}:00".format(*data[0][1]), lines[0]),
            sample(1, "閉館時間", data[1][0][2], "{:02d}:{:02d}:00".format(*data[1][2]), lines[1]),
            sample(2, "土曜開館", data[2][0][3], data[2][0][3] == "○"),
        ],
    )


def latlon_codes() -> None:
    rng = random.Random(16)
    t = Table()
    cols = ["地点コード", "名称", "郵便番号", "所在地", "緯度", "経度", "標高"]
    t.line(*cols)
    data = []
    for i in range(40):
        row = [
            f"{i * 7 + 3:05d}",
            f"観測点{i + 1}",
            f"040{rng.randrange(0, 9999):04d}",
            f"つなぐ市{TOWNS[i % 30]}",
            f"{41.7 + rng.random() / 5:.6f}",
            f"{140.6 + rng.random() / 5:.6f}",
            f"{rng.uniform(0, 300):.1f}",
        ]
        data.append(row)
        t.data(*row)
    lines = write_csv("latlon_codes.csv", t, encoding="utf-8-sig")
    entry(
        "latlon_codes.csv",
        "緯度/経度 columns; 5-digit codes and 7-digit postcodes with leading zeros",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8-sig",
        delimiter=",",
        columns=cols,
        types=types(
            地点コード="text",
            名称="text",
            郵便番号="text",
            所在地="text",
            緯度="numeric",
            経度="numeric",
            標高="numeric",
        ),
        row_count=40,
        samples=[
            sample(0, "地点コード", "00003", "00003", lines[0]),
            sample(1, "郵便番号", data[1][2], data[1][2], lines[1]),
            sample(2, "経度", data[2][5], float(data[2][5])),
        ],
    )


def formula_injection() -> None:
    t = Table()
    cols = ["番号", "投稿者", "内容", "評価"]
    t.line(*cols)
    payloads = [
        "=cmd|' /C calc'!A0",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        '=HYPERLINK("http://example.com/","詳細")',
        "=1+2",
        "通常の意見です",
        "-",
        "+81-138-00-0000",
        "@メンション",
        "=A1*10",
        "ふつう",
    ]
    for i, text in enumerate(payloads):
        t.data(str(i + 1), f"市民{i + 1}", text, ["良い", "=2*3", "+5", "普通"][i % 4])
    lines = write_csv("formula_injection.csv", t, encoding="utf-8")
    entry(
        "formula_injection.csv",
        "Cells that spreadsheets would run as formulas (=, +, -, @): must stay plain text",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8",
        delimiter=",",
        columns=cols,
        types=types(番号="int", 投稿者="text", 内容="text", 評価="text"),
        row_count=12,
        samples=[
            sample(0, "内容", "=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0", lines[0]),
            sample(1, "内容", "+1+1", "+1+1"),
            sample(2, "内容", "-2+3", "-2+3"),
            sample(3, "内容", "@SUM(A1)", "@SUM(A1)"),
            sample(1, "評価", "=2*3", "=2*3"),
        ],
    )


def multiline_header() -> None:
    rng = random.Random(17)
    t = Table()
    t.line("地区名", "人口\n（人）", "世帯数\n（世帯）", "面積\r\n（km²）", "人口密度\n（人/km²）")
    data = []
    for i in range(20):
        pop, area = rng.randrange(500, 30000), round(rng.uniform(0.3, 40), 2)
        row = [TOWNS[i], str(pop), str(rng.randrange(200, 15000)), f"{area}", f"{pop / area:.1f}"]
        data.append(row)
        t.data(*row)
    lines = write_csv("multiline_header.csv", t, encoding="utf-8-sig")
    cols = ["地区名", "人口（人）", "世帯数（世帯）", "面積（km²）", "人口密度（人/km²）"]
    entry(
        "multiline_header.csv",
        "Header names with line breaks inside quotes (Excel Alt+Enter); header spans 5 lines",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8-sig",
        delimiter=",",
        header_line=1,
        columns=cols,
        types=types(
            地区名="text",
            **{
                "人口（人）": "int",
                "世帯数（世帯）": "int",
                "面積（km²）": "numeric",
                "人口密度（人/km²）": "numeric",
            },
        ),
        row_count=20,
        samples=[
            sample(0, "人口（人）", data[0][1], int(data[0][1]), lines[0]),
            sample(3, "面積（km²）", data[3][3], float(data[3][3]), lines[3]),
        ],
    )
    assert lines[0] == 6


def combined_messy() -> None:
    rng = random.Random(18)
    t = Table()
    width = 7
    t.line("令和5年度 地区別人口・世帯数", *[""] * (width - 1))
    t.line("（令和5年4月1日現在）", *[""] * (width - 1))
    t.line(*[""] * (width - 1), "（単位：人、世帯）")
    t.line("地区", "人口", "", "", "世帯数", "前年比", "更新日")
    t.line("", "男", "女", "計", "", "", "")
    data = []
    for i in range(20):
        if i in (7, 14):
            t.line(*[""] * width)
        men, women = rng.randrange(300, 20000), rng.randrange(300, 20000)
        change = rng.randrange(-300, 300)
        updated = day(rng, dt.date(2023, 4, 1), dt.date(2023, 9, 30))
        row = [
            TOWNS[i],
            f"{men:,}",
            f"{women:,}",
            f"{men + women:,}",
            f"{rng.randrange(200, 15000):,}",
            sankaku(change),
            wareki_short(updated),
        ]
        data.append((row, men, change, updated))
        t.data(*row)
    t.line(*[""] * width)
    t.line("資料：市民課", *[""] * (width - 1))
    t.line("※外国人住民を含む。", *[""] * (width - 1))
    lines = write_csv("combined_messy.csv", t, encoding="cp932")
    cols = ["地区", "人口_男", "人口_女", "人口_計", "世帯数", "前年比", "更新日"]
    neg = next(i for i, d in enumerate(data) if d[2] < 0)
    entry(
        "combined_messy.csv",
        "Everything at once: Shift_JIS, title/date/unit rows, two-row header (人口 over 男/女/計), blank rows, △, thousands separators, R5.4.1 dates, notes",
        declared_format="CSV",
        format="CSV",
        encoding="cp932",
        delimiter=",",
        header_line=5,
        columns=cols,
        types=types(
            地区="text",
            人口_男="int",
            人口_女="int",
            人口_計="int",
            世帯数="int",
            前年比="int",
            更新日="date",
        ),
        row_count=20,
        samples=[
            sample(0, "人口_男", data[0][0][1], data[0][1], lines[0]),
            sample(neg, "前年比", data[neg][0][5], data[neg][2], lines[neg]),
            sample(7, "更新日", data[7][0][6], data[7][3].isoformat(), lines[7]),
        ],
        notes=[
            "令和5年度 地区別人口・世帯数",
            "令和5年4月1日現在",
            "単位：人、世帯",
            "資料：市民課",
            "※外国人住民を含む",
        ],
    )


def pipe_delimited() -> None:
    rng = random.Random(19)
    t = Table()
    cols = ["年度", "区分", "件数", "金額（円）"]
    t.line(*cols)
    data = []
    for year in range(2015, 2024):
        for kind in ("住民票", "印鑑証明", "戸籍謄本"):
            n = rng.randrange(1000, 50000)
            row = [str(year), kind, str(n), str(n * 300)]
            data.append(row)
            t.data(*row)
    lines = write_csv("pipe_delimited.txt", t, encoding="utf-8", delimiter="|", newline="\n")
    entry(
        "pipe_delimited.txt",
        "Pipe-separated text declared TXT: certificate counts by fiscal year",
        declared_format="TXT",
        format="CSV",
        encoding="utf-8",
        delimiter="|",
        columns=cols,
        types=types(年度="int", 区分="text", 件数="int", **{"金額（円）": "int"}),
        row_count=27,
        samples=[
            sample(0, "年度", "2015", 2015, lines[0]),
            sample(26, "区分", "戸籍謄本", "戸籍謄本", lines[26]),
        ],
    )


def header_only() -> None:
    t = Table()
    t.line("受付番号", "受付日", "内容")
    write_csv("header_only.csv", t, encoding="utf-8")
    entry(
        "header_only.csv",
        "A header and no data rows (nothing reported yet): a valid, empty table; with no values every column stays text",
        declared_format="CSV",
        format="CSV",
        encoding="utf-8",
        delimiter=",",
        columns=["受付番号", "受付日", "内容"],
        types=types(受付番号="text", 受付日="text", 内容="text"),
        row_count=0,
    )


# --- spreadsheets ------------------------------------------------------------------------


def _fill(ws: Any, top: int, left: int, rows: list[list[Any]]) -> None:
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.cell(row=top + r, column=left + c, value=value)


def xlsx_title_rows() -> None:
    rng = random.Random(20)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "保育所一覧"
    ws["A1"] = "認可保育所一覧"
    ws["A2"] = "令和5年4月1日現在"
    cols = ["施設名", "所在地", "電話番号", "定員", "開設日", "延長保育", "緯度", "経度"]
    rows = [cols]
    for i in range(30):
        rows.append(
            [
                f"{TOWNS[i]}保育園",
                f"つなぐ市{TOWNS[i]}{i + 1}番地",
                phone(rng),
                rng.choice([60, 90, 120, 150]),
                day(rng, dt.date(1975, 4, 1), dt.date(2022, 4, 1)),
                rng.choice(["○", "×"]),
                round(41.7 + rng.random() / 10, 6),
                round(140.7 + rng.random() / 10, 6),
            ]
        )
    _fill(ws, 4, 2, rows)  # the table starts at B4
    for r in range(5, 35):
        ws.cell(row=r, column=6).number_format = "yyyy/m/d"
    ws["B36"] = "※定員は令和5年4月1日時点の認可定員です。"
    save_workbook(wb, "xlsx_title_rows.xlsx")
    data = rows[1:]
    entry(
        "xlsx_title_rows.xlsx",
        "XLSX: title and date rows above, table starting at B4, a ※ note below; typed numbers and dates",
        declared_format="XLSX",
        format="XLSX",
        sheet="保育所一覧",
        sheets=["保育所一覧"],
        header_line=4,
        columns=cols,
        types=types(
            施設名="text",
            所在地="text",
            電話番号="text",
            定員="int",
            開設日="date",
            延長保育="bool",
            緯度="numeric",
            経度="numeric",
        ),
        row_count=30,
        samples=[
            sample(0, "定員", data[0][3], data[0][3], 5),
            sample(1, "開設日", data[1][4], data[1][4].isoformat(), 6),
            sample(29, "緯度", data[29][6], data[29][6], 34),
            sample(2, "延長保育", data[2][5], data[2][5] == "○"),
        ],
        notes=["認可保育所一覧", "令和5年4月1日現在", "※定員は"],
    )


def xlsx_merged_header() -> None:
    rng = random.Random(21)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "地区別人口"
    ws["A1"] = "地区別人口（令和5年3月末）"
    ws.merge_cells("A1:F1")
    ws["A3"], ws["B3"], ws["E3"], ws["F3"] = "地区", "人口", "世帯数\n（世帯）", "増減"
    ws["B4"], ws["C4"], ws["D4"] = "男", "女", "計"
    for merged in ("A3:A4", "B3:D3", "E3:E4", "F3:F4"):
        ws.merge_cells(merged)
    data = []
    for i in range(25):
        men, women = rng.randrange(300, 9000), rng.randrange(300, 9000)
        row = [
            TOWNS[i],
            men,
            women,
            men + women,
            rng.randrange(200, 8000),
            rng.randrange(-200, 200),
        ]
        data.append(row)
    _fill(ws, 5, 1, data)
    path = save_workbook(wb, "xlsx_merged_header.xlsx")
    _add_formulas(path, "D", lambda r: f"B{r}+C{r}")
    cols = ["地区", "人口_男", "人口_女", "人口_計", "世帯数（世帯）", "増減"]
    neg = next(i for i, d in enumerate(data) if d[5] < 0)
    entry(
        "xlsx_merged_header.xlsx",
        "XLSX: merged title, two-row header with merged cells (人口 over 男/女/計, 地区 merged down), a line break in a header, 計 as formulas with cached values",
        declared_format="XLSX",
        format="XLSX",
        sheet="地区別人口",
        sheets=["地区別人口"],
        header_line=4,
        columns=cols,
        types=types(
            地区="text",
            人口_男="int",
            人口_女="int",
            人口_計="int",
            **{"世帯数（世帯）": "int"},
            増減="int",
        ),
        row_count=25,
        samples=[
            sample(0, "人口_計", data[0][3], data[0][3], 5),
            sample(3, "人口_女", data[3][2], data[3][2], 8),
            sample(neg, "増減", data[neg][5], data[neg][5]),
        ],
        notes=["地区別人口（令和5年3月末）"],
    )


def _add_formulas(path: Path, column: str, formula: Any) -> None:
    """Turn the values of a column into formulas keeping them as cached values, as Excel saves."""
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info.filename)) for info in src.infolist()]
    pattern = re.compile(rf'<c r="{column}(\d+)"( s="\d+")? t="n"><v>([^<]*)</v></c>'.encode())

    def patch(m: re.Match[bytes]) -> bytes:
        row = int(m.group(1))
        if row < 5:
            return m.group(0)
        style = m.group(2) or b""
        return (
            f'<c r="{column}{row}"'.encode()
            + style
            + f"><f>{formula(row)}</f><v>".encode()
            + m.group(3)
            + b"</v></c>"
        )

    with zipfile.ZipFile(path, "w") as out:
        for info, data in members:
            if info.filename == "xl/worksheets/sheet1.xml":
                data, n = pattern.subn(patch, data)
                assert n > 0
            out.writestr(info, data)


def xlsx_two_sheets() -> None:
    rng = random.Random(22)
    wb = openpyxl.Workbook()
    about = wb.active
    about.title = "説明"
    about["A1"] = "ごみ集積所一覧について"
    about["A3"] = "このファイルは、つなぐ市のごみ集積所の一覧です。"
    about["A4"] = "更新日：令和5年10月1日"
    about["A5"] = "問合せ先：環境課（0138-00-0000）"
    ws = wb.create_sheet("データ")
    cols = ["集積所番号", "町名", "住所", "収集曜日", "資源ごみ", "緯度", "経度"]
    rows = [cols]
    for i in range(30):
        rows.append(
            [
                f"{i + 1:04d}",
                TOWNS[i],
                f"つなぐ市{TOWNS[i]}{rng.randrange(1, 40)}番",
                rng.choice(["月・木", "火・金", "水・土"]),
                f"第{rng.randrange(1, 5)}水曜",
                round(41.7 + rng.random() / 10, 6),
                round(140.7 + rng.random() / 10, 6),
            ]
        )
    _fill(ws, 1, 1, rows)
    save_workbook(wb, "xlsx_two_sheets.xlsx")
    entry(
        "xlsx_two_sheets.xlsx",
        "XLSX with a description sheet first and the table on the second sheet; codes stored as text",
        declared_format="XLSX",
        format="XLSX",
        sheet="データ",
        sheets=["説明", "データ"],
        header_line=1,
        columns=cols,
        types=types(
            集積所番号="text",
            町名="text",
            住所="text",
            収集曜日="text",
            資源ごみ="text",
            緯度="numeric",
            経度="numeric",
        ),
        row_count=30,
        samples=[
            sample(0, "集積所番号", "0001", "0001", 2),
            sample(5, "収集曜日", rows[6][3], rows[6][3], 7),
        ],
    )


def xlsx_typed_cells() -> None:
    rng = random.Random(23)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "利用実績"
    header = [
        "利用日",
        "受付日時",
        "開始時刻",
        "利用\n人数",
        "利用料金",
        "稼働率",
        "減免",
        "団体コード",
        "備考",
    ]
    rows: list[list[Any]] = [header]
    for i in range(40):
        used = dt.date(2023, 4, 1) + dt.timedelta(days=i)
        received = dt.datetime(2023, 3, 1, 9, 0) + dt.timedelta(days=i, minutes=15 * i)
        rows.append(
            [
                used,
                received,
                dt.time(9 + i % 8, 30 if i % 2 else 0),
                float(rng.randrange(1, 60)),
                rng.choice([0, 600, 1200, 2400]),
                round(rng.random(), 2),
                i % 5 == 0,
                f"{rng.randrange(1, 999):05d}",
                "#N/A" if i == 3 else ("雨天中止" if i % 9 == 0 else None),
            ]
        )
    _fill(ws, 1, 1, rows)
    for r in range(2, 42):
        ws.cell(row=r, column=1).number_format = "yyyy/m/d"
        ws.cell(row=r, column=2).number_format = "yyyy/m/d h:mm"
        ws.cell(row=r, column=3).number_format = "h:mm"
    save_workbook(wb, "xlsx_typed_cells.xlsx")
    data = rows[1:]
    cols = [
        "利用日",
        "受付日時",
        "開始時刻",
        "利用人数",
        "利用料金",
        "稼働率",
        "減免",
        "団体コード",
        "備考",
    ]
    entry(
        "xlsx_typed_cells.xlsx",
        "XLSX typed cells: date, datetime, time, integral floats, bool, zero-padded codes as text, an #N/A error cell, a line break in a header",
        declared_format="XLSX",
        format="XLSX",
        sheet="利用実績",
        sheets=["利用実績"],
        header_line=1,
        columns=cols,
        types=types(
            利用日="date",
            受付日時="timestamp",
            開始時刻="time",
            利用人数="int",
            利用料金="int",
            稼働率="numeric",
            減免="bool",
            団体コード="text",
            備考="text",
        ),
        row_count=40,
        samples=[
            sample(0, "利用日", data[0][0], "2023-04-01", 2),
            sample(1, "受付日時", data[1][1], data[1][1].isoformat(), 3),
            sample(1, "開始時刻", data[1][2], data[1][2].isoformat()),
            sample(2, "利用人数", int(data[2][3]), int(data[2][3])),
            sample(0, "減免", True, True),
            sample(3, "備考", None, None, 5),
            sample(4, "団体コード", data[4][7], data[4][7]),
        ],
        warnings=["エラー値"],
    )


def _ods_cell(value: Any, span: int = 1) -> str:
    attr = f' table:number-columns-spanned="{span}"' if span > 1 else ""
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, dt.date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"'
            f"{attr}><text:p>{value:%Y/%m/%d}</text:p></table:table-cell>"
        )
    if isinstance(value, (int, float)):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}"{attr}>'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"{attr}><text:p>{escape(value)}</text:p>'
        "</table:table-cell>"
    )


def write_ods(name: str, sheet: str, rows: list[list[Any]]) -> None:
    """A minimal OpenDocument spreadsheet; (value, n) spans n columns like a merged cell."""
    body = []
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, tuple):
                cells.append(_ods_cell(value[0], value[1]))
                cells.extend(["<table:covered-table-cell/>"] * (value[1] - 1))
            else:
                cells.append(_ods_cell(value))
        body.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{escape(sheet)}">'
        + "".join(body)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest'
        ' xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(HERE / name, "w") as archive:
        # The mimetype member comes first and uncompressed: that is how ODS is recognised.
        archive.writestr(
            zipfile.ZipInfo("mimetype", FIXED_ZIP_TIME),
            "application/vnd.oasis.opendocument.spreadsheet",
        )
        for member, text in (("META-INF/manifest.xml", manifest), ("content.xml", content)):
            info = zipfile.ZipInfo(member, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)


def ods_population() -> None:
    rng = random.Random(24)
    rows: list[list[Any]] = [
        ["人口統計表"],
        [],
        ["地区", ("人口", 3), "世帯数", "調査日"],
        [None, "男", "女", "計", None, None],
    ]
    data = []
    for i in range(20):
        men, women = rng.randrange(300, 9000), rng.randrange(300, 9000)
        row = [
            TOWNS[i],
            men,
            women,
            men + women,
            rng.randrange(200, 8000),
            dt.date(2023, 4, 1) + dt.timedelta(days=i),
        ]
        data.append(row)
        rows.append(row)
    write_ods("ods_population.ods", "人口", rows)
    cols = ["地区", "人口_男", "人口_女", "人口_計", "世帯数", "調査日"]
    entry(
        "ods_population.ods",
        "ODS (LibreOffice): title row, two-row header with a spanned cell (no merge info from calamine), dates",
        declared_format="ODS",
        format="ODS",
        sheet="人口",
        sheets=["人口"],
        header_line=4,
        columns=cols,
        types=types(
            地区="text", 人口_男="int", 人口_女="int", 人口_計="int", 世帯数="int", 調査日="date"
        ),
        row_count=20,
        samples=[
            sample(0, "人口_男", data[0][1], data[0][1], 5),
            sample(2, "調査日", data[2][5], data[2][5].isoformat(), 7),
        ],
        notes=["人口統計表"],
    )


def _biff_record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _biff_string(text: str) -> bytes:
    # XLUnicodeString, stored as UTF-16LE (fHighByte = 1)
    return struct.pack("<HB", len(text), 1) + text.encode("utf-16-le")


def _biff_sheet(rows: list[list[Any]]) -> bytes:
    out = _biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))  # BOF
    width = max(len(r) for r in rows)
    out += _biff_record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))  # DIMENSIONS
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                out += _biff_record(0x0204, struct.pack("<HHH", r, c, 0) + _biff_string(value))
            elif isinstance(value, bool):
                out += _biff_record(0x0205, struct.pack("<HHHBB", r, c, 0, int(value), 0))
            elif isinstance(value, dt.date):
                serial = (value - dt.date(1899, 12, 30)).days
                out += _biff_record(0x0203, struct.pack("<HHHd", r, c, 1, float(serial)))
            else:
                out += _biff_record(0x0203, struct.pack("<HHHd", r, c, 0, float(value)))
    return out + _biff_record(0x000A, b"")  # EOF


def _biff_workbook(sheets: list[tuple[str, list[list[Any]]]]) -> bytes:
    streams = [_biff_sheet(rows) for _, rows in sheets]

    def globals_(positions: list[int]) -> bytes:
        out = _biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
        out += _biff_record(0x0042, struct.pack("<H", 1200))  # CODEPAGE: UTF-16
        out += _biff_record(0x00E0, struct.pack("<HHH", 0, 0, 0) + bytes(14))  # XF 0: General
        out += _biff_record(0x00E0, struct.pack("<HHH", 0, 14, 0) + bytes(14))  # XF 1: date
        for (name, _), pos in zip(sheets, positions, strict=True):
            out += _biff_record(
                0x0085, struct.pack("<IBBBB", pos, 0, 0, len(name), 1) + name.encode("utf-16-le")
            )  # BOUNDSHEET
        return out + _biff_record(0x000A, b"")

    offset = len(globals_([0] * len(sheets)))
    positions = []
    for stream in streams:
        positions.append(offset)
        offset += len(stream)
    return globals_(positions) + b"".join(streams)


def _compound_file(stream: bytes) -> bytes:
    """An OLE2 compound file (version 3, 512-byte sectors) holding one "Workbook" stream."""
    stream += bytes(max(0, 4096 - len(stream)))  # ≥ 4096 bytes: no mini stream needed
    size = len(stream)
    sectors = (size + 511) // 512
    stream += bytes(sectors * 512 - size)
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    # Sector 0: the FAT; 1..n: the stream; n + 1: the directory.
    fat = [0xFFFFFFFD, *range(2, sectors + 1), end, end]
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<9I", 0, 1, sectors + 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )

    def entry_(name: str, kind: int, child: int, start: int, length: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (
            encoded
            + bytes(64 - len(encoded))
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", free, free, child)
            + bytes(36)
            + struct.pack("<IQ", start, length)
        )

    directory = (
        entry_("Root Entry", 5, 1, end, 0)
        + entry_("Workbook", 2, free, 1, size)
        + entry_("", 0, free, 0, 0) * 2
    )
    return header + struct.pack("<128I", *fat) + stream + directory


def xls_legacy() -> None:
    rng = random.Random(25)
    cols = ["番号", "公園名", "所在地", "面積（㎡）", "開設日", "トイレ"]
    rows: list[list[Any]] = [["都市公園一覧"], [], cols]
    data = []
    for i in range(15):
        row = [
            i + 1,
            f"{TOWNS[i]}公園",
            f"つなぐ市{TOWNS[i]}",
            round(rng.uniform(300, 20000), 1),
            day(rng, dt.date(1960, 1, 1), dt.date(2020, 1, 1)),
            rng.random() < 0.6,
        ]
        data.append(row)
        rows.append(row)
    (HERE / "xls_legacy.xls").write_bytes(_compound_file(_biff_workbook([("公園", rows)])))
    entry(
        "xls_legacy.xls",
        "XLS (BIFF8, Excel 97-2003): title row, typed numbers, dates and booleans",
        declared_format="XLS",
        format="XLS",
        sheet="公園",
        sheets=["公園"],
        header_line=3,
        columns=cols,
        types=types(
            番号="int",
            公園名="text",
            所在地="text",
            **{"面積（㎡）": "numeric"},
            開設日="date",
            トイレ="bool",
        ),
        row_count=15,
        samples=[
            sample(0, "番号", 1, 1, 4),
            sample(1, "面積（㎡）", data[1][3], data[1][3], 5),
            sample(2, "開設日", data[2][4], data[2][4].isoformat()),
            sample(3, "トイレ", data[3][5], data[3][5]),
        ],
        notes=["都市公園一覧"],
    )


# --- JSON --------------------------------------------------------------------------------


def json_array() -> None:
    rng = random.Random(26)
    records = []
    for i in range(25):
        record: dict[str, Any] = {
            "id": i + 1,
            "名称": f"{TOWNS[i]}児童館",
            "種別": rng.choice(["児童館", "児童センター"]),
            "所在地": f"つなぐ市{TOWNS[i]}{i + 1}番地",
            "座標": {
                "lat": round(41.7 + rng.random() / 10, 5),
                "lon": round(140.7 + rng.random() / 10, 5),
            },
            "定員": rng.randrange(20, 100),
            "開設日": day(rng, dt.date(1980, 1, 1), dt.date(2020, 1, 1)).isoformat(),
        }
        if i % 3 == 1:
            record["電話番号"] = phone(rng)
        records.append(record)
    (HERE / "json_array.json").write_text(
        json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    cols = ["id", "名称", "種別", "所在地", "座標", "定員", "開設日", "電話番号"]
    entry(
        "json_array.json",
        "JSON array of objects; a key missing from some records, a nested object",
        declared_format="JSON",
        format="JSON",
        encoding="utf-8",
        header_line=0,
        columns=cols,
        types=types(
            id="int",
            名称="text",
            種別="text",
            所在地="text",
            座標="text",
            定員="int",
            開設日="date",
            電話番号="text",
        ),
        row_count=25,
        samples=[
            sample(
                0,
                "座標",
                json.dumps(records[0]["座標"], ensure_ascii=False),
                json.dumps(records[0]["座標"], ensure_ascii=False),
                1,
            ),
            sample(0, "電話番号", None, None, 1),
            sample(1, "電話番号", records[1]["電話番号"], records[1]["電話番号"], 2),
            sample(2, "定員", records[2]["定員"], records[2]["定員"]),
        ],
    )


def json_data_wrapped() -> None:
    rng = random.Random(27)
    rows = []
    for month in range(12):
        first = dt.date(2023 + (3 + month) // 12, (3 + month) % 12 + 1, 1)
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        moved_in, moved_out = rng.randrange(100, 900), rng.randrange(100, 900)
        rows.append(
            {
                "集計日": last.isoformat(),
                "転入": moved_in,
                "転出": moved_out,
                "増減": moved_in - moved_out,
            }
        )
    doc = {"title": "転入・転出者数", "updated": "2024-04-05", "count": len(rows), "data": rows}
    (HERE / "json_data_wrapped.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    entry(
        "json_data_wrapped.json",
        'JSON object with the records under "data"',
        declared_format="JSON",
        format="JSON",
        encoding="utf-8",
        header_line=0,
        columns=["集計日", "転入", "転出", "増減"],
        types=types(集計日="date", 転入="int", 転出="int", 増減="int"),
        row_count=12,
        samples=[
            sample(0, "集計日", "2023-04-30", "2023-04-30", 1),
            sample(11, "増減", rows[11]["増減"], rows[11]["増減"], 12),
        ],
    )


def geojson_points() -> None:
    rng = random.Random(28)
    features = []
    for i in range(25):
        lon, lat = round(140.7 + rng.random() / 10, 6), round(41.7 + rng.random() / 10, 6)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "名称": f"{TOWNS[i]}バス停",
                    "種別": "バス停",
                    "住所": f"つなぐ市{TOWNS[i]}",
                    "電話番号": phone(rng) if i % 4 == 0 else None,
                },
            }
        )
    doc = {"type": "FeatureCollection", "features": features}
    (HERE / "geojson_points.geojson").write_text(
        json.dumps(doc, ensure_ascii=False), encoding="utf-8"
    )
    first = features[0]["geometry"]["coordinates"]
    entry(
        "geojson_points.geojson",
        "GeoJSON FeatureCollection of Points: properties plus 緯度/経度",
        declared_format="GeoJSON",
        format="GeoJSON",
        encoding="utf-8",
        header_line=0,
        columns=["名称", "種別", "住所", "電話番号", "緯度", "経度"],
        types=types(
            名称="text", 種別="text", 住所="text", 電話番号="text", 緯度="numeric", 経度="numeric"
        ),
        row_count=25,
        samples=[
            sample(0, "緯度", first[1], first[1], 1),
            sample(0, "経度", first[0], first[0], 1),
            sample(1, "電話番号", None, None),
        ],
    )


def geojson_mixed() -> None:
    features = []
    shapes = [
        {"type": "Point", "coordinates": [140.72, 41.77]},
        {"type": "LineString", "coordinates": [[140.70, 41.76], [140.71, 41.77]]},
        {"type": "Point", "coordinates": [140.73, 41.78]},
        {
            "type": "Polygon",
            "coordinates": [[[140.7, 41.7], [140.71, 41.7], [140.71, 41.71], [140.7, 41.7]]],
        },
        {"type": "Point", "coordinates": [140.74, 41.79]},
        {"type": "LineString", "coordinates": [[140.72, 41.75], [140.73, 41.74]]},
        {"type": "Point", "coordinates": [140.75, 41.80]},
        {
            "type": "Polygon",
            "coordinates": [[[140.8, 41.8], [140.81, 41.8], [140.81, 41.81], [140.8, 41.8]]],
        },
        {"type": "Point", "coordinates": [140.76, 41.81]},
        {"type": "Point", "coordinates": [140.77, 41.82]},
    ]
    kinds = {"Point": "避難場所", "LineString": "避難経路", "Polygon": "浸水想定区域"}
    for i, shape in enumerate(shapes):
        features.append(
            {
                "type": "Feature",
                "geometry": shape,
                "properties": {
                    "名称": f"{kinds[shape['type']]}{i + 1}",
                    "種別": kinds[shape["type"]],
                },
            }
        )
    doc = {"type": "FeatureCollection", "features": features}
    (HERE / "geojson_mixed.geojson").write_text(
        json.dumps(doc, ensure_ascii=False), encoding="utf-8"
    )
    entry(
        "geojson_mixed.geojson",
        "GeoJSON with Points, LineStrings and Polygons: 緯度/経度 for points, geometry text for the rest",
        declared_format="GeoJSON",
        format="GeoJSON",
        encoding="utf-8",
        header_line=0,
        columns=["名称", "種別", "緯度", "経度", "geometry"],
        types=types(名称="text", 種別="text", 緯度="numeric", 経度="numeric", geometry="text"),
        row_count=10,
        samples=[
            sample(0, "緯度", 41.77, 41.77, 1),
            sample(0, "geometry", None, None, 1),
            sample(
                1,
                "geometry",
                json.dumps(shapes[1], ensure_ascii=False),
                json.dumps(shapes[1], ensure_ascii=False),
                2,
            ),
            sample(1, "経度", None, None),
        ],
    )


# --- files that must be refused ----------------------------------------------------------


def bad_files() -> None:
    (HERE / "empty.csv").write_bytes(b"")
    entry("empty.csv", "Zero bytes", declared_format="CSV", error="ファイルが空です")
    (HERE / "whitespace_only.csv").write_bytes(b"\r\n \r\n\t\r\n")
    entry(
        "whitespace_only.csv", "Only blank lines", declared_format="CSV", error="ファイルが空です"
    )
    rng = random.Random(29)
    junk = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(3000))
    (HERE / "binary_junk.csv").write_bytes(junk)
    entry(
        "binary_junk.csv",
        "An image saved as .csv",
        declared_format="CSV",
        error="テキストファイルとして読めません",
    )
    (HERE / "html_page.csv").write_text(
        "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
        "<body><h1>ページが見つかりません</h1></body></html>\n",
        encoding="utf-8",
    )
    entry(
        "html_page.csv",
        "An HTML error page downloaded instead of the CSV",
        declared_format="CSV",
        error="HTML",
    )
    (HERE / "no_table.txt").write_text(
        "つなぐ市のオープンデータについて\r\n\r\nこのページでは市が公開しているデータを紹介します。\r\n"
        "データの利用にあたっては利用規約をご確認ください。\r\n問合せ先：情報政策課\r\n",
        encoding="utf-8",
    )
    entry(
        "no_table.txt",
        "Prose, one sentence per line: no table",
        declared_format="TXT",
        error="表が見つかりません",
    )

    bomb = HERE / "zip_bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member, text in (
            ("[Content_Types].xml", "<Types/>"),
            ("xl/workbook.xml", "<workbook/>"),
        ):
            archive.writestr(zipfile.ZipInfo(member, FIXED_ZIP_TIME), text)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, bytes(50 << 20), compresslevel=9)  # 50 MB of zeros
    assert bomb.stat().st_size < 100_000
    entry(
        "zip_bomb.xlsx",
        "A zip bomb named .xlsx: 50 MB of zeros compressed ~1000:1",
        declared_format="XLSX",
        error="展開後のサイズが大きすぎます",
    )

    (HERE / "corrupt.xlsx").write_bytes((HERE / "xlsx_title_rows.xlsx").read_bytes()[:700])
    entry("corrupt.xlsx", "A truncated XLSX download", declared_format="XLSX", error="壊れている")


BUILDERS = [
    utf8_bom_population,
    utf8_facilities,
    sjis_aed,
    eucjp_shelters,
    utf16_budget,
    library_loans,
    semicolon_events,
    quoted_multiline,
    title_unit_notes,
    blank_rows_middle,
    ragged_rows,
    duplicate_empty_headers,
    wareki_dates,
    fullwidth_numbers,
    times_bools,
    latlon_codes,
    formula_injection,
    multiline_header,
    combined_messy,
    pipe_delimited,
    header_only,
    xlsx_title_rows,
    xlsx_merged_header,
    xlsx_two_sheets,
    xlsx_typed_cells,
    ods_population,
    xls_legacy,
    json_array,
    json_data_wrapped,
    geojson_points,
    geojson_mixed,
    bad_files,
]


def main() -> None:
    MANIFEST.clear()
    for build in BUILDERS:
        build()
    doc = {
        "about": (
            "Expected results for the datastore ingest corpus, generated by make_corpus.py. "
            "declared_format is the fmt a resource would declare. header_line is 0 for JSON. "
            "samples: row = 0-based data row, line = 1-based source line, raw = the cell as "
            "read (dates/times as ISO text, null for empty), value = after type inference "
            "(int/numeric as numbers, date YYYY-MM-DD, timestamp YYYY-MM-DDTHH:MM:SS, time "
            "HH:MM:SS, bool true/false, text with full-width ASCII made half-width and "
            "surrounding spaces removed; null for missing). notes/warnings are substrings."
        ),
        "files": MANIFEST,
    }
    (HERE / "manifest.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
