"""The metadata sheet: one row per dataset, read with the datastore's own reader.

The reader (datastore/ingest/readers.py) already copes with what municipal sheets look like:
Excel, ODS or CSV in any encoding, title rows above the header, notes below, merged cells. The
columns are recognised by their names in Japanese or English (the template's names, and those
of the standard オープンデータ一覧, so a city's existing list can serve as the sheet).

What a row cannot mean for certain is said with the row's number: a merged cell (its value
belongs to one row only, the others read empty) is an error; a 和暦 date is read as the date it
names and the row says so.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from tsunagu.catalog.metadata import temporal
from tsunagu.datastore.ingest.eras import ERA_PATTERN, ERA_YEAR_PATTERN
from tsunagu.datastore.ingest.model import IngestError
from tsunagu.datastore.ingest.readers import read_table
from tsunagu.errors import ValidationError
from tsunagu.quality.standards import column_key

# Field → the column names that mean it (compared as quality/standards compares column names:
# width, spaces, brackets and case do not matter).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("URL名", "name", "データセットURL名", "URL名（英数字）"),
    "title": ("タイトル", "データセット名", "title", "データ名"),
    "notes": ("説明", "概要", "description", "notes", "説明文"),
    "files": (
        "ファイル名またはURL",
        "ファイル名",
        "ファイル",
        "file",
        "files",
        "filename",
        "URL",
        "リソース",
        "resources",
    ),
    "license": ("ライセンス", "license", "license_id", "利用条件"),
    "frequency": ("更新頻度", "frequency", "更新周期"),
    "tags": ("タグ", "キーワード", "tags", "keywords"),
    "category": ("カテゴリ", "カテゴリー", "分類", "グループ", "category", "groups"),
    "standard": (
        "標準データセット",
        "自治体標準オープンデータセット",
        "準拠する標準",
        "standard",
        "standard_id",
    ),
    "spatial": ("対象地域", "全国地方公共団体コード", "spatial", "spatial_codes"),
    "temporal_start": ("対象期間（開始）", "期間開始", "開始日", "temporal_start"),
    "temporal_end": ("対象期間（終了）", "期間終了", "終了日", "temporal_end"),
    "issued": ("公開日", "issued"),
    "contact_name": ("担当課", "担当部署", "contact_name"),
    "contact_email": ("連絡先メールアドレス", "メールアドレス", "contact_email"),
    "contact_phone": ("連絡先電話番号", "電話番号", "contact_phone"),
}
# Columns of the standard オープンデータ一覧 that say nothing a dataset here keeps.
IGNORED = ("ID", "No", "番号", "地方公共団体名", "ファイル形式", "備考")
# The template offered for download: the first name of each field.
TEMPLATE_COLUMNS = [names[0] for names in COLUMNS.values()]
DATE_FIELDS = ("temporal_start", "temporal_end", "issued")
_ERA_DATE = re.compile(rf"(?:{ERA_PATTERN})\s*(?:{ERA_YEAR_PATTERN})")
_NOTE_MARK = re.compile(r"^[※＊*]|^注|^出典")

_BY_KEY = {column_key(name): fld for fld, names in COLUMNS.items() for name in names}
_IGNORED_KEYS = {column_key(name) for name in IGNORED}


@dataclass
class SheetRow:
    line: int  # the row's number in the sheet (as Excel shows it)
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Sheet:
    name: str
    columns: dict[str, str]  # field → the column as the sheet names it
    rows: list[SheetRow]
    warnings: list[str] = field(default_factory=list)

    def column(self, fld: str) -> str:
        return self.columns.get(fld, COLUMNS[fld][0])


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _refused(name: str, message: str) -> ValidationError:
    return ValidationError({"sheet": [f"{name}: {message}"]})


def _map_columns(name: str, header: list[str], warnings: list[str]) -> dict[str, int]:
    """Field → the index of the column holding it."""
    found: dict[str, int] = {}
    unknown = []
    for index, column in enumerate(header):
        key = column_key(column)
        fld = _BY_KEY.get(key)
        if fld is None:
            if key not in _IGNORED_KEYS:
                unknown.append(column)
            continue
        if fld in found:
            warnings.append(
                f"{name}: 「{column}」は「{header[found[fld]]}」と同じ項目のため使いません "
                f"(Column {column} repeats {header[found[fld]]}; ignored)"
            )
            continue
        found[fld] = index
    if unknown:
        warnings.append(
            f"{name}: 次の列は使いません: {'、'.join(unknown)} (Columns not used: {', '.join(unknown)})"
        )
    if not {"title", "files", "name"} & found.keys():
        raise _refused(
            name,
            "「タイトル」「ファイル名またはURL」「URL名」のどの列も見つかりません。"
            "1 行目（見出しの行）に列の名前を書いてください "
            "(No title, file or name column found in the sheet's header)",
        )
    return found


def _dates(row: SheetRow, sheet_columns: dict[str, str]) -> None:
    """和暦 in a date column is read as the date it names, and the row says so."""
    for fld in DATE_FIELDS:
        text = row.values.get(fld, "")
        if not text:
            continue
        column = sheet_columns[fld]
        folded = unicodedata.normalize("NFKC", text)
        try:
            iso = temporal.parse_bound(text, end=fld == "temporal_end")
        except ValueError as error:
            row.errors.append(
                f"{row.line}行目「{column}」: {error} (Row {row.line}: {column} is not a date)"
            )
            continue
        if _ERA_DATE.search(folded):
            row.warnings.append(
                f"{row.line}行目「{column}」: 和暦の「{text}」を {iso} と読みました。"
                f"西暦（例: 2024-04-01）で書くと確実です "
                f"(Row {row.line}: Japanese era date {text} read as {iso})"
            )
        row.values[fld] = iso


def _merges(rows: list[SheetRow], merged: list[tuple[int, int, str]], header_line: int) -> None:
    by_line = {row.line: row for row in rows}
    for first, last, column in merged:
        if last <= header_line:
            continue  # in the header: the reader already spread it over the columns
        first = max(first, header_line + 1)
        span = f"{first}行目" if first == last else f"{first}〜{last}行目"
        for line in range(first, last + 1):
            row = by_line.get(line)
            if row is None:
                continue
            row.errors.append(
                f"{line}行目「{column}」: {span}のセルが結合されています。結合を解除して、"
                f"各行に値を入れてください (Row {line}: merged cells in {column}; unmerge them "
                f"and fill in every row)"
            )


def read_sheet(path: Path, name: str) -> Sheet:
    """Read a metadata sheet; ValidationError({"sheet": [...]}) when it is not a table or has
    none of the columns a row needs."""
    try:
        table = read_table(path, max_cells=1_000_000)
        lines = list(table.rows)
    except IngestError as error:
        raise _refused(name, f"表として読めません: {error} (Not readable as a table)") from None
    info = table.info
    warnings: list[str] = []
    found = _map_columns(name, table.columns, warnings)
    columns = {fld: table.columns[index] for fld, index in found.items()}
    rows = []
    for line, cells in lines:
        values = {fld: _text(cells[index]) for fld, index in found.items()}
        if not any(values.values()):
            continue  # a row with text only in columns the sheet does not use
        rows.append(SheetRow(line, values))
    for row in rows:
        _dates(row, columns)
    _merges(rows, info.merged_cells, info.header_line)
    # Rows the reader took for notes under the table: marked ones (※ …) are notes indeed; a row
    # with one cell (only a file name, say) was skipped, and its file is guessed like any other.
    for note in info.notes[info.notes_above :]:
        if not _NOTE_MARK.match(note):
            warnings.append(
                f"{name}: 表の下の「{note[:60]}」の行は、値が 1 つだけのためメモとして読み飛ばし"
                f"ました (A row with a single value under the table was skipped as a note)"
            )
    if not rows:
        raise _refused(name, "データセットの行がありません (The sheet has no dataset rows)")
    return Sheet(name=name, columns=columns, rows=rows, warnings=warnings)
