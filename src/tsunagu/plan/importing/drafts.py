"""What reading a plan table yields (rows.py) and applying it consumes (apply.py): drafts of
headings, measures, indicators and their values, and each row's result with its problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tsunagu.plan import fiscal, values


@dataclass
class Problem:
    line: int
    column: str
    severity: str  # error / note
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass
class End:
    """A baseline or target as read: the value and its period."""

    value: values.Value
    period: fiscal.Period | None


@dataclass
class ActualDraft:
    fiscal_year: int
    label: str
    value: values.Value


@dataclass
class IndicatorDraft:
    line: int
    name: str
    unit: str = ""
    scope: str = ""
    direction: str = ""
    definition: str = ""
    note: str = ""
    baseline: End | None = None
    target: End | None = None
    target_year_missing: bool = False
    actuals: list[ActualDraft] = field(default_factory=list)


@dataclass
class HeadingDraft:
    path: tuple[tuple[int, str, str], ...]  # (level, number, title) from the top

    @property
    def key(self) -> str:
        return "/".join(number or title for _level, number, title in self.path)

    @property
    def title(self) -> str:
        return self.path[-1][2]


@dataclass
class MeasureDraft:
    line: int
    number: str
    name: str
    heading: HeadingDraft | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    stages: dict[int, tuple[str, str]] = field(default_factory=dict)
    indicators: list[IndicatorDraft] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class RowResult:
    line: int
    kind: str  # measure / indicator / heading / skipped
    number: str = ""
    name: str = ""
    indicator: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def has_error(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


@dataclass
class Reading:
    headings: list[HeadingDraft] = field(default_factory=list)
    measures: list[MeasureDraft] = field(default_factory=list)
    heading_indicators: list[tuple[HeadingDraft, IndicatorDraft]] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)


@dataclass
class Options:
    level_names: list[str]
    period_start: int | None
    period_end: int | None
    continue_blank_years: bool = True
