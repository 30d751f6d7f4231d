"""Duplicated rows and duplicated values in an ID column, found by hashing.

Only 64-bit hashes and first lines are kept (a million rows: tens of MB); a hash collision
between different rows is about as likely as 1 in 10^13 for a million rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from tsunagu.quality.validate.columns import Pending

# Column names whose values identify a row: duplicates there are errors.
ID_NAMES = frozenset(
    {"ID", "id", "Id", "識別子", "管理番号", "通し番号", "番号", "No", "No.", "NO", "NO."}
)


class DuplicateRows:
    def __init__(self, id_column: int | None, id_name: str | None) -> None:
        self.seen: dict[int, int] = {}  # row hash → first line
        self.ids: dict[int, int] = {}  # ID hash → first line
        self.id_column = id_column
        self.id_name = id_name or ""

    def run(
        self,
        rows: Sequence[list[object]],
        columns: Sequence[Sequence[object]],
        lines: Sequence[int],
        out: list[Pending],
    ) -> None:
        try:
            keys = list(map(hash, map(tuple, rows)))
        except TypeError:  # unhashable cells (nested JSON)
            keys = list(map(hash, map(repr, rows)))
        seen = self.seen
        repeated: set[int] = set()
        unique = set(keys)
        if len(unique) == len(keys) and seen.keys().isdisjoint(unique):
            seen.update(zip(keys, lines, strict=True))
        else:
            for key, line in zip(keys, lines, strict=True):
                first = seen.setdefault(key, line)
                if first != line:
                    repeated.add(line)
                    out.append((line, -1, "rows.duplicate", "", None, first))
        if self.id_column is not None:
            self._ids(columns[self.id_column], lines, repeated, out)

    def _ids(
        self, values: Sequence[object], lines: Sequence[int], repeated: set[int], out: list[Pending]
    ) -> None:
        present: list[tuple[int, int]] | None = None  # (ID hash, line) when some IDs are empty
        try:
            if None in values:
                keys = [None if v is None else hash(v) for v in values]
                present = [(k, line) for k, line in zip(keys, lines, strict=True) if k is not None]
            else:
                keys = list(map(hash, values))  # every row has an ID: no test per cell
        except TypeError:
            return
        ids = self.ids
        if present is None:
            unique, count = set(keys), len(keys)
        else:
            unique, count = {k for k, _ in present}, len(present)
        if len(unique) == count and ids.keys().isdisjoint(unique):
            ids.update(zip(keys, lines, strict=True) if present is None else present)
            return
        index = self.id_column if self.id_column is not None else -1
        for key, line, value in zip(keys, lines, values, strict=True):
            if key is None:
                continue
            first = ids.setdefault(key, line)
            if first != line and line not in repeated:
                out.append((line, index, "rows.duplicate_id", self.id_name, value, first))
