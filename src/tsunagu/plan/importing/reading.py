"""Reading a plan table with the datastore's own reader (datastore/ingest/readers.py), which
already copes with what prefectural sheets look like: Excel, ODS or CSV in any encoding, title
rows above the header, headers over two rows (工程表 over R2年度 | R3年度 | R4年度), notes below,
and merged cells (reported with the rows they span)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from tsunagu.datastore.ingest.model import IngestError
from tsunagu.datastore.ingest.readers import read_table
from tsunagu.errors import ValidationError

MAX_CELLS = 500_000  # a plan of a few hundred measures is far below this


@dataclass
class Table:
    columns: list[str]
    rows: list[tuple[int, list[str]]]  # (line as the sheet numbers it, cells as text)
    header_line: int
    sheet: str
    sheets: list[str]
    # Merged cells below the header: (first line, last line, column).
    merged: list[tuple[int, int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # text found above and below the table
    warnings: list[str] = field(default_factory=list)


def cell_text(value: object) -> str:
    """A cell as text, the way it reads in the sheet (dates as ISO dates, 3.0 as 3)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read(path: Path, name: str, sheet: str | None = None) -> Table:
    """The table in ``path``; ValidationError naming the file when it is not one."""
    try:
        table = read_table(path, sheet=sheet or None, max_cells=MAX_CELLS)
        rows = [(line, [cell_text(c) for c in cells]) for line, cells in table.rows]
    except IngestError as error:
        raise ValidationError(
            {"upload": [f"{name}: 表として読めません: {error} (Not readable as a table)"]}
        ) from None
    info = table.info
    return Table(
        columns=list(table.columns),
        rows=rows,
        header_line=info.header_line,
        sheet=info.sheet or "",
        sheets=list(info.sheets),
        merged=[m for m in info.merged_cells if m[1] > info.header_line],
        notes=list(info.notes),
        warnings=list(info.warnings),
    )
