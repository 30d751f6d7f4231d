"""validate_file: one streaming pass over a tabular file, every rule family at once.

Rows arrive from the datastore reader (read_table) in batches; each column is checked on the
batch's distinct values (see columns.py), coordinates and duplicates per row, and the layout
facts the reader recorded at the end. Findings are formatted only while their rule is under
the report's cap, so a million-row file with one systematic mistake stays cheap.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tsunagu.datastore.ingest.model import IngestError, RawTable
from tsunagu.datastore.ingest.readers import read_table
from tsunagu.quality.findings import Report
from tsunagu.quality.validate.columns import ColumnCheck, Pending
from tsunagu.quality.validate.file import report_file
from tsunagu.quality.validate.geo import CoordinatePair, coordinate_pairs
from tsunagu.quality.validate.layout import RowObserver, report_layout
from tsunagu.quality.validate.plan import Plan, ValidationOptions, make_plan
from tsunagu.quality.validate.rows import DuplicateRows
from tsunagu.quality.validate.sink import Sink

log = logging.getLogger(__name__)

# Small batches: a batch's cells are still in the CPU cache when every check has gone over
# them (512 rows ran about 15 % faster than 2,048). Number columns are inferred from the first
# SETTLE_ROWS rows, which make the first batch.
BATCH_ROWS = 512
SETTLE_ROWS = 2048
UNEXPECTED = "読み取りの途中で予期しない問題が起きました。ファイルが壊れていないか確かめてください"


@dataclass
class ValidationResult:
    report: Report
    rows: int
    columns: list[str]
    source: dict[str, Any] = field(default_factory=dict)
    standard_id: str | None = None  # the standard validated against (declared or guessed)
    guessed: bool = False  # standard_id came from guess_standard

    def to_dict(self) -> dict[str, Any]:
        return {
            "standard_id": self.standard_id,
            "guessed": self.guessed,
            "rows": self.rows,
            "columns": self.columns,
            "source": self.source,
            **self.report.to_dict(),
        }


def validate_file(path: Path, fmt: str | None, options: ValidationOptions) -> ValidationResult:
    """Validate one tabular file. Never raises for a bad file: a file that cannot be read gives
    a result with one `file.unreadable` finding carrying the reader's message."""
    path = Path(path)
    report = Report(options.cap_per_rule)
    sink = Sink(report)
    try:
        table = read_table(path, fmt, sheet=options.sheet)
    except IngestError as exc:
        sink.emit("file.unreadable", detail=str(exc))
        return ValidationResult(report, 0, [], {})
    except Exception:  # a reader bug must not take the job down with it
        log.exception("validate_file could not read %s", path)
        sink.emit("file.unreadable", detail=UNEXPECTED)
        return ValidationResult(report, 0, [], {})

    info = table.info
    observer = RowObserver(info.header_width)
    info.row_observer = observer
    plan = make_plan(table, options, sink)
    try:
        _stream(table, plan, observer, sink)
    except IngestError as exc:
        sink.emit("file.unreadable", row=exc.line, detail=str(exc))
    except Exception:
        log.exception("validate_file failed while reading %s", path)
        sink.emit("file.unreadable", detail=UNEXPECTED)
    finally:
        close = getattr(table.rows, "close", None)
        if close is not None:
            close()
    report_file(info, path, fmt, sink)
    report_layout(info, sink)
    # Whole-file findings first, then by line; within a line the order of discovery.
    report.findings.sort(key=lambda f: (f.row is not None, f.row or 0))
    source = {
        "format": info.format,
        "encoding": info.encoding,
        "delimiter": info.delimiter,
        "sheet": info.sheet,
        "sheets": info.sheets,
        "header_line": info.header_line,
        "notes": info.notes,
        "warnings": info.warnings,
    }
    return ValidationResult(
        report=report,
        rows=plan.rows,
        columns=table.columns,
        source={k: v for k, v in source.items() if v not in (None, [])},
        standard_id=plan.standard_id,
        guessed=plan.guessed,
    )


def _batches(
    rows: Iterator[tuple[int, list[object]]], first: int, size: int
) -> Iterator[list[tuple[int, list[object]]]]:
    """Rows in lists of `size` (the first of `first`); when the reader fails, the rows read
    before still come."""
    count = first
    while True:
        batch: list[tuple[int, list[object]]] = []
        try:
            batch.extend(itertools.islice(rows, count))  # keeps what came before an error
        except IngestError:
            if batch:
                yield batch
            raise
        if not batch:
            return
        yield batch
        count = size


def _stream(table: RawTable, plan: Plan, observer: RowObserver, sink: Sink) -> None:
    checks: list[ColumnCheck] = plan.checks
    pairs: list[CoordinatePair] = coordinate_pairs(plan.columns, plan.shown, plan.area)
    duplicates = DuplicateRows(
        plan.id_column, plan.shown[plan.id_column] if plan.id_column is not None else None
    )
    width = len(plan.columns)
    settled = False
    for batch in _batches(table.rows, SETTLE_ROWS, BATCH_ROWS):
        if not settled:
            plan.settle(batch)
            checks, settled = plan.checks, True
        lines = [line for line, _ in batch]  # twice as fast as zip(*batch) here
        cells = [row for _, row in batch]
        columns = list(zip(*cells, strict=True)) if width else []
        out: list[Pending] = []
        for check in checks:
            check.run(columns[check.index], lines, out)
        for pair in pairs:
            pair.run(columns, lines, out)
        duplicates.run(cells, columns, lines, out)
        observer.resolve(lines, out)
        if out:
            out.sort(key=lambda p: (p[0], p[1]))
            for line, _, rule, column, value, detail in out:
                sink.emit(rule, line, column or None, value, detail)
        plan.rows += len(batch)  # kept up to date: a reader error may end the loop
