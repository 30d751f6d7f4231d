"""Shared helpers for the demo file generators: encodings, 和暦, Excel, PDF and geography.

Every generator must be byte-for-byte deterministic, so nothing here reads the clock and every
random choice goes through a `random.Random` seeded from the file name.
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from tsunagu.demo.places import PREF_NAME, Area, Municipality

Row = Sequence[object]

# Fixed instants so generated files never carry the time they were made.
FIXED_DATETIME = datetime(2025, 4, 1, 9, 0, 0)
ZIP_TIMESTAMP = (2025, 4, 1, 9, 0, 0)

# Where the demo catalog's pages are taken to live, for absolute URLs in files (the standard's
# URL columns want https://…). A reserved TLD, like the demo's mail addresses.
PORTAL_URL = "https://opendata.tsunagu.example"

DEMO_NOTE = "※本データはデモ用に作成した架空のデータです（地名・施設名以外の値は実在しません）。"


def rng_for(key: str) -> random.Random:
    """A generator seeded from a stable string (hash() is salted per process, crc32 is not)."""
    return random.Random(zlib.crc32(key.encode("utf-8")))


# --- text conventions seen in municipal files -------------------------------------------------

_ZENKAKU = str.maketrans("0123456789-,.", "０１２３４５６７８９－，．")
_KANJI_DIGITS = "〇一二三四五六七八九十"


def zenkaku(value: object) -> str:
    """Half-width digits to full-width (１２３), as typed by hand in many Excel-born files."""
    return str(value).translate(_ZENKAKU)


def kanji_number(n: int) -> str:
    """1..99 in kanji (三丁目, 十二丁目)."""
    if n <= 10:
        return _KANJI_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _KANJI_DIGITS[tens]
    return f"{head}十{_KANJI_DIGITS[ones] if ones else ''}"


def thousands(n: int) -> str:
    return f"{n:,}"


def sankaku(n: float, *, digits: int = 0, comma: bool = True) -> str:
    """Japanese accounting negative: △1,234 instead of -1234."""
    body = f"{abs(n):,.{digits}f}" if comma else f"{abs(n):.{digits}f}"
    return f"△{body}" if n < 0 else body


MISSING = "－"  # full-width hyphen-minus, the usual 'no value' mark


_ERAS = (
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
    (date(1926, 12, 25), "昭和", "S"),
    (date(1912, 7, 30), "大正", "T"),
    (date(1868, 10, 23), "明治", "M"),
)


def wareki(d: date, style: str = "long") -> str:
    """Japanese era dates: long 令和5年4月1日 (元年 for year 1), short R5.4.1, year 令和5年."""
    era = next((e for e in _ERAS if d >= e[0]), None)
    if era is None:
        raise ValueError(f"date before 明治: {d}")
    start, name, initial = era
    year = d.year - start.year + 1
    if style == "short":
        return f"{initial}{year}.{d.month}.{d.day}"
    year_text = "元" if year == 1 else str(year)
    if style == "year":
        return f"{name}{year_text}年"
    return f"{name}{year_text}年{d.month}月{d.day}日"


def fiscal_wareki(fiscal_year: int) -> str:
    """令和6年度 for FY2024 (April start)."""
    return wareki(date(fiscal_year, 4, 1), "year") + "度"


# --- geography -------------------------------------------------------------------------------


def jitter(
    rng: random.Random, lat: float, lon: float, spread: float = 0.006
) -> tuple[float, float]:
    """A point near (lat, lon); the spread is small so points stay inside the district."""
    return (
        round(lat + rng.uniform(-spread, spread), 6),
        round(lon + rng.uniform(-spread * 1.2, spread * 1.2), 6),
    )


def house_number(rng: random.Random, area: Area, *, style: str = "hyphen") -> str:
    """The part after the 町字: 3丁目12-5, 1234番地, or 1234-5, depending on the district."""
    if area.chome:
        chome = rng.randint(1, area.chome)
        if style == "kanji":
            return f"{kanji_number(chome)}丁目{rng.randint(1, 30)}番{rng.randint(1, 25)}号"
        return f"{chome}丁目{rng.randint(1, 30)}-{rng.randint(1, 25)}"
    number = rng.randint(1, 3999)
    if style == "kanji" or rng.random() < 0.4:
        return f"{number}番地"
    return f"{number}-{rng.randint(1, 12)}"


def full_address(muni: Municipality, area: Area, number: str) -> str:
    return f"{PREF_NAME}{muni.name}{area.town}{number}"


def phone(rng: random.Random, muni: Municipality) -> str:
    return f"{rng.choice(muni.exchanges)}-{rng.randint(0, 9999):04d}"


# --- file encoders ---------------------------------------------------------------------------


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Row],
    *,
    encoding: str = "utf-8-sig",
    quote_all: bool = False,
    preamble: Iterable[Row] = (),
    footer: Iterable[Row] = (),
) -> bytes:
    """CRLF CSV like Excel writes it; encoding errors raise so cp932 files stay valid."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer,
        lineterminator="\r\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerows(preamble)
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    writer.writerows(footer)
    return buffer.getvalue().encode(encoding)


def json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def new_workbook() -> Workbook:
    workbook = Workbook()
    props = workbook.properties
    props.creator = "山口県オープンデータ デモ"
    props.lastModifiedBy = "山口県オープンデータ デモ"
    props.created = FIXED_DATETIME
    props.modified = FIXED_DATETIME
    return workbook


def workbook_bytes(workbook: Workbook) -> bytes:
    """Save, then rewrite the zip with fixed timestamps.

    openpyxl stamps zip entries and dcterms:modified with now() while saving, so both are
    replaced here to keep the bytes identical from run to run.
    """
    raw = io.BytesIO()
    workbook.save(raw)
    workbook.properties.created = FIXED_DATETIME
    workbook.properties.modified = FIXED_DATETIME
    core_xml = tostring(workbook.properties.to_tree())
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIMESTAMP)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = core_xml if info.filename == "docProps/core.xml" else source.read(info.filename)
            target.writestr(fixed, data)
    return out.getvalue()


_THIN = Side(style="thin")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

NUMBER_FORMAT = "#,##0"
SANKAKU_FORMAT = '#,##0;"△"#,##0'
SANKAKU_DECIMAL_FORMAT = '0.0;"△"0.0'


def write_table(
    sheet: Worksheet,
    header: Sequence[str],
    rows: Iterable[Row],
    *,
    title: str | None = None,
    unit: str | None = None,
    note: str | None = None,
    number_formats: dict[int, str] | None = None,
    widths: Sequence[int] | None = None,
) -> int:
    """Write a statistics-office style table; returns the header row number (1-based)."""
    row_no = 1
    if title:
        sheet.cell(row_no, 1, title).font = Font(bold=True, size=12)
        row_no += 1
    if unit:
        sheet.cell(row_no, len(header), unit).alignment = Alignment(horizontal="right")
        row_no += 1
    header_row = row_no
    for col, name in enumerate(header, start=1):
        cell = sheet.cell(header_row, col, name)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = CENTER
    row_no += 1
    for values in rows:
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row_no, col, value)
            cell.border = BORDER
            if number_formats and col in number_formats and isinstance(value, int | float):
                cell.number_format = number_formats[col]
        row_no += 1
    if note:
        sheet.cell(row_no + 1, 1, note)
    set_widths(sheet, widths or [max(8, min(24, len(h) * 2 + 2)) for h in header])
    return header_row


def set_widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width


# --- a tiny valid PDF, written by hand ------------------------------------------------------


def _pdf_text(text: str) -> str:
    # UTF-16BE hex for the Type0 font with the UniJIS-UCS2-H CMap.
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


def pdf_bytes(title: str, pages: Sequence[Sequence[str]]) -> bytes:
    """A PDF 1.4 with Japanese text in the non-embedded HeiseiKakuGo-W5 font (A4 pages).

    Lines starting with '# ' are drawn larger as headings. Offsets in the xref table are
    computed from the bytes actually written, so the file opens in strict readers.
    """
    page_count = len(pages)
    font_id = 3 + 2 * page_count
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        (
            "<< /Type /Pages /Kids ["
            + " ".join(f"{3 + 2 * i} 0 R" for i in range(page_count))
            + f"] /Count {page_count} >>"
        ).encode("ascii"),
    ]
    for index, lines in enumerate(pages):
        ops = ["BT", "1 0 0 1 56 780 Tm"]
        for line in lines:
            size, text = (16, line[2:]) if line.startswith("# ") else (10.5, line)
            ops.append(f"/F1 {size} Tf")
            ops.append(f"{_pdf_text(text)} Tj")
            ops.append(f"0 -{size * 1.8:.1f} Td")
        ops.append("ET")
        footer = f"- {index + 1} / {page_count} -"
        ops += ["BT", "/F1 9 Tf", "1 0 0 1 280 30 Tm", f"{_pdf_text(footer)} Tj", "ET"]
        stream = "\n".join(ops).encode("ascii")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> "
            f"/Contents {4 + 2 * index} 0 R >>".encode("ascii")
        )
        objects.append(
            f"<< /Length {len(stream)} >>\nstream\n".encode("ascii") + stream + b"\nendstream"
        )
    objects.append(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiKakuGo-W5 "
        f"/Encoding /UniJIS-UCS2-H /DescendantFonts [{font_id + 1} 0 R] >>".encode("ascii")
    )
    objects.append(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiKakuGo-W5 "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> "
        b"/FontDescriptor " + f"{font_id + 2} 0 R".encode("ascii") + b" /DW 1000 /W [1 95 500] >>"
    )
    objects.append(
        b"<< /Type /FontDescriptor /FontName /HeiseiKakuGo-W5 /Flags 4 "
        b"/FontBBox [-92 -250 1010 922] /ItalicAngle 0 /Ascent 752 /Descent -221 "
        b"/CapHeight 737 /StemV 114 >>"
    )
    info_title = "<FEFF" + title.encode("utf-16-be").hex().upper() + ">"
    objects.append(
        f"<< /Title {info_title} /Producer (tsunagu demo) "
        f"/CreationDate (D:20250401090000+09'00') >>".encode("ascii")
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode("ascii")
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode("ascii")
    return bytes(out)


# --- facility names --------------------------------------------------------------------------

# Facility types as (name suffix, kana, English); names are built as 長府 + 小学校.
KINDS: dict[str, tuple[str, str, str]] = {
    "es": ("小学校", "ショウガッコウ", "Elementary School"),
    "jhs": ("中学校", "チュウガッコウ", "Junior High School"),
    "kominkan": ("公民館", "コウミンカン", "Community Hall"),
    "center": ("地域交流センター", "チイキコウリュウセンター", "Community Center"),
    "park": ("公園", "コウエン", "Park"),
    "ground": ("運動広場", "ウンドウヒロバ", "Sports Ground"),
    "gym": ("地区体育館", "チクタイイクカン", "District Gymnasium"),
    "branch": ("支所", "シショ", "Branch Office"),
    "library": ("図書館", "トショカン", "Library"),
    "welfare": ("老人憩の家", "ロウジンイコイノイエ", "Senior Citizens' Lounge"),
    "nursery": ("保育園", "ホイクエン", "Nursery School"),
    "kinder": ("幼稚園", "ヨウチエン", "Kindergarten"),
    "jidokan": ("児童館", "ジドウカン", "Children's Center"),
    "kosodate": ("子育て支援センター", "コソダテシエンセンター", "Child-rearing Support Center"),
    "gakudo": ("放課後児童クラブ", "ホウカゴジドウクラブ", "After-school Club"),
    "toilet": ("公衆トイレ", "コウシュウトイレ", "Public Toilet"),
}


class Site:
    """A generated facility: real district, fictional house number and jittered position."""

    __slots__ = ("area", "en", "kana", "kind", "lat", "lon", "name", "number")

    def __init__(
        self, rng: random.Random, area: Area, kind: str, *, number_style: str = "hyphen"
    ) -> None:
        suffix, suffix_kana, suffix_en = KINDS[kind]
        self.kind = kind
        self.area = area
        self.name = f"{area.label}{suffix}"
        self.kana = f"{area.kana}{suffix_kana}"
        self.en = f"{area.roman} {suffix_en}"
        self.number = house_number(rng, area, style=number_style)
        self.lat, self.lon = jitter(rng, area.lat, area.lon)


def sites(
    rng: random.Random,
    muni: Municipality,
    kinds: Sequence[str],
    *,
    share: float = 1.0,
    number_style: str = "hyphen",
) -> list[Site]:
    """One site per (area, kind), keeping each with probability `share` (order is stable)."""
    found = []
    for area in muni.areas:
        for kind in kinds:
            if share >= 1.0 or rng.random() < share:
                found.append(Site(rng, area, kind, number_style=number_style))
    return found


LOCATION_COLUMNS = [
    "所在地_全国地方公共団体コード",
    "町字ID",
    "所在地_連結表記",
    "所在地_都道府県",
    "所在地_市区町村",
    "所在地_町字",
    "所在地_番地以下",
    "建物名等(方書)",
    "緯度",
    "経度",
]


def location_values(muni: Municipality, site: Site, building: str = "") -> list[object]:
    """Values for LOCATION_COLUMNS (町字ID left empty, as most municipalities do)."""
    return [
        muni.code,
        "",
        full_address(muni, site.area, site.number) + (f" {building}" if building else ""),
        PREF_NAME,
        muni.name,
        site.area.town,
        site.number,
        building,
        site.lat,
        site.lon,
    ]


def location_record(muni: Municipality, site: Site, building: str = "") -> dict[str, object]:
    """LOCATION_COLUMNS → value, for rows built as records."""
    return dict(zip(LOCATION_COLUMNS, location_values(muni, site, building), strict=True))


# The contact block shared by most facility sets (preschool and care insert FAX番号 after 内線番号).
CONTACT_COLUMNS = [
    "電話番号",
    "内線番号",
    "連絡先メールアドレス",
    "連絡先FormURL",
    "連絡先備考（その他、SNSなど）",
    "郵便番号",
]
IMAGE_COLUMNS = ["画像", "画像_ライセンス"]
HEIGHT_COLUMNS = ["高度の種別", "高度の値"]


def project(
    header: Sequence[str], record: dict[str, object], *, allowed: Iterable[str] = ()
) -> list[object]:
    """The record's values in header order ("" where it has none).

    A key that is neither in `header` nor in `allowed` (the clean layout, for an older layout
    that drops columns) is a typo in a generator, so it raises instead of vanishing.
    """
    unknown = set(record) - set(header) - set(allowed)
    if unknown:
        raise ValueError(f"columns not in the header: {sorted(unknown)}")
    return [record.get(name, "") for name in header]


def corporate_number(local_gov_code: str) -> str:
    """法人番号 of a local government: check digit + 000020 + its 6-digit code.

    The check digit is 9 − (Σ Pn×Qn mod 9), Pn the n-th digit from the right of the 12-digit
    base and Qn 1 for odd n, 2 for even n (法人番号の指定等に関する省令 第2条).
    """
    base = f"000020{local_gov_code}"
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1))
    return f"{9 - total % 9}{base}"
