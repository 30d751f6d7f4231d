"""Per-column cell checks, run on a batch of rows at a time.

A column's distinct values in the batch, minus those already known to be clean, are inspected
once each; rows are only looked up for the values that have a problem. Repetitive columns
(codes, flags, categories, dates) thus cost a set operation per batch, not a check per cell.
Columns whose values hardly repeat (IDs, names, URLs, coordinates) skip the set and the cache
and join the batch's cells as they are (the direct path); both paths find the same as
ColumnCheck.inspect on every cell (tests/quality/test_validate_units.py, _engine.py).
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
# A batch of at least DIRECT_MIN_ROWS cells of which DIRECT_SHARE are distinct and not cached
# sends the column's next DIRECT_BATCHES batches down the direct path (then it is re-measured).
DIRECT_MIN_ROWS = 256
DIRECT_SHARE = 0.9
DIRECT_BATCHES = 32
FEW_VALUES = 8  # up to this many bad values in a batch are located with tuple.index
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
    direct: int = 0  # batches left on the direct path (see run)

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
        if self.direct:
            self.direct -= 1
            if self._run_direct(values, lines, out):
                return
        try:
            if self.clean.issuperset(values):
                return  # the usual case of a repetitive column: no set to build
            distinct = set(values)
        except TypeError:  # an unhashable cell (nested JSON): check every cell
            distinct = None
        if distinct is not None:
            # difference(), not difference_update(): it walks the batch, not the whole cache.
            distinct = distinct.difference(self.clean)
            if (
                self.filters is not None
                and len(values) >= DIRECT_MIN_ROWS
                and len(distinct) >= DIRECT_SHARE * len(values)
                and type(values[0]) is str  # typed cells cannot be joined
            ):
                self.direct = DIRECT_BATCHES  # nearly every value is new: see _run_direct
            if not distinct:
                return
            found = self._judge(distinct)
            if found:
                self._pend_found(values, lines, found, out)
            return
        for i, value in enumerate(values):
            if issues := self.inspect(value):
                self._pend(out, lines[i], value, issues)

    def _run_direct(
        self, values: Sequence[object], lines: Sequence[int], out: list[Pending]
    ) -> bool:
        """The batch's cells joined as they are, without collecting distinct values first: for
        columns whose values hardly repeat (IDs, names, addresses, URLs, coordinates), where
        the set and the clean cache cost more than they save. False (nothing done) when a
        cell is not text or holds a line break; the caller then takes the usual path."""
        texts: Sequence[object] = values
        try:
            body = "\n".join(values)  # type: ignore[arg-type]
        except TypeError:
            if None not in values:
                return False  # typed cells (spreadsheets)
            # An empty line never matches a filter: missing cells are judged below.
            texts = ["" if v is None else v for v in values]
            try:
                body = "\n".join(texts)  # type: ignore[arg-type]
            except TypeError:
                return False
        joined = "\n" + body + "\n"
        if joined.count("\n") != len(texts) + 1:
            return False
        hits = self._hits(joined, texts)  # type: ignore[arg-type]
        if texts is not values:
            hits.update(i for i, v in enumerate(values) if v is None)
        if not hits:
            return True
        for i in sorted(hits):
            value = values[i]
            if issues := self._issues_of(value):
                self._pend(out, lines[i], value, issues)
        return True

    def _issues_of(self, value: object) -> tuple[Issue, ...]:
        """The value's issues, remembered (bounded) as bad or clean for the next batches."""
        issues = self.bad.get(value)
        if issues is None:
            issues = self.inspect(value)
            if not issues:
                if len(self.clean) < CACHE_VALUES:
                    self.clean.add(value)
                return ()
            if len(self.bad) < CACHE_VALUES:
                self.bad[value] = issues
        return issues

    def _hits(self, joined: str, texts: Sequence[str]) -> set[int]:
        """Positions in `texts` of the cells that may have a problem, from their join
        "\n" + "\n".join(texts) + "\n" (no cell holding a line break)."""
        hits: set[int] = set()
        ends: list[int] | None = None  # where each cell's closing "\n" is
        filters = self.filters or []
        if not joined.isascii():
            filters = [*filters, ERA_WORDS]
        for pattern in filters:
            for match in pattern.finditer(joined):
                if ends is None:
                    lengths = itertools.accumulate(map(len, texts))
                    ends = list(map(operator.add, lengths, range(1, len(texts) + 1)))
                hits.add(bisect.bisect_left(ends, match.end() - 1))
        if texts and max(map(len, texts)) > MAX_CELL_CHARS:
            hits.update(i for i, v in enumerate(texts) if len(v) > MAX_CELL_CHARS)
        if self.enum is not None:
            outside = set(texts).difference(self.enum)
            if outside:
                hits.update(i for i, v in enumerate(texts) if v in outside)
        return hits

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
        found = {texts[i] for i in self._hits(joined, texts)}
        suspects.update(found)
        clean = self.clean
        if len(clean) < CACHE_VALUES:  # may overshoot by one batch: still bounded
            clean.update(texts)
            clean.difference_update(found)
        return suspects

    def _judge(self, distinct: set[object]) -> dict[object, tuple[Issue, ...]]:
        found: dict[object, tuple[Issue, ...]] = {}
        for value in self._suspects(distinct):
            if issues := self._issues_of(value):
                found[value] = issues
        return found

    def _pend_found(
        self,
        values: Sequence[object],
        lines: Sequence[int],
        found: dict[object, tuple[Issue, ...]],
        out: list[Pending],
    ) -> None:
        """Findings for the cells holding one of the `found` values."""
        if len(found) > FEW_VALUES:
            for i, value in enumerate(values):
                if value in found:
                    self._pend(out, lines[i], value, found[value])
            return
        # A few bad values in a long batch: C-level scans instead of a Python loop.
        for value, issues in found.items():
            i = -1
            for _ in range(values.count(value)):
                i = values.index(value, i + 1)
                self._pend(out, lines[i], values[i], issues)

    def _pend(
        self, out: list[Pending], line: int, value: object, issues: tuple[Issue, ...]
    ) -> None:
        for rule, detail in issues:
            out.append((line, self.index, rule, self.shown, value, detail))
