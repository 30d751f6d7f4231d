"""Small judgements about single cells and rows, shared by layout detection and streaming."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time, timedelta

from tsunagu.datastore.ingest.model import Cell

# What Excel shows for a formula that failed; worthless as data.
EXCEL_ERRORS = frozenset(
    {
        "#N/A",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
    }
)

# Notes under a table: 「※出典：…」「注1）…」「（注）…」「資料：…」「備考：…」.
NOTE_MARK = re.compile(
    r"\s*(?:※|＊|\*|注[）)\d０-９:：\s．.]|注記|[（(]注|出典|出所|資料[:：\s）)]|資料出所|備考[:：])"
)
_MARK_STARTS = frozenset("※＊*注（(出資備 \t\u3000")
# Rows above the header that describe the table rather than name its columns.
TITLE_WORDS = re.compile(r"一覧|単位|現在|時点|調べ|出典|資料|統計表|集計表")

# A unit row under the header: 「（人）」「千円」「%」 … per column.
UNIT = re.compile(
    r"[（(][^()（）]{1,12}[)）]|単位.*|人|世帯|戸|円|千円|百万円|億円|件|[%％]|km2?|km²|㎢|㎡|m2?|m²"
    r"|ha|t|kg|台|校|箇所|か所|回|日|時間|歳|人/km2|人/km²|人/㎢"
)
_WIDE_DIGITS = str.maketrans("０１２３４５６７８９，．－＋", "0123456789,.-+")
_NUMBER = re.compile(r"[△▲\-−+]?\s*(?:\d[\d,]*(?:\.\d+)?|\.\d+)\s*%?")
_DATE_OR_TIME = re.compile(
    r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}.*|\d{1,2}(?::\d{2}(?::\d{2})?|時(?:\d{1,2}分)?)"
    r"|(?:[RHSTM]|令和|平成|昭和|大正|明治)\s*(?:\d{1,2}|元)[./年]\s*\d.*"
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_BREAKS = re.compile(r"[\s\u3000]+")
# Spaces next to Japanese text are layout (「氏　名」, a line break in 「人口\n（人）」), not words.
_SPACE_BY_WIDE = re.compile(r" (?=[^\x00-\x7f])|(?<=[^\x00-\x7f]) ")


def text_of(cell: Cell) -> str:
    """A cell as it would be shown, for names and notes."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, (date, time)):
        return cell.isoformat()
    return str(cell)


def header_text(cell: Cell) -> str | None:
    """A header cell as a column name: line breaks and layout spaces removed; None when empty."""
    if cell is None:
        return None
    text = _BREAKS.sub(" ", text_of(cell)).strip()
    text = _SPACE_BY_WIDE.sub("", text)
    return text or None


def is_datalike(cell: Cell) -> bool:
    """Numbers, dates and times: what data rows hold and header rows (mostly) do not."""
    if isinstance(cell, bool):
        return False
    if isinstance(cell, (int, float, date, time, timedelta)):
        return True
    if not isinstance(cell, str):
        return False
    text = cell.strip().translate(_WIDE_DIGITS)
    return bool(_NUMBER.fullmatch(text) or _DATE_OR_TIME.fullmatch(text))


def is_number_text(cell: Cell) -> bool:
    return isinstance(cell, str) and bool(_NUMBER.fullmatch(cell.strip().translate(_WIDE_DIGITS)))


def is_headerish(cell: Cell) -> bool:
    """Could name a column: text, or a year (time-series tables have 2019, 2020 … as headers)."""
    if cell is None:
        return False
    if isinstance(cell, int) and not isinstance(cell, bool):
        return 1900 <= cell <= 2100
    if isinstance(cell, float):
        return cell.is_integer() and 1900 <= cell <= 2100
    if isinstance(cell, str) and _YEAR.fullmatch(cell.strip()):
        return True
    return not is_datalike(cell)


def is_unit_row(cells: Sequence[Cell], filled: Sequence[int]) -> bool:
    """A row of units (「人」「（千円）」「%」) rather than data: short texts, mostly units."""
    texts = [cells[i] for i in filled]
    if not all(isinstance(t, str) and len(t.strip()) <= 12 for t in texts):
        return False
    units = sum(bool(UNIT.fullmatch(t.strip())) for t in texts)  # type: ignore[union-attr]
    return units * 2 >= len(texts) and units > 0


def is_titleish(cells: Sequence[Cell]) -> bool:
    return any(isinstance(c, str) and TITLE_WORDS.search(c) for c in cells)


def row_text(cells: Sequence[Cell]) -> str:
    """A row as one line of text, for title rows and notes."""
    return " ".join(text_of(c).strip() for c in cells if c is not None)


def note_kind(
    cells: Sequence[Cell], filled: int, width: int, first_col: int, in_tail: bool
) -> tuple[bool, bool]:
    """(looks like a note, has a note mark) for a non-blank row below the header.

    A marked row (※, 注, 出典 …) is a note; so is a lone text cell at the left edge of a table
    of three or more columns, or anywhere once a blank or marked row has started the tail.
    Called for every row, so the common case (a number or plain text first) returns early.
    """
    first = cells[0]
    index = 0
    if first is None:
        index, first = next((i, c) for i, c in enumerate(cells) if c is not None)
    if type(first) is not str:
        return False, False
    if first[:1] in _MARK_STARTS and NOTE_MARK.match(first):
        return True, True
    if filled == 1 and (in_tail or len(first) >= 20 or (width >= 3 and index <= first_col)):
        return True, False
    return False, False
