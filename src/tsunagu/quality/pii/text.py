"""Folding cell text so one pattern finds numbers however they were typed.

Staff type phone numbers and 個人番号 with full-width digits, the katakana long vowel mark or a
minus sign instead of a hyphen, and ideographic spaces; all of those fold to ASCII here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from tsunagu.datastore.ingest.values import to_halfwidth

# Characters used for "-" in numbers: hyphens, dashes, minus signs, ー and its half-width form.
_DASHES = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe63", "-")
)

# Cheap test before the exact patterns: ten digits (a phone number's minimum) with at most two
# other characters between neighbours. Most cells fail it, or are too short to be tried at all.
LONG_DIGITS_RE = re.compile(r"[0-9０-９](?:[^0-9０-９]{0,2}[0-9０-９]){9}")
MIN_NUMBER_TEXT = 10

# Joins a chunk's cells for one search over them all (see cells_with_digits).
CELL_SEP = "\x00"
AT_RE = re.compile("[@＠]")
# What cells_with_digits keeps of UTF-8 text: ASCII digits, the last byte of a full-width digit
# (EF BC 90-99), and NUL.
_NOT_DIGIT_BYTES = bytes(
    b for b in range(256) if not (0x30 <= b <= 0x39 or 0x90 <= b <= 0x99 or b == 0)
)


def fold(text: str) -> str:
    """Full-width ASCII → ASCII, ideographic space → space, every dash → "-"."""
    text = to_halfwidth(text)
    return text if text.isascii() else text.translate(_DASHES)


def cells_at(joined: str, positions: Iterable[int]) -> list[int]:
    """The index of the cell each of `positions` (ascending) falls in, of cells joined by
    CELL_SEP into `joined`, none holding a NUL itself (the caller checks)."""
    found = []
    index = seen = 0
    for position in positions:
        index += joined.count(CELL_SEP, seen, position)  # counted in C, from the last one
        seen = position
        found.append(index)
    return found


def cells_with_digits(joined: str, least: int) -> list[tuple[int, int]]:
    """(index, digits) of each cell joined by CELL_SEP into `joined` (none holding a NUL
    itself: the caller checks) that holds `least` digits (0-9, ０-９) or more, in order.

    Mostly in C: the UTF-8 bytes with all but digits and NUL deleted, then one search for the
    runs long enough. A full-width digit leaves one byte (EF BC 9x); other characters may
    leave one too, so a count can be too high (the caller looks closer), never too low.
    """
    digits = b"\x00" + joined.encode("utf-8", "surrogatepass").translate(None, _NOT_DIGIT_BYTES)
    found = []
    index = seen = 0
    for match in re.finditer(b"\\x00[^\\x00]{%d,}" % least, digits):
        index += digits.count(b"\x00", seen, match.start())  # the cells before this one
        seen = match.start()
        found.append((index, match.end() - seen - 1))
    return found


def cell_text(cell: object) -> str | None:
    """The text of a cell as a person would read it; None for empty cells."""
    if cell is None:
        return None
    if isinstance(cell, str):
        text = cell.strip()
        return text or None
    if isinstance(cell, bool):
        return None
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime | dt.date | dt.time):
        return cell.isoformat()
    return str(cell)
