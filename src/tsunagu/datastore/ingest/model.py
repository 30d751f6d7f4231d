"""Shared shapes of the ingest pipeline: what readers produce and what inference decides."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

# Column types, as CKAN's datastore names them (PostgreSQL type names).
ColumnType = Literal["int", "numeric", "date", "timestamp", "time", "bool", "text"]
COLUMN_TYPES: tuple[ColumnType, ...] = (
    "int",
    "numeric",
    "date",
    "timestamp",
    "time",
    "bool",
    "text",
)

# A raw cell: text from CSV; text, number, bool or date/time objects from spreadsheets.
Cell = object


class IngestError(Exception):
    """A file that cannot be read, with where the problem is (1-based, None when unknown)."""

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None) -> None:
        where = []
        if line is not None:
            where.append(f"{line} 行目")
        if column is not None:
            where.append(f"列「{column}」")
        super().__init__(f"{'、'.join(where)}: {message}" if where else message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class SourceInfo:
    """What was detected about the file, reported to staff after ingest."""

    format: str  # "CSV", "TSV", "XLSX", "XLS", "ODS", "JSON", "GeoJSON"
    encoding: str | None = None  # e.g. "utf-8-sig", "cp932", "euc_jp"
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    header_line: int = 1  # 1-based line/row of the (last) header row in the source
    # Text found around the table: title and unit rows above, 「※…」 notes below.
    notes: list[str] = field(default_factory=list)
    # Problems that did not stop the ingest (ragged rows padded, duplicate names renamed …).
    warnings: list[str] = field(default_factory=list)
    # Layout facts for the quality checks, which report each problem at its source line.
    title_lines: list[int] = field(default_factory=list)  # non-blank rows above the header
    header_lines: list[int] = field(default_factory=list)  # the header rows (several: merged)
    unit_line: int | None = None  # a unit row (「人」「千円」) right under the header
    notes_above: int = 0  # how many of `notes` were found above the table
    unnamed_columns: dict[str, int] = field(default_factory=dict)  # given name → 1-based column
    renamed_columns: dict[str, str] = field(default_factory=dict)  # new name → name as written
    # Merged cells in or under the header (spreadsheets): first line, last line, column name.
    merged_cells: list[tuple[int, int, str]] = field(default_factory=list)
    header_width: int = 0  # cells in the (last) header row
    # Set by a consumer before iterating the rows: called with every row below the header
    # (data, notes, blank rows) that is blank or has another cell count than the header row.
    row_observer: Callable[[int, list[object]], None] | None = None


@dataclass
class RawTable:
    """A table as found in the source: one flattened header and a stream of rows."""

    columns: list[str]  # unique, non-empty names, in order
    # (1-based source line, cells); cells exactly len(columns) long, None for an empty cell.
    # Notes below the table are only known at the end: info.notes is complete once the
    # iterator is exhausted.
    rows: Iterator[Row]
    info: SourceInfo


Row = tuple[int, list[Cell]]  # (1-based source line, cells)
Merge = tuple[int, int, int, int]  # first line, first column, last line, last column (inclusive)


@dataclass
class Layout:
    """Where the header and the data are in a sheet or file (layout.detect_layout)."""

    columns: list[str]
    source_cols: list[int]  # index into the source row of each column
    header_line: int
    header_width: int  # cells in the (last) header row: longer rows are ragged
    named_width: int  # cells up to the last named column: shorter rows are ragged
    body_start: int  # index into the detection rows of the first row after the header
    body_rows: int  # data rows seen in the lookahead
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    title_lines: list[int] = field(default_factory=list)
    header_lines: list[int] = field(default_factory=list)
    unit_line: int | None = None
    unnamed: dict[str, int] = field(default_factory=dict)  # given name → 1-based column
    renamed: dict[str, str] = field(default_factory=dict)  # new name → name as written
