"""Folding cell text so one pattern finds numbers however they were typed.

Staff type phone numbers and 個人番号 with full-width digits, the katakana long vowel mark or a
minus sign instead of a hyphen, and ideographic spaces; all of those fold to ASCII here.
"""

from __future__ import annotations

import datetime as dt
import re

from tsunagu.datastore.ingest.values import to_halfwidth

# Characters used for "-" in numbers: hyphens, dashes, minus signs, ー and its half-width form.
_DASHES = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe63", "-")
)

# Cheap test before the exact patterns: ten digits (a phone number's minimum) with at most two
# other characters between neighbours. Most cells fail it, or are too short to be tried at all.
LONG_DIGITS_RE = re.compile(r"[0-9０-９](?:[^0-9０-９]{0,2}[0-9０-９]){9}")
MIN_NUMBER_TEXT = 10


def fold(text: str) -> str:
    """Full-width ASCII → ASCII, ideographic space → space, every dash → "-"."""
    text = to_halfwidth(text)
    return text if text.isascii() else text.translate(_DASHES)


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
