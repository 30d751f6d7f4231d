"""Per-column cell checks, run on a batch of rows at a time.

A column's distinct values in the batch, minus those already known to be clean, are inspected
once each; rows are only looked up for the values that have a problem. Repetitive columns
(codes, flags, categories, dates) thus cost a set operation per batch, not a check per cell.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tsunagu.quality.validate.text import (
    ERA_WORDS,
    MAX_CELL_CHARS,
    SUSPECT_CHARS,
    SUSPECT_STARTS,
    Issue,
    needs_look,
    text_issues,
)
from tsunagu.quality.validate.typed import Expectation, typed_issues

CACHE_VALUES = 8192  # clean values remembered per column
# Cell problems after which the value's type is not checked: the message already says what to do.
_EXPLAINED = frozenset(
    {
        "cells.wareki",
        "cells.date_format",
        "cells.placeholder",
        "file.mojibake",
        "cells.control_char",
        "cells.formula",
        "cells.multiple_values",
        "cells.too_long",
        "schema.required_value",
    }
)
# Pending finding: (row, column index, rule id, column name as written, value, detail).
Pending = tuple[int, int, str, str, object, object]


@dataclass
class ColumnCheck:
    index: int
    name: str  # as in the table (duplicates renamed)
    shown: str  # as written in the file
    expect: Expectation | None = None
    required: bool = False
    clean: set[object] = field(default_factory=set)
    bad: dict[object, tuple[Issue, ...]] = field(default_factory=dict)
    filters: list[re.Pattern[str]] | None = None  # see __post_init__

    def __post_init__(self) -> None:
        expect = self.expect
        self.filters = [SUSPECT_CHARS, SUSPECT_STARTS]
        if expect is not None and not expect.trivial:
            more = expect.line_filters()
            self.filters = None if more is None else [*self.filters, *more]
        if expect is not None and expect.enum is not None and self.filters is not None:
            self.enum: frozenset[str] | None = expect.enum
        else:
            self.enum = None

    def inspect(self, value: object) -> tuple[Issue, ...]:
        if value is None:
            return (("schema.required_value", ""),) if self.required else ()
        issues: list[Issue] = []
        if type(value) is str:
            if needs_look(value):
                issues = text_issues(value)
            if issues:
                rules = {rule for rule, _ in issues}
                if "cells.placeholder" in rules and self.required:
                    issues = [i for i in issues if i[0] != "cells.placeholder"]
                    issues.append(
                        ("schema.required_value", f"（「{value.strip()}」と入っています）")
                    )
                    rules.add("schema.required_value")
                if not rules.isdisjoint(_EXPLAINED):
                    return tuple(issues)
        expect = self.expect
        if expect is not None and not expect.trivial:
            typed = typed_issues(value, expect)
            if typed:
                issues = [i for i in issues if i[0] != "cells.fullwidth"] + typed
        return tuple(issues)

    def run(self, values: Sequence[object], lines: Sequence[int], out: list[Pending]) -> None:
        try:
            distinct = set(values)
        except TypeError:  # an unhashable cell (nested JSON): check every cell
            distinct = None
        if distinct is not None:
            distinct.difference_update(self.clean)
            if not distinct:
                return
            found = self._judge(distinct)
            if not found:
                return
            for i, value in enumerate(values):
                if value in found:
                    self._pend(out, lines[i], value, found[value])
            return
        for i, value in enumerate(values):
            if issues := self.inspect(value):
                self._pend(out, lines[i], value, issues)

    def _suspects(self, distinct: set[object]) -> set[object]:
        """The values that may have a problem; the rest are clean and remembered as such.

        Text cells are tested together: one regex search over the cells joined by line breaks
        instead of a search per cell.
        """
        if self.filters is None:
            return distinct
        texts = [v for v in distinct if type(v) is str]
        if not texts:
            return distinct
        suspects = (
            set(distinct)
            if len(texts) == len(distinct)
            else {v for v in distinct if type(v) is not str}
        )
        suspects.difference_update(texts)
        joined = "\n" + "\n".join(texts) + "\n"
        if joined.count("\n") != len(texts) + 1:
            return distinct  # a cell holds a line break: test cell by cell
        hits: set[int] = set()
        ends: list[int] | None = None  # where each cell's closing "\n" is
        filters = self.filters if joined.isascii() else [*self.filters, ERA_WORDS]
        for pattern in filters:
            for match in pattern.finditer(joined):
                if ends is None:
                    lengths = itertools.accumulate(map(len, texts))
                    ends = list(map(operator.add, lengths, range(1, len(texts) + 1)))
                hits.add(bisect.bisect_left(ends, match.end() - 1))
        if max(map(len, texts)) > MAX_CELL_CHARS:
            hits.update(i for i, v in enumerate(texts) if len(v) > MAX_CELL_CHARS)
        if self.enum is not None:
            outside = set(texts).difference(self.enum)
            hits.update(i for i, v in enumerate(texts) if v in outside)
        found = {texts[i] for i in hits}
        suspects.update(found)
        clean = self.clean
        if len(clean) < CACHE_VALUES:  # may overshoot by one batch: still bounded
            clean.update(texts)
            clean.difference_update(found)
        return suspects

    def _judge(self, distinct: set[object]) -> dict[object, tuple[Issue, ...]]:
        found: dict[object, tuple[Issue, ...]] = {}
        clean, bad = self.clean, self.bad
        for value in self._suspects(distinct):
            issues = bad.get(value)
            if issues is None:
                issues = self.inspect(value)
                if not issues:
                    if len(clean) < CACHE_VALUES:
                        clean.add(value)
                    continue
                if len(bad) < CACHE_VALUES:
                    bad[value] = issues
            found[value] = issues
        return found

    def _pend(
        self, out: list[Pending], line: int, value: object, issues: tuple[Issue, ...]
    ) -> None:
        for rule, detail in issues:
            out.append((line, self.index, rule, self.shown, value, detail))
