"""The personal-data scan of a file: every cell of every sheet, findings masked, one pass.

This module reads the file (every sheet of a workbook), plans each table from its header and a
sample, and hands the rows over a chunk at a time; what in a row is personal data is decided in
table_scan.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tsunagu.datastore.ingest.layout import NO_TABLE
from tsunagu.datastore.ingest.model import IngestError
from tsunagu.datastore.ingest.readers import read_table
from tsunagu.quality.findings import Report
from tsunagu.quality.pii.columns import SAMPLE_ROWS, plan_table
from tsunagu.quality.pii.messages import not_scanned
from tsunagu.quality.pii.table_scan import Row, TableScan
from tsunagu.quality.standards import guess_standard

if TYPE_CHECKING:
    from tsunagu.quality.standards import Standard

_WORKBOOKS = ("XLSX", "XLS", "ODS")
EMPTY_SHEET = "は空です"  # the reader's words for a sheet with no cells
# Cells searched together (see TableScan.chunk): a few MB of text for usual cells; the
# joined and encoded copies of a chunk are what the chunking adds to the memory the rows take.
CHUNK_CELLS = 1 << 16


def chunk_rows(width: int) -> int:
    """Rows taken at a time from a table of `width` columns."""
    return max(1, CHUNK_CELLS // max(width, 1))


@dataclass
class PiiResult:
    report: Report  # error findings block publishing
    rows: int
    scanned: bool  # False when the file (or part of it) could not be read as a table

    @property
    def blocked(self) -> bool:
        return self.report.total("error") > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "rows": self.rows,
            "blocked": self.blocked,
            "report": self.report.to_dict(),
        }


class _ReadFailed(Exception):
    """The reader gave up in the middle of a table."""


def _take(iterator: Iterator[Row], count: int) -> tuple[list[Row], str | None]:
    """The next `count` rows (fewer at the end) and why reading stopped early, if it did.

    Rows read before a reader's failure are kept (list.extend keeps what it took before the
    error); only the reader's own errors are caught, so the scan's bugs still raise.
    """
    rows: list[Row] = []
    try:
        rows.extend(itertools.islice(iterator, count))
    except IngestError as exc:
        return rows, exc.message if exc.line is None else str(exc)
    except (OSError, ValueError, UnicodeError) as exc:
        return rows, f"{type(exc).__name__}"
    return rows, None


def _scan_table(
    columns: list[str],
    rows: Iterable[Row],
    report: Report,
    *,
    standard: Standard | None,
    sheet: str | None,
) -> tuple[int, str | None]:
    """Scan one table into `report`: (rows scanned, why reading stopped early or None).

    Rows read before a reader failure are still scanned: what they hold is reported.
    """
    iterator = iter(rows)
    width = len(columns)
    sample, failure = _take(iterator, SAMPLE_ROWS)
    sample = [(line, _fit(cells, width)) for line, cells in sample]
    if standard is None:
        # The ingest's check and the publishing guard must judge a file alike: both rely on
        # the standard its columns show when none is declared.
        guess = guess_standard(columns)
        standard = guess.standard if guess else None
    plan = plan_table(columns, [cells for _, cells in sample], standard)
    scan = TableScan(plan, report, sheet)
    scan.chunk(sample)
    count = len(sample)
    while failure is None:
        chunk, failure = _take(iterator, chunk_rows(width))
        if not chunk:
            break
        if set(map(len, map(itemgetter(1), chunk))) != {width}:  # from C: rows are rarely short
            chunk = [(line, _fit(cells, width)) for line, cells in chunk]
        scan.chunk(chunk)
        count += len(chunk)
    return count, failure


def _fit(cells: list[object], width: int) -> list[object]:
    if len(cells) == width:
        return cells
    return (list(cells) + [None] * width)[:width]


def scan_rows(
    columns: list[str],
    rows: Iterable[tuple[int, list[object]]],
    *,
    standard: Standard | None = None,
    cap_per_rule: int = 20,
) -> PiiResult:
    """Scan rows already read: (1-based source line, cells) as read_table yields them."""
    report = Report(cap_per_rule)
    count, failure = _scan_table(list(columns), rows, report, standard=standard, sheet=None)
    if failure is not None:
        report.add(not_scanned(failure))
    return PiiResult(report, count, failure is None)


def scan_file(
    path: Path,
    fmt: str | None,
    *,
    sheet: str | None = None,
    standard: Standard | None = None,
    cap_per_rule: int = 20,
) -> PiiResult:
    """Scan a resource file; every sheet of a workbook (`sheet`, when given, goes first).

    The whole file is what gets published, so a workbook's other sheets, hidden ones
    included, are scanned too. Never raises for a bad file: an unreadable file gives
    scanned=False and a `pii.not_scanned` info finding. A sheet that is empty or holds no
    table (a cover page) is skipped, with an info finding for the latter; any other sheet
    that cannot be read, or a table whose reading stops midway, makes scanned False.
    """
    report = Report(cap_per_rule)
    try:
        table = _open(path, fmt, sheet)
    except _ReadFailed as exc:
        report.add(not_scanned(str(exc)))
        return PiiResult(report, 0, False)
    workbook = table.info.format in _WORKBOOKS
    first = table.info.sheet if workbook else None
    count, failure = _scan_table(table.columns, table.rows, report, standard=standard, sheet=first)
    scanned = failure is None
    if failure is not None:
        report.add(not_scanned(failure, first))
    for name in table.info.sheets if workbook else []:
        if name == first:
            continue
        try:
            other = _open(path, fmt, name, fallback=False)
        except _ReadFailed as exc:
            reason = str(exc)
            if EMPTY_SHEET not in reason:
                report.add(not_scanned(reason, name))
                scanned = scanned and NO_TABLE in reason
            continue
        rows, failure = _scan_table(other.columns, other.rows, report, standard=None, sheet=name)
        count += rows
        if failure is not None:
            report.add(not_scanned(failure, name))
            scanned = False
    return PiiResult(report, count, scanned)


def _open(path: Path, fmt: str | None, sheet: str | None, *, fallback: bool = True) -> Any:
    try:
        return read_table(Path(path), fmt, sheet=sheet)
    except IngestError as exc:
        if sheet is not None and fallback:
            return _open(path, fmt, None)
        raise _ReadFailed(exc.message) from None
    except (OSError, ValueError, UnicodeError, KeyError, RuntimeError) as exc:
        raise _ReadFailed(f"ファイルを読めませんでした（{type(exc).__name__}）") from None
