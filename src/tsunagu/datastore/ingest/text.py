"""Text cells as stored: folded, stripped, and None only when strictly missing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tsunagu.datastore.ingest.halfwidth import _FOLDABLE_RE, _HALFWIDTH, _prep
from tsunagu.datastore.ingest.missing import _PLACEHOLDER_CHARS, _missing_text
from tsunagu.datastore.ingest.model import Cell


def normalize_text(cell: Cell) -> str | None:
    """A text cell as stored: full-width ASCII folded, ends stripped, inner spacing kept.

    None only for strictly missing cells (empty, whitespace, dash/ellipsis placeholders): words
    such as 不明 or 該当なし are content in a text column. Non-text cells are rendered: integral
    floats without ".0", dates and times in ISO form (a space between date and time), booleans
    as "true"/"false".
    """
    if cell.__class__ is str:
        # _prep and _missing_text(strict=True) inlined: this runs on every text cell.
        if cell.isascii() or _FOLDABLE_RE.search(cell) is None:  # type: ignore[union-attr]
            s = cell.strip()  # type: ignore[union-attr]
        else:
            s = cell.translate(_HALFWIDTH).strip()  # type: ignore[union-attr]
        return s if s and s.strip(_PLACEHOLDER_CHARS) else None
    if isinstance(cell, str):
        s = _prep(cell)
        return None if _missing_text(s, strict=True) else s
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int):
        return str(int(cell))
    if isinstance(cell, float):
        if cell != cell:
            return None
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, Decimal):
        if cell.is_nan():
            return None
        if cell.is_finite() and cell == cell.to_integral_value():
            return str(int(cell))
        return str(cell.normalize())
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat()
    text = str(cell).strip()
    return text or None
