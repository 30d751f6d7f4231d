"""Turning the rows of a plan table into headings, measures, indicators, stages and actual
values, with a message for every row that needs one.

How rows are read:

* Hierarchy columns (施策の柱, 推進方策, 区分 …) are written once and hold for the rows below
  (as when Excel merges them): a value is carried down until the next one. 「I 官民データの
  利活用の促進」 is the number 「I」 and the title.
* A row with a 番号 or 施策名 is that measure; the same number again is the same measure (a
  second indicator, a 再掲). A row with neither continues the measure above (its 番号 and 施策名
  cells were merged or left blank) unless it writes a heading of its own: then its indicator
  belongs to that heading (a 柱-level table row).
* Merged cells are read as their top cell's value on every row they span, and each row says so.
* 「事業名【担当部局・課室名】」 is split into the name and the department.
* Values keep their text (plan/values.py); periods are read as fiscal years with their label
  (plan/fiscal.py), from the period column, from brackets after the value (「140 (R元年度)」),
  or from the column's header (「現状（R元年度）」). A target without a year is given the plan's
  last year, and the row says so.
* 工程表 columns: a blank year after a written one continues it (merged across the years, or
  宮城県's convention), unless staff turn that off.

Problems are ``error`` (that part of the row is not imported, and says why) or ``note`` (how a
value was read). Nothing is written here: rows.py only reads.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from tsunagu.datastore.ingest.halfwidth import to_halfwidth
from tsunagu.datastore.ingest.missing import is_missing
from tsunagu.plan import categories, fiscal, values
from tsunagu.plan.importing import columns as cols
from tsunagu.plan.importing.drafts import (
    ActualDraft,
    End,
    HeadingDraft,
    IndicatorDraft,
    MeasureDraft,
    Options,
    Problem,
    Reading,
    RowResult,
)
from tsunagu.plan.importing.reading import Table
from tsunagu.plan.progress import DIRECTIONS

_NUMBERED = re.compile(
    r"^\s*(?P<number>[IVXⅠ-Ⅻ]+|[0-9０-９]+(?:[-‐－][0-9０-９]+)*|[(（][0-9０-９]+[)）]|[①-⑳])"
    r"(?:[\s.．、:：]+|(?=[^\s0-9０-９A-Za-z]))(?P<title>.+)$"
)
_DEPARTMENT = re.compile(r"^(?P<name>.*?)\s*【(?P<department>[^【】]+)】\s*$")
_COMBINED = re.compile(
    r"^(?P<name>.*?)\s*【?\s*現状値?\s*[(（](?P<bp>[^()（）]*)[)）]\s*】?\s*(?P<bv>.*?)\s*"
    r"(?:⇒|→|->|＞)?\s*【?\s*目標値?\s*[(（](?P<tp>[^()（）]*)[)）]\s*】?\s*(?P<tv>.*?)\s*$"
)
# A bracket after a value that speaks of a time but names none (「10 (来年度)」「(年度末)」).
_UNREAD_PERIOD = re.compile(r"[(（]([^()（）]*(?:年|月)[^()（）]*)[)）]\s*$")
_DIRECTION_WORDS = {
    "増加": "increase",
    "増": "increase",
    "↑": "increase",
    "減少": "decrease",
    "減": "decrease",
    "↓": "decrease",
    "以内": "at_most",
    "上限": "at_most",
    "≤": "at_most",
    "維持": "maintain",
    "=": "maintain",
    "定性": "qualitative",
}


def split_heading(text: str) -> tuple[str, str]:
    """「I 官民データの利活用の促進」 → ("I", "官民データの利活用の促進")."""
    match = _NUMBERED.match(text)
    if match is None:
        return "", text.strip()
    number = to_halfwidth(match.group("number")).replace("‐", "-").replace("－", "-")
    return number, match.group("title").strip()


def _direction(text: str) -> str:
    folded = text.strip()
    if folded in DIRECTIONS:
        return folded
    for word, code in _DIRECTION_WORDS.items():
        if word in folded:
            return code
    return ""


class _Reader:
    def __init__(self, table: Table, mapping: dict[str, str], options: Options) -> None:
        self.table = table
        self.mapping = {c: f for c, f in mapping.items() if f and c in table.columns}
        self.options = options
        self.index = {c: i for i, c in enumerate(table.columns)}
        self.by_field: dict[str, str] = {}
        for column, fld in self.mapping.items():
            self.by_field.setdefault(fld, column)
        self.levels = sorted(
            (int(f.removeprefix(cols.LEVEL)), c)
            for c, f in self.mapping.items()
            if f.startswith(cols.LEVEL)
        )
        self.result = Reading()
        self.headings: dict[str, HeadingDraft] = {}
        self.measures: dict[str, MeasureDraft] = {}
        self.current: MeasureDraft | None = None
        self.path: list[tuple[int, str, str] | None] = [None] * max(len(options.level_names), 1)
        self.seen: dict[int, list[str]] = {}
        self.eras: list[tuple[str, str]] = []  # this row's 和暦 periods, said once
        # line → {column: (first line of its merge, last line)}
        self.merged: dict[int, dict[str, tuple[int, int]]] = {}
        for first, last, column in table.merged:
            for line in range(first, last + 1):
                self.merged.setdefault(line, {})[column] = (first, last)

    # -- cells ---------------------------------------------------------------------------

    def cell(self, line: int, cells: list[str], column: str, row: RowResult) -> str:
        text = cells[self.index[column]]
        span = self.merged.get(line, {}).get(column)
        if span is not None and span[0] != line and not text:
            first, last = span
            above = self.seen.get(first)
            text = above[self.index[column]] if above else ""
            if text:
                row.problems.append(
                    Problem(
                        line,
                        column,
                        "note",
                        f"{line}行目「{column}」は {first}〜{last} 行目で結合されたセルです。"
                        f"{first} 行目の値「{_short(text)}」として読みました "
                        f"(Merged cell: read as the value of row {first})",
                    )
                )
        return text

    def field(self, line: int, cells: list[str], fld: str, row: RowResult) -> str:
        column = self.by_field.get(fld)
        return self.cell(line, cells, column, row) if column else ""

    # -- rows ----------------------------------------------------------------------------

    def read(self) -> Reading:
        for line, cells in self.table.rows:
            self.seen[line] = cells
            row = RowResult(line=line, kind="skipped")
            saved = self.save()
            self.row(line, cells, row)
            self.flush_eras(line, row)
            if row.has_error:
                # A row that cannot be read adds nothing, not even the part that could be.
                self.restore(saved)
            self.result.rows.append(row)
        return self.result

    def save(self) -> tuple[Any, ...]:
        return (
            copy.deepcopy(self.result.measures),
            list(self.result.headings),
            list(self.result.heading_indicators),
            dict(self.headings),
            list(self.path),
            self.current.number if self.current else None,
            self.current.name if self.current else None,
        )

    def restore(self, saved: tuple[Any, ...]) -> None:
        measures, headings, heading_indicators, by_key, path, number, name = saved
        self.result.measures = measures
        self.result.headings = headings
        self.result.heading_indicators = heading_indicators
        self.headings = by_key
        self.path = path
        self.measures = {(f"#{m.number}" if m.number else f"name:{m.name}"): m for m in measures}
        self.current = next((m for m in measures if (m.number, m.name) == (number, name)), None)
        for measure in measures:  # the copies' headings are the drafts kept above
            if measure.heading is not None:
                measure.heading = self.headings.get(measure.heading.key, measure.heading)

    def row(self, line: int, cells: list[str], row: RowResult) -> None:
        written_heading = self.headings_of(line, cells, row)
        number = self.field(line, cells, "number", row)
        name = self.field(line, cells, "name", row)
        departments = self.field(line, cells, "departments", row)
        if name and (split := _DEPARTMENT.match(name)):
            name = split.group("name").strip()
            if not departments:
                departments = split.group("department").strip()
                row.problems.append(
                    Problem(
                        line,
                        self.by_field["name"],
                        "note",
                        f"{line}行目: 【】内の「{departments}」を所管課として読みました "
                        f"(Department read from the brackets)",
                    )
                )
        if number:
            number = to_halfwidth(number).replace("‐", "-").replace("－", "-").strip()
        heading = self.heading_draft()
        measure: MeasureDraft | None = None
        if number or name:
            measure = self.measure_for(line, number, name, heading, row)
            if measure is None:
                return
            row.kind = "measure"
            self.measure_fields(line, cells, measure, departments, row)
        has_indicator = self.has_indicator_cells(line, cells, row)
        if measure is None and has_indicator:
            if written_heading and heading is not None:
                indicator = self.indicator(line, cells, row)
                if indicator is not None and not row.has_error:
                    self.result.heading_indicators.append((heading, indicator))
                    row.kind = "indicator"
                    row.indicator = indicator.name
                    row.name = heading.title
                return
            if self.current is None:
                row.problems.append(
                    Problem(
                        line,
                        self.by_field.get("indicator", ""),
                        "error",
                        f"{line}行目: 番号も施策名もなく、上に施策の行もないため、どの施策の指標か"
                        f"分かりません (No measure for this indicator row)",
                    )
                )
                return
            measure = self.current
            row.kind = "indicator"
            row.number, row.name = measure.number, measure.name
            if not self.merged.get(line):
                row.problems.append(
                    Problem(
                        line,
                        self.by_field.get("number") or self.by_field.get("name", ""),
                        "note",
                        f"{line}行目: 番号と施策名が空欄のため、上の施策「"
                        f"{_label(measure)}」の続きとして読みました "
                        f"(Blank number and name: read as the measure above)",
                    )
                )
        if measure is None:
            if written_heading:
                row.kind = "heading"
                row.name = heading.title if heading else ""
            return
        measure.lines.append(line)
        self.stages(line, cells, measure, row)
        if has_indicator:
            indicator = self.indicator(line, cells, row)
            if indicator is not None:
                row.indicator = indicator.name
                if not any(p.severity == "error" for p in row.problems):
                    self.add_indicator(measure, indicator, row)

    # -- hierarchy -----------------------------------------------------------------------

    def headings_of(self, line: int, cells: list[str], row: RowResult) -> bool:
        """Read the hierarchy columns; True when this row writes one of its own."""
        # A blank cell continues the heading above (merged or written once, as tables do); a
        # dash says the rows from here have no heading at that level.
        written = False
        for level, column in self.levels:
            text = cells[self.index[column]]
            if not text or level >= len(self.path):
                continue
            if is_missing(text, strict=True):
                for deeper in range(level, len(self.path)):
                    self.path[deeper] = None
                continue
            number, title = split_heading(text)
            parsed = (level, number, title)
            if self.path[level] != parsed:
                self.path[level] = parsed
                for deeper in range(level + 1, len(self.path)):
                    self.path[deeper] = None
            written = True
        if written:
            heading = self.heading_draft()
            if heading is not None and heading.key not in self.headings:
                for depth in range(1, len(heading.path) + 1):
                    partial = HeadingDraft(heading.path[:depth])
                    if partial.key not in self.headings:
                        self.headings[partial.key] = partial
                        self.result.headings.append(partial)
        return written

    def heading_draft(self) -> HeadingDraft | None:
        path = tuple(p for p in self.path if p is not None)
        if not path:
            return None
        draft = HeadingDraft(path)
        return self.headings.get(draft.key) or draft

    # -- measures ------------------------------------------------------------------------

    def measure_for(
        self, line: int, number: str, name: str, heading: HeadingDraft | None, row: RowResult
    ) -> MeasureDraft | None:
        row.number, row.name = number, name
        key = f"#{number}" if number else f"name:{name}"
        found = self.measures.get(key)
        if found is not None:
            plain = re.sub(r"【再掲】|\(再掲\)|（再掲）", "", name).strip()
            if number and name and plain != found.name and found.name:
                row.problems.append(
                    Problem(
                        line,
                        self.by_field.get("name", ""),
                        "error",
                        f"{line}行目: 番号「{number}」の施策名が {found.line} 行目（「{found.name}」）"
                        f"と違います。同じ番号は同じ施策です。番号か施策名を直してください "
                        f"(Number {number} has another name on row {found.line})",
                    )
                )
                return None
            self.current = found
            return found
        measure = MeasureDraft(line=line, number=number, name=name, heading=heading)
        self.measures[key] = measure
        self.result.measures.append(measure)
        self.current = measure
        return measure

    def measure_fields(
        self, line: int, cells: list[str], measure: MeasureDraft, departments: str, row: RowResult
    ) -> None:
        if not measure.name and row.name:
            measure.name = row.name
        if departments and "departments" not in measure.fields:
            measure.fields["departments"] = departments
        for fld in ("summary", "organizations"):
            text = self.field(line, cells, fld, row)
            if text and fld not in measure.fields:
                measure.fields[fld] = text
        note = self.field(line, cells, "measure_note", row)
        if note and note not in measure.fields.get("note", ""):
            measure.fields["note"] = "\n".join(
                n for n in (measure.fields.get("note", ""), note) if n
            )
        raw = self.field(line, cells, "categories", row)
        if raw and not is_missing(raw, strict=True):
            codes, unknown = categories.parse(raw)
            for word in unknown:
                row.problems.append(
                    Problem(
                        line,
                        self.by_field["categories"],
                        "note",
                        f"{line}行目「{self.by_field['categories']}」: 「{word}」は国の計画の分類として"
                        f"読めないため使いません（①〜⑤か分類名: {'、'.join(categories.CATEGORIES.values())}） "
                        f"(Unknown category ignored)",
                    )
                )
            existing = measure.fields.setdefault("categories", [])
            existing.extend(c for c in codes if c not in existing)

    def stages(self, line: int, cells: list[str], measure: MeasureDraft, row: RowResult) -> None:
        years = sorted(
            (int(f.removeprefix(cols.STAGE)), c)
            for c, f in self.mapping.items()
            if f.startswith(cols.STAGE)
        )
        previous: tuple[str, str] | None = None
        continued: list[str] = []
        for year, column in years:
            text = self.cell(line, cells, column, row)
            label = _year_label(column, year)
            if text and not is_missing(text, strict=True):
                measure.stages[year] = (label, text)
                previous = (column, text)
                self.outside_period(line, column, year, row)
            elif (
                not text
                and previous
                and self.options.continue_blank_years
                and year not in measure.stages
            ):
                measure.stages[year] = (label, previous[1])
                continued.append(column)
        if continued and previous:
            row.problems.append(
                Problem(
                    line,
                    continued[0],
                    "note",
                    f"{line}行目: 工程表の「{'」「'.join(continued)}」が空欄のため、その前の年度の"
                    f"「{_short(previous[1])}」が続くものとして読みました（結合されたセルや「前年度"
                    f"と同じ」の空欄）。空欄のままにするには「空欄の年度は前の年度の続き」を外して"
                    f"ください (Blank years continue the stage before them)",
                )
            )

    def outside_period(self, line: int, column: str, year: int, row: RowResult) -> None:
        start, end = self.options.period_start, self.options.period_end
        if start is not None and end is not None and not start <= year <= end:
            row.problems.append(
                Problem(
                    line,
                    column,
                    "note",
                    f"{line}行目「{column}」: {fiscal.label(year)}は計画期間（"
                    f"{fiscal.label(start)}〜{fiscal.label(end)}）の外です "
                    f"(Outside the plan period)",
                )
            )

    # -- indicators ----------------------------------------------------------------------

    def has_indicator_cells(self, line: int, cells: list[str], row: RowResult) -> bool:
        for fld in ("indicator", "baseline", "target"):
            if self.field(line, cells, fld, row):
                return True
        return any(
            cells[self.index[c]] for c, f in self.mapping.items() if f.startswith(cols.ACTUAL)
        )

    def indicator(self, line: int, cells: list[str], row: RowResult) -> IndicatorDraft | None:
        name = self.field(line, cells, "indicator", row)
        baseline = self.field(line, cells, "baseline", row)
        target = self.field(line, cells, "target", row)
        baseline_period = self.field(line, cells, "baseline_period", row)
        target_period = self.field(line, cells, "target_period", row)
        combined = _COMBINED.match(name) if name and not baseline and not target else None
        if combined is not None:
            name = combined.group("name").strip()
            baseline, target = combined.group("bv"), combined.group("tv")
            baseline_period = baseline_period or combined.group("bp")
            target_period = target_period or combined.group("tp")
            row.problems.append(
                Problem(
                    line,
                    self.by_field["indicator"],
                    "note",
                    f"{line}行目「{self.by_field['indicator']}」: 一つのセルの指標名・現状・目標を"
                    f"分けて読みました（指標名「{name}」、現状「{baseline}」、目標「{target}」） "
                    f"(Name, baseline and target split from one cell)",
                )
            )
        if name and is_missing(name, strict=True):
            # 「－」: the measure has no indicator; words in 現状・目標 are kept on the measure.
            if any(not is_missing(v, strict=True) for v in (baseline, target)):
                self.keep_as_note(line, row, name, baseline, target)
            return None
        if not name:
            row.problems.append(
                Problem(
                    line,
                    self.by_field.get("indicator", ""),
                    "error",
                    f"{line}行目: 現状・目標・実績はありますが、指標名がありません "
                    f"(Values without an indicator name)",
                )
            )
            return None
        draft = IndicatorDraft(line=line, name=name)
        draft.unit = self.field(line, cells, "unit", row)
        draft.scope = self.field(line, cells, "scope", row)
        draft.definition = self.field(line, cells, "definition", row)
        draft.note = self.field(line, cells, "indicator_note", row)
        direction_text = self.field(line, cells, "direction", row)
        if direction_text:
            draft.direction = _direction(direction_text)
            if not draft.direction:
                row.problems.append(
                    Problem(
                        line,
                        self.by_field["direction"],
                        "note",
                        f"{line}行目: 目標の方向「{direction_text}」が読めないため、現状と目標から"
                        f"決めました (Direction guessed from the values)",
                    )
                )
        draft.baseline = self.end(line, row, "baseline", baseline, baseline_period)
        draft.target = self.end(line, row, "target", target, target_period)
        if draft.target is not None and draft.target.period is None and target:
            draft.target_year_missing = True
            last = self.options.period_end
            row.problems.append(
                Problem(
                    line,
                    self.by_field.get("target_period") or self.by_field.get("target", ""),
                    "note",
                    f"{line}行目: 目標「{target}」の目標年度がありません。"
                    + (
                        f"計画の最終年度（{fiscal.label(last)}）としました"
                        if last is not None
                        else "年度なしで登録します"
                    )
                    + "（登録済みの目標年度があればそれを残します） (No target year given)",
                )
            )
        for column, fld in self.mapping.items():
            if not fld.startswith(cols.ACTUAL):
                continue
            text = self.cell(line, cells, column, row)
            if not text:
                continue
            year = int(fld.removeprefix(cols.ACTUAL))
            value = values.parse_value(text)
            self.value_note(line, column, value, row)
            draft.actuals.append(ActualDraft(year, _year_label(column, year), value))
        if not draft.unit:
            for end in (draft.target, draft.baseline):
                if end is not None and end.value.unit:
                    draft.unit = end.value.unit
                    break
        return draft

    def keep_as_note(
        self, line: int, row: RowResult, name: str, baseline: str, target: str
    ) -> None:
        if self.current is None:
            return
        text = f"指標: {name or '－'}／現状: {baseline or '－'}／目標: {target or '－'}"
        note = self.current.fields.get("note", "")
        if text not in note:
            self.current.fields["note"] = "\n".join(n for n in (note, text) if n)
        row.problems.append(
            Problem(
                line,
                self.by_field.get("indicator", ""),
                "note",
                f"{line}行目: 指標が「{name or '－'}」のため指標は作らず、現状・目標の文言を施策の"
                f"備考に残しました (No indicator; its texts kept in the measure's note)",
            )
        )

    def end(self, line: int, row: RowResult, fld: str, text: str, period_text: str) -> End | None:
        column = self.by_field.get(fld, fld)
        if not text and not period_text:
            return None
        value_text, bracket = values.split_period(text)
        period: fiscal.Period | None = None
        period_column = self.by_field.get(f"{fld}_period", column)
        if period_text:
            try:
                period = fiscal.parse_period(period_text)
            except ValueError as error:
                row.problems.append(
                    Problem(line, period_column, "error", f"{line}行目「{period_column}」: {error}")
                )
                return None
            if period is None:
                row.problems.append(
                    Problem(
                        line,
                        period_column,
                        "error",
                        f"{line}行目「{period_column}」: 「{period_text}」を年度や日付として読めません"
                        f"（例: R2年度、令和2年度、2020年度、H30年中、R2. 1月） "
                        f"(Not a fiscal year or date)",
                    )
                )
                return None
        else:
            period = bracket or cols.header_period(self.by_field.get(fld, ""))
            when = _UNREAD_PERIOD.search(value_text) if period is None else None
            if when is not None:
                # 「10 (来年度)」: meant as a period, but not one a year can be read from.
                row.problems.append(
                    Problem(
                        line,
                        column,
                        "error",
                        f"{line}行目「{column}」: 「{when.group(1)}」を年度や日付として読めません"
                        f"（例: R2年度、令和2年度、2020年度、H30年中、R2. 1月） "
                        f"(Not a fiscal year or date)",
                    )
                )
                return None
        value = values.parse_value(value_text)
        self.value_note(line, column, value, row)
        if period is not None:
            self.period_note(line, period_column if period_text else column, period, row)
        return End(value, period)

    def value_note(self, line: int, column: str, value: values.Value, row: RowResult) -> None:
        if value.how:
            row.problems.append(
                Problem(line, column, "note", f"{line}行目「{column}」: {value.how}")
            )

    def period_note(self, line: int, column: str, period: fiscal.Period, row: RowResult) -> None:
        """和暦 periods are gathered and said once per row (see flush_eras)."""
        label = to_halfwidth(period.label)
        if not re.search(r"[明大昭平令MTSHRmtshr㍾㍽㍼㍻㋿]", label):
            return
        reading = f"「{column}」の「{period.label}」→ {_period_words(period)}"
        if re.match(r"\s*(?:平成|平|H|h)\s*(3[2-9]|[4-9][0-9])", label):
            reading += "（平成は31年までのため、実際の年度で読みました）"
        self.eras.append((column, reading))

    def flush_eras(self, line: int, row: RowResult) -> None:
        if not self.eras:
            return
        readings = "、".join(reading for _column, reading in self.eras)
        row.problems.append(
            Problem(
                line,
                self.eras[0][0],
                "note",
                f"{line}行目: 和暦を読みました: {readings} (Japanese era periods read)",
            )
        )
        self.eras.clear()

    def add_indicator(self, measure: MeasureDraft, draft: IndicatorDraft, row: RowResult) -> None:
        for existing in measure.indicators:
            if existing.name == draft.name:
                # The same indicator again (a 再掲 row): its actual values add up.
                existing.actuals.extend(draft.actuals)
                return
        measure.indicators.append(draft)


def _period_words(period: fiscal.Period) -> str:
    """How a period was read, in words: 令和元年度（2019年度）, 2018年（暦年）, 2020年1月末."""
    if period.kind == "calendar_year":
        return f"{period.fiscal_year}年（暦年、年末の値）"
    if period.kind == "month":
        return f"{period.end.year}年{period.end.month}月末（{fiscal.label(period.fiscal_year)}）"
    if period.kind == "day":
        return f"{period.end.isoformat()}（{fiscal.label(period.fiscal_year)}）"
    return fiscal.label(period.fiscal_year)


def _label(measure: MeasureDraft) -> str:
    return f"{measure.number} {measure.name}".strip()


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _year_label(column: str, year: int) -> str:
    found = fiscal.fiscal_year_from_header(column)
    return found[1] if found else fiscal.wareki_short(year)


def read_rows(table: Table, mapping: dict[str, str], options: Options) -> Reading:
    return _Reader(table, mapping, options).read()
