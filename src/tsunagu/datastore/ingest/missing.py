"""Which cells hold no value.

Two notions of "missing":

- strict (:func:`is_missing` with ``strict=True``, used by :func:`normalize_text`): empty or
  whitespace-only text, and runs of the dash / ellipsis placeholders (``-`` ``－`` ``‐`` ``―`` ``—``
  ``–`` ``−`` ``ー`` ``…`` ``...`` ``‥`` ``・``) that tables use for "nothing here".
- wide (the default, used by the typed parsers): strict plus the words and marks that stand in
  for a number or date: 不明, 不詳, 該当なし, 秘匿, ``x``/``X``/``*`` (statistical
  suppression), ``N/A``, ``NA``, ``#N/A``, ``null``, ``NaN``. A text column keeps those words.
  ``なし`` is deliberately not missing: it is the false value of :func:`parse_bool`.
"""

from __future__ import annotations

from decimal import Decimal

from tsunagu.datastore.ingest.halfwidth import _prep
from tsunagu.datastore.ingest.model import Cell

# Characters that, alone or in runs ("-", "－", "ーー", "...", "・"), mean "no value". Checked
# after to_halfwidth, so "－" has become "-" and "．．．" has become "...".
_PLACEHOLDER_CHARS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63ー\uff70…‥・\uff65."
# Compared with the halfwidth, stripped, upper-cased text.
_MISSING_WORDS = frozenset(
    {"不明", "不詳", "該当なし", "該当無し", "秘匿", "X", "*", "N/A", "NA", "#N/A", "NULL", "NAN"}
)


def _missing_text(s: str, strict: bool = False) -> bool:
    """``s`` already went through _prep."""
    if not s or not s.strip(_PLACEHOLDER_CHARS):
        return True
    return not strict and s.upper() in _MISSING_WORDS


def is_missing(cell: Cell, *, strict: bool = False) -> bool:
    """Whether ``cell`` holds no value (see the module docstring for strict vs wide)."""
    if cell is None:
        return True
    if isinstance(cell, str):
        return _missing_text(_prep(cell), strict)
    if isinstance(cell, float):
        return cell != cell  # NaN
    if isinstance(cell, Decimal):
        return cell.is_nan()
    return False
