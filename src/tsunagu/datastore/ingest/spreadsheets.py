"""XLSX, XLS and ODS workbooks through python-calamine.

calamine returns cached formula results, typed cells (int/float/str/bool/date/datetime/time),
and the value of a merged area only in its top-left cell; layout detection handles the rest.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from tsunagu.datastore.ingest.chunks import chunked
from tsunagu.datastore.ingest.containers import (
    check_zip,
    is_encrypted_office,
    xlsx_declared_cells,
    xlsx_error_cells,
)
from tsunagu.datastore.ingest.layout import LOOKAHEAD_ROWS, NO_TABLE, build_table, detect_layout
from tsunagu.datastore.ingest.model import Cell, IngestError, Merge, RawTable, Row, SourceInfo

PROTECTED = "パスワードで保護されたファイルは読めません（保護を外して登録してください）"


def _cell(value: object) -> Cell:
    if type(value) is str:
        return value if value and not value.isspace() else None
    if type(value) is float:
        return int(value) if value.is_integer() else value
    if type(value) is timedelta:
        # Durations come from time-formatted cells; under a day they are clock times.
        seconds = round(value.total_seconds())
        if 0 <= seconds < 86400:
            return time(seconds // 3600, seconds // 60 % 60, seconds % 60)
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return value


def _rows(sheet: CalamineSheet) -> Iterator[Row]:
    # calamine's rows start at the sheet's first row, cells at its first used column.
    for index, values in enumerate(sheet.iter_rows()):
        yield index + 1, [_cell(v) for v in values]


def _merges(sheet: CalamineSheet, col_offset: int) -> list[Merge]:
    try:
        ranges = sheet.merged_cell_ranges or []
    except CalamineError:
        return []
    return [(r0 + 1, c0 - col_offset, r1 + 1, c1 - col_offset) for (r0, c0), (r1, c1) in ranges]


def _open(path: Path, fmt: str) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise IngestError(PROTECTED) from None
    except (CalamineError, OSError, ValueError):
        if fmt == "XLS" and is_encrypted_office(path):
            raise IngestError(PROTECTED) from None
        raise IngestError(f"{fmt} ファイルが壊れているため開けません") from None


def _sheet(
    book: CalamineWorkbook, path: Path, name: str, fmt: str, max_cells: int
) -> CalamineSheet:
    too_many = f"シート「{name}」のセルの数が上限（{max_cells:,}）を超えています"
    # calamine loads a whole sheet at once: refuse a huge one by its declared size first.
    if fmt == "XLSX" and (xlsx_declared_cells(path, name) or 0) > max_cells:
        raise IngestError(too_many)
    try:
        sheet = book.get_sheet_by_name(name)
    except (CalamineError, ValueError):
        raise IngestError(f"シート「{name}」が壊れているため読めません") from None
    if sheet.total_height * max(sheet.width, 1) > max_cells:
        raise IngestError(too_many)
    return sheet


def read_spreadsheet(path: Path, fmt: str, *, sheet: str | None, max_cells: int) -> RawTable:
    if fmt in ("XLSX", "ODS"):
        check_zip(path)
    book = _open(path, fmt)
    names = list(book.sheet_names)
    info = SourceInfo(format=fmt, sheets=names)
    if sheet is not None:
        if sheet not in names:
            raise IngestError(f"シート「{sheet}」がありません（シート: {'、'.join(names)}）")
        candidates = [sheet]
    else:
        # Visible worksheets first: hidden ones tend to hold lookup lists, not the data.
        meta = {m.name: m for m in book.sheets_metadata}
        worksheets = [n for n in names if n not in meta or meta[n].typ == SheetTypeEnum.WorkSheet]
        candidates = sorted(
            worksheets, key=lambda n: n in meta and meta[n].visible != SheetVisibleEnum.Visible
        )
    for name in candidates:
        ws = _sheet(book, path, name, fmt, max_cells)
        col_offset = ws.start[1] if ws.start else 0
        rows = _rows(ws)
        head = list(itertools.islice(rows, LOOKAHEAD_ROWS))
        if sheet is None:
            try:
                layout = detect_layout(head)
            except IngestError:
                continue
            if len(layout.columns) < 2 or layout.body_rows == 0:
                continue
        elif not any(cells.count(None) < len(cells) for _, cells in head):
            raise IngestError(f"シート「{name}」は空です")
        info.sheet = name
        if fmt == "XLSX" and (errors := xlsx_error_cells(path, name)):
            info.warnings.append(
                f"Excel のエラー値（#N/A など）のセルが {errors} 個あり、空欄にしました"
            )
        return build_table(
            chunked(rows),
            info,
            max_cells=max_cells,
            ragged=False,
            merges=_merges(ws, col_offset),
            col_offset=col_offset,
            head=head,
        )
    sheets = f"（シート: {'、'.join(names)}）" if len(names) > 1 else ""
    raise IngestError(NO_TABLE + sheets)
