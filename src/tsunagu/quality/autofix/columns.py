"""Column names: tidied spelling, and standard field names where the match is unambiguous."""

from __future__ import annotations

from collections.abc import Sequence

from tsunagu.quality.autofix.text import (
    fold_alnum,
    has_halfwidth_kana,
    trim,
    widen_kana,
)
from tsunagu.quality.characters import replace_platform_dependent
from tsunagu.quality.standards import Standard, guess_standard, match_column

# A guessed standard renames columns only when the guess is this sure.
GUESS_MIN_SCORE = 0.5


def clean_name(name: str) -> str:
    """A column name without edge spaces, line breaks, 機種依存文字, half-width katakana or
    full-width letters and digits (「ＩＤ」 → 「ID」); Japanese punctuation is kept."""
    out = trim(name).replace("\n", "")
    out = replace_platform_dependent(out)
    if has_halfwidth_kana(out):
        out = widen_kana(out)
    return fold_alnum(out)


def clean_names(columns: Sequence[str]) -> list[str]:
    """clean_name for each column, keeping the original where cleaning would make two equal."""
    out: list[str] = []
    for name in columns:
        cleaned = clean_name(name) or name
        if cleaned != name and (cleaned in columns or cleaned in out):
            cleaned = name
        out.append(cleaned)
    return out


def match_columns(columns: Sequence[str], standard: Standard) -> dict[str, str]:
    """File column → standard field name, by the standards' own `match_column` (width, case,
    brackets, separators, a trailing note such as 「（世界測地系）」, known aliases). A match is
    dropped when it is ambiguous: two columns for one field, or a field that another column
    already has exactly."""
    found = {c: t for c in columns if (t := match_column(c, standard)) is not None}
    return _unambiguous(found, set(columns) & {f.name for f in standard.fields})


def _unambiguous(found: dict[str, str], exact: set[str]) -> dict[str, str]:
    targets: dict[str, int] = {}
    for target in found.values():
        targets[target] = targets.get(target, 0) + 1
    return {
        column: target
        for column, target in found.items()
        if targets[target] == 1 and target not in exact and column != target
    }


def guessed_mapping(columns: Sequence[str]) -> tuple[Standard, dict[str, str]] | None:
    """(standard, mapping) when guess_standard is sure enough of a standard; None otherwise."""
    guess = guess_standard(list(columns))
    if guess is None or guess.score < GUESS_MIN_SCORE:
        return None
    return guess.standard, match_columns(columns, guess.standard)
