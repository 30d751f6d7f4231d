"""An オープンデータ一覧 file (standard A-06) read into rows, for the オープンデータ一覧 harvester.

The file is read by the datastore's reader (``datastore/ingest/readers.py``): CSV in UTF-8
(with or without BOM) or Shift_JIS/cp932, TSV, XLSX/XLS/ODS; title rows above the table and
「※」 notes below it are set aside, full-width ASCII is folded. Columns are matched to the
standard's fields by the project's column key (``quality/standards/matching.py``: full/half
width, spaces, brackets, ``_``, its aliases), then by the other names municipalities give the
same columns (データ名称, データ形式, キーワード, 利用条件 …). Only データセット名 and URL are
required; a file without either is refused as a whole, naming the columns it has.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tsunagu.catalog.local_codes import check_digit, is_valid_local_gov_code
from tsunagu.datastore.ingest.dates import parse_date
from tsunagu.datastore.ingest.model import Cell, IngestError
from tsunagu.datastore.ingest.readers import read_table
from tsunagu.datastore.ingest.text import normalize_text
from tsunagu.quality.areas import area
from tsunagu.quality.standards.matching import column_key, match_column
from tsunagu.quality.standards.model import get_standard

# The standard's field → the name used here.
_STANDARD = {
    "全国地方公共団体コード": "code",
    "ID": "id",
    "地方公共団体名": "government",
    "データセット名": "title",
    "概要": "notes",
    "分類": "category",
    "ファイル形式": "formats",
    "更新頻度": "frequency",
    "ライセンス": "license",
    "公開日": "issued",
    "URL": "url",
    "備考": "remarks",
}
# Other names for the same columns (and two columns the standard lacks: keywords, modified).
_OTHER_NAMES: dict[str, tuple[str, ...]] = {
    "code": ("地方公共団体コード", "自治体コード", "市区町村コード", "団体コード", "lgcode"),
    "id": ("データID", "データセットID", "識別子", "identifier"),
    "government": ("団体名", "自治体名", "市区町村名", "地方自治体名"),
    "title": (
        "データ名称", "データ名", "データセット名称", "データセット", "名称", "タイトル", "title",
    ),
    "notes": ("データ概要", "説明", "内容", "データの説明", "description"),
    "category": ("カテゴリ", "カテゴリー", "分野", "category"),
    "keywords": ("キーワード", "タグ", "keyword", "keywords", "tags"),
    "formats": ("データ形式", "形式", "フォーマット", "format"),
    "frequency": ("更新間隔", "frequency"),
    "license": ("利用条件", "利用規約", "license", "licence"),
    "issued": ("掲載日", "公開年月日", "登録日", "issued"),
    "modified": ("最終更新日", "更新日", "最終更新年月日", "modified"),
    "url": (
        "データURL", "ダウンロードURL", "掲載URL", "ページURL", "リンク", "リンク先", "掲載ページ",
    ),
    "remarks": ("注記", "補足", "特記事項", "remarks", "note"),
}  # fmt: skip
_BY_KEY = {column_key(n): f for f, names in _OTHER_NAMES.items() for n in names}
_TRAILING_NOTE = re.compile(r"[(（][^()（）]*[)）]$")
_REQUIRED = (("title", "データセット名"), ("url", "URL"))
_URL_SPLIT = re.compile(r"[\s、；;]+")
MAX_CELLS = 5_000_000


class ListFileError(Exception):
    """The file as a whole cannot be read as an オープンデータ一覧."""

    def __init__(self, message: str, other_sheets: list[str] | None = None) -> None:
        super().__init__(message)
        self.other_sheets = other_sheets or []  # a workbook's other sheets, to try next


@dataclass
class ListRow:
    line: int  # 1-based line (CSV) or row (spreadsheet) in the file
    values: dict[str, str]  # field → text ("" when empty); several URLs joined by newlines
    code: str = ""  # the 6-digit 全国地方公共団体コード ("" when none)
    urls: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class ListTable:
    columns: list[str]  # as the file names them
    rows: list[ListRow]
    notes: list[str]  # text around the table (title rows, 「※」 notes)


def field_of(column: str) -> str | None:
    """The field a column of the file means, or None."""
    standard_field = match_column(column, get_standard("opendata_list"))
    if standard_field is not None:
        return _STANDARD.get(standard_field)
    found = _BY_KEY.get(column_key(column))
    if found is None:
        bare = _TRAILING_NOTE.sub("", unicodedata.normalize("NFKC", column).strip())
        found = _BY_KEY.get(column_key(bare)) if bare != column else None
    return found


def _mapping(columns: list[str]) -> dict[int, str]:
    """Column index → field; the first column of a field keeps it, except URL columns, which
    may be several (「URL（CSV）」「URL（PDF）」: one file each)."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index, column in enumerate(columns):
        found = field_of(column)
        if found is None or (found in taken and found != "url"):
            continue
        mapping[index] = found
        taken.add(found)
    missing = [label for name, label in _REQUIRED if name not in taken]
    if missing:
        named = "、".join(f"「{c}」" for c in columns[:40]) or "（なし）"
        wanted = "、".join(f"「{m}」" for m in missing)
        raise ListFileError(
            f"オープンデータ一覧の列 {wanted} が見つかりません（データセット名は「データ名称」"
            f"「タイトル」、URL は「リンク」などの名前でも読めます）。見つかった列: {named} "
            "(Required columns missing)"
        )
    return mapping


def local_gov_code(cell: Cell) -> tuple[str, str]:
    """(the 6-digit code, a problem) for a 全国地方公共団体コード cell. Five digits are the code
    without its check digit; a spreadsheet number may have lost its leading zero (北海道 01…)."""
    text = normalize_text(cell) or ""
    if not text:
        return "", ""
    digits = text.replace("-", "")
    candidates: list[str] = []
    if re.fullmatch(r"[0-9]{6}", digits):
        candidates = [digits]
    elif re.fullmatch(r"[0-9]{5}", digits):
        candidates = [digits + check_digit(digits), "0" + digits]
    elif re.fullmatch(r"[0-9]{4}", digits):
        candidates = ["0" + digits + check_digit("0" + digits)]
    valid = [c for c in candidates if is_valid_local_gov_code(c)]
    if not valid:
        return "", (
            f"全国地方公共団体コード「{text}」が正しくありません（6 桁で、最後の 1 桁は検査数字"
            "です） (Invalid local government code)"
        )
    return next((c for c in valid if area(c) is not None), valid[0]), ""


def http_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in text


def _text(cell: Cell) -> str:
    """A cell's text as written (stripped): names, titles and notes keep their full-width
    letters and brackets; only codes, URLs, dates and formats are folded where they are read."""
    folded = normalize_text(cell)
    if folded is None:
        return ""
    return cell.strip() if isinstance(cell, str) else folded


def _date(cell: Cell) -> str:
    """ISO day for 公開日/最終更新日 (和暦 and full-width digits too); the text if unreadable."""
    try:
        day = parse_date(cell)
    except ValueError:
        return _text(cell)
    return day.isoformat() if day is not None else ""


def _row(line: int, cells: list[Cell], mapping: dict[int, str]) -> ListRow | None:
    values: dict[str, str] = {}
    urls: list[str] = []
    code_cell: Cell = None
    for index, name in mapping.items():
        cell = cells[index]
        if name == "url":
            urls += [u for u in _URL_SPLIT.split(normalize_text(cell) or "") if u]
        elif name == "code":
            code_cell = cell
        elif name in ("issued", "modified"):
            values[name] = _date(cell)
        else:
            values[name] = _text(cell)
    if not any(values.values()) and not urls and normalize_text(code_cell) is None:
        return None
    row = ListRow(line=line, values=values)
    row.code, problem = local_gov_code(code_cell)
    if problem:
        row.problems.append(problem)
    row.values["code_text"] = normalize_text(code_cell) or ""
    for url in dict.fromkeys(urls):
        if http_url(url):
            row.urls.append(url)
        else:
            row.problems.append(
                f"URL「{url[:200]}」が正しくありません（http:// か https:// で始まる URL を"
                "書いてください） (Invalid URL)"
            )
    if not urls:
        row.problems.append(
            "URL がありません（公開前の行なら、公開したときに URL を書いてください） (Missing URL)"
        )
    return row


def _read(path: Path, sheet: str | None) -> ListTable:
    """One table of the file; a ListFileError says which sheets the workbook has."""
    table = read_table(path, sheet=sheet, max_cells=MAX_CELLS)
    try:
        mapping = _mapping(table.columns)
        rows = [r for line, cells in table.rows if (r := _row(line, cells, mapping))]
    except ListFileError as error:
        others = [n for n in table.info.sheets if n != table.info.sheet]
        raise ListFileError(str(error), others) from None
    finally:
        close = getattr(table.rows, "close", None)
        if close is not None:
            close()  # a text file's rows hold the file open until read or closed
    return ListTable(columns=list(table.columns), rows=rows, notes=list(table.info.notes))


def read_list(content: bytes, *, suffix: str = "", sheet: str | None = None) -> ListTable:
    """The rows of an オープンデータ一覧 file; ListFileError when it cannot be read as one. In a
    workbook: the sheet named, else the first sheet with a table, else the next one with the
    list's columns (a cover sheet or a sheet of notes may come first)."""
    with tempfile.TemporaryDirectory(prefix="tsunagu-list-") as folder:
        path = Path(folder) / f"list{suffix}"
        path.write_bytes(content)
        try:
            return _read(path, sheet)
        except ListFileError as error:
            if sheet is None:
                for other in error.other_sheets:
                    try:
                        return _read(path, other)
                    except (ListFileError, IngestError):
                        continue
            raise
        except IngestError as error:
            raise ListFileError(f"表として読めません: {error}") from None


def suffix_of(url: str) -> str:
    """The file's extension from its URL (a tie-break for the reader only: content decides)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z]{2,5}", suffix) else ""
