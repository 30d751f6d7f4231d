"""Which standard a file's header follows, and which standard field each column means.

Column names are compared by a key that ignores what municipal staff vary without meaning to:
full/half width (NFKC), spaces, brackets and underscores (名称（カナ） = 名称_カナ), a trailing
「（必須）」, and case. A short alias table adds synonyms that cannot mean anything else.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from tsunagu.quality.standards.model import Standard, list_standards

_IGNORED = re.compile(r"[\s_()\[\]「」【】]")
_REQUIRED_MARK = re.compile(r"[(（]必須[)）]$")
_TRAILING_NOTE = re.compile(r"[(（][^()（）]*[)）]$")

# Former (推奨データセット) or shortened names that can only mean one standard field.
_ALIASES: dict[str, tuple[str, ...]] = {
    "全国地方公共団体コード": ("都道府県コード又は市区町村コード", "団体コード"),
    "所在地_連結表記": ("所在地_連結標記", "住所"),
    "建物名等(方書)": ("建物名等", "方書"),
    "連絡先メールアドレス": ("メールアドレス",),
    "連絡先備考（その他、SNSなど）": ("連絡先備考",),
    "所在地_全国地方公共団体コード": ("所在地_自治体コード",),
}

# Below these a header is not taken to follow a standard (see guess_standard).
MIN_MATCHED = 4
MIN_PRECISION = 0.5
MIN_COVERAGE = 0.25
# A field shared by at least this share of the standards says nothing about which one it is.
COMMON_SHARE = 0.5
# How much of the file the set explains matters more than how much of the set the file fills:
# municipalities often publish only part of a long definition.
PRECISION_WEIGHT = 0.75


@cache
def column_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).strip().lstrip("\ufeff")
    text = _REQUIRED_MARK.sub("", text)
    return _IGNORED.sub("", text).casefold()


def _english_twin(name: str) -> str | None:
    # 名称_英字 and 名称_英語 are used interchangeably across sets and files.
    if name.endswith("_英字"):
        return name[: -len("_英字")] + "_英語"
    if name.endswith("_英語"):
        return name[: -len("_英語")] + "_英字"
    return None


@cache
def _keys(standard_id: str) -> dict[str, str]:
    """key → field name for one standard: exact names first, then aliases that do not clash."""
    standard = next(s for s in list_standards() if s.id == standard_id)
    keys = {column_key(f.name): f.name for f in standard.fields}
    for f in standard.fields:
        alternates = list(_ALIASES.get(f.name, ()))
        twin = _english_twin(f.name)
        if twin is not None:
            alternates.append(twin)
        for alias in alternates:
            keys.setdefault(column_key(alias), f.name)
    return keys


@cache
def _common_fields() -> frozenset[str]:
    standards = list_standards()
    counts: dict[str, int] = {}
    for standard in standards:
        for name in standard.field_names:
            counts[name] = counts.get(name, 0) + 1
    return frozenset(n for n, c in counts.items() if c >= COMMON_SHARE * len(standards))


def match_column(name: str, standard: Standard) -> str | None:
    """The standard field a file column means, or None when it is not one of them."""
    keys = _keys(standard.id)
    key = column_key(name)
    if key in keys:
        return keys[key]
    # 「口径(mm)」「想定収容人数（人）」: a unit or note in brackets after a known name.
    bare = _TRAILING_NOTE.sub("", unicodedata.normalize("NFKC", name).strip())
    if bare != name:
        return keys.get(column_key(bare))
    return None


@dataclass(frozen=True)
class StandardGuess:
    standard: Standard
    score: float
    mapping: dict[str, str]  # file column → standard field name
    missing_required: list[str]
    extra: list[str]  # file columns that are no standard field (or a second one for a field)


def map_columns(columns: list[str], standard: Standard) -> tuple[dict[str, str], list[str]]:
    """(file column → field, unmapped columns); the first column claiming a field keeps it."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    extra: list[str] = []
    for column in columns:
        if not column.strip():
            continue
        target = match_column(column, standard)
        if target is None or target in taken or column in mapping:
            extra.append(column)
            continue
        mapping[column] = target
        taken.add(target)
    return mapping, extra


def _assess(columns: list[str], standard: Standard) -> StandardGuess | None:
    mapping, extra = map_columns(columns, standard)
    named = len(mapping) + len(extra)
    if len(mapping) < MIN_MATCHED or not named:
        return None
    precision = len(mapping) / named
    coverage = len(mapping) / len(standard.fields)
    if precision < MIN_PRECISION or coverage < MIN_COVERAGE:
        return None
    if not set(mapping.values()) - _common_fields():
        return None  # only generic columns such as 名称・住所・電話番号: no telling which set
    matched = set(mapping.values())
    return StandardGuess(
        standard=standard,
        score=round(PRECISION_WEIGHT * precision + (1 - PRECISION_WEIGHT) * coverage, 4),
        mapping=mapping,
        missing_required=[f for f in standard.required_fields if f not in matched],
        extra=extra,
    )


def guess_standard(columns: list[str]) -> StandardGuess | None:
    """The standard the header follows best, or None when none fits well or two fit equally."""
    guesses = [g for s in list_standards() if (g := _assess(columns, s)) is not None]
    if not guesses:
        return None
    guesses.sort(key=lambda g: (g.score, len(g.mapping)), reverse=True)
    best = guesses[0]
    if len(guesses) > 1 and guesses[1].score == best.score:
        return None
    return best
