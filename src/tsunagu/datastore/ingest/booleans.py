"""Yes/no cells: はい/いいえ, 有/無, ○/×, true/false."""

from __future__ import annotations

from tsunagu.datastore.ingest.halfwidth import _prep
from tsunagu.datastore.ingest.messages import _show
from tsunagu.datastore.ingest.missing import _missing_text, is_missing
from tsunagu.datastore.ingest.model import Cell

# Compared with the halfwidth, stripped, lower-cased text. "1"/"0" are integers, not booleans,
# and "x"/"X" are the suppression mark (missing), not "×".
_TRUE_WORDS = frozenset({"true", "yes", "y", "はい", "有", "有り", "あり", "○", "◯", "〇"})
_FALSE_WORDS = frozenset({"false", "no", "n", "いいえ", "無", "無し", "なし", "×", "✕"})


def parse_bool(cell: Cell) -> bool | None:
    """true/TRUE/yes/Y/はい/有/あり/○/◯/〇 → True; false/no/N/いいえ/無/なし/×/✕ → False.

    Case-insensitive for the ASCII words. Numbers, "1" and "0" included, are not booleans.
    """
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, str):
        s = _prep(cell).lower()
        if s in _TRUE_WORDS:
            return True
        if s in _FALSE_WORDS:
            return False
        if _missing_text(s):
            return None
    elif cell is None or is_missing(cell):
        return None
    raise ValueError(
        f"{_show(cell)} は真偽値として読めません（例: はい/いいえ、有/無、○/×、true/false）"
    )
