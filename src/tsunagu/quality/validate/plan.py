"""What to check in each column: from the standard dataset when one applies (declared or
guessed), otherwise from the column names and the first rows (numbers, codes, coordinates)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tsunagu.datastore.ingest.model import RawTable
from tsunagu.datastore.ingest.values import parse_numeric
from tsunagu.quality.validate.codes import is_code_column
from tsunagu.quality.validate.columns import ColumnCheck
from tsunagu.quality.validate.geo import is_coordinate
from tsunagu.quality.validate.rows import ID_NAMES
from tsunagu.quality.validate.schema import (
    expectation,
    field_formats,
    match_columns,
    report_columns,
)
from tsunagu.quality.validate.sink import Sink
from tsunagu.quality.validate.text import text_issues
from tsunagu.quality.validate.typed import NUMBER_KINDS, Expectation

if TYPE_CHECKING:
    from tsunagu.quality.areas import BBox
    from tsunagu.quality.standards import Standard

# Columns of digits that are not quantities: never inferred to be numbers.
_NOT_QUANTITY = re.compile(r"電話|FAX|ファクス|ファックス|郵便|番号|コード|ID|No|年度|年月日", re.I)
NUMERIC_SHARE = 0.8  # share of a column's first values that must be numbers to call it numeric
MIN_NUMERIC_VALUES = 3
# Problems worth reporting in a column name itself.
_HEADER_RULES = frozenset(
    {"file.mojibake", "cells.platform_dependent", "cells.halfwidth_kana", "cells.fullwidth",
     "cells.control_char"}
)  # fmt: skip


@dataclass
class ValidationOptions:
    """What validate_file checks a file against, and how much it reports."""

    standard: Standard | None = None  # None → guess it from the columns (when `guess`)
    guess: bool = True
    local_gov_code: str | None = None  # the publishing organisation's 6-digit code
    area: BBox | None = None  # areas.area_bbox(code); None → Japan only
    sheet: str | None = None
    cap_per_rule: int = 100


@dataclass
class Plan:
    columns: list[str]
    shown: list[str]  # as written (a renamed duplicate under its original name)
    expects: dict[int, Expectation] = field(default_factory=dict)  # from the standard
    required: set[int] = field(default_factory=set)
    standard_id: str | None = None
    guessed: bool = False
    publisher: str | None = None
    area: BBox | None = None
    id_column: int | None = None
    checks: list[ColumnCheck] = field(default_factory=list)  # built by settle()
    rows: int = 0  # data rows checked so far

    def settle(self, first: list[tuple[int, list[object]]]) -> None:
        """Build the column checks, inferring number columns from the first batch of rows."""
        for index, name in enumerate(self.columns):
            expect = self.expects.get(index)
            if expect is None:
                expect = self._inferred(index, name, first)
            if expect is not None:
                expect.publisher = self.publisher
                if is_code_column(name) or expect.code:
                    expect.code = True
                if is_coordinate(name) and expect.kind in NUMBER_KINDS:
                    expect.geo = True
            self.checks.append(
                ColumnCheck(index, name, self.shown[index], expect, index in self.required)
            )

    def _inferred(
        self, index: int, name: str, first: list[tuple[int, list[object]]]
    ) -> Expectation | None:
        if is_code_column(name):
            return Expectation(code=True)
        if is_coordinate(name):
            return Expectation(kind="number", geo=True)
        if _NOT_QUANTITY.search(name):
            return None
        values = [cells[index] for _, cells in first if cells[index] is not None]
        numbers = sum(_numberish(v) for v in values)
        if len(values) >= MIN_NUMERIC_VALUES and numbers >= NUMERIC_SHARE * len(values):
            return Expectation(kind="number")
        return None


def _numberish(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if not isinstance(value, str):
        return False
    try:
        return parse_numeric(value) is not None
    except ValueError:
        return False


def make_plan(table: RawTable, options: ValidationOptions, sink: Sink) -> Plan:
    columns = table.columns
    info = table.info
    shown = [info.renamed_columns.get(c, c) for c in columns]
    plan = Plan(columns, shown, publisher=options.local_gov_code, area=options.area)
    for name in dict.fromkeys(shown):
        if name in info.unnamed_columns:
            continue
        for rule, detail in text_issues(name):
            if rule in _HEADER_RULES:
                sink.emit(rule, row=info.header_line, column=name, value=name, detail=detail)
    standard, guessed = _choose_standard(columns, options)
    if standard is not None:
        plan.standard_id, plan.guessed = standard.id, guessed
        match = match_columns(columns, standard)
        report_columns(
            match, columns, list(standard.fields), dict(zip(columns, shown, strict=True)), sink
        )
        formats = field_formats(standard)
        for index, name in enumerate(columns):
            f = match.field_of.get(name)
            if f is None:
                continue
            plan.expects[index] = expectation(f, formats)
            if f.required:
                plan.required.add(index)
            if f.name == "ID":
                plan.id_column = index
    if plan.id_column is None:
        plan.id_column = next((i for i, n in enumerate(columns) if n in ID_NAMES), None)
    return plan


def _choose_standard(columns: list[str], options: ValidationOptions) -> tuple[Any, bool]:
    if options.standard is not None:
        return options.standard, False
    if not options.guess:
        return None, False
    try:
        from tsunagu.quality.standards import guess_standard
    except ImportError:  # the standards package is optional for plain checks
        return None, False
    guess = guess_standard(columns)
    return (guess.standard, True) if guess is not None else (None, False)
