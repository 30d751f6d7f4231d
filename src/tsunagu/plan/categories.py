"""The national plan's categories (官民データ活用推進基本計画: the five basic measures every
prefectural plan maps its measures to), by code, with the words and marks plans use for them
(宮城県's table writes ①–⑤ in its ※官民データ column)."""

from __future__ import annotations

import unicodedata

CATEGORIES: dict[str, str] = {
    "online": "オンライン化原則",
    "opendata": "オープンデータの推進",
    "mynumber": "マイナンバーカードの普及・活用",
    "digital_divide": "デジタルデバイド対策",
    "standardization": "標準化・デジタル化・システム改革・BPR",
}
CATEGORIES_EN = {
    "online": "Online by default",
    "opendata": "Open data",
    "mynumber": "My Number Card",
    "digital_divide": "Digital divide",
    "standardization": "Standardisation and BPR",
}
# What a table may write for each (compared after NFKC, so ① is "1").
_ALIASES: dict[str, tuple[str, ...]] = {
    "online": ("1", "オンライン化原則", "オンライン化", "online"),
    "opendata": ("2", "オープンデータの推進", "オープンデータ", "opendata"),
    "mynumber": ("3", "マイナンバーカード", "マイナンバーカードの普及・活用", "mynumber"),
    "digital_divide": ("4", "デジタルデバイド対策", "デジタルデバイド対策等", "digital_divide"),
    "standardization": (
        "5",
        "標準化・BPR",
        "標準化",
        "BPR",
        "標準化、デジタル化、システム改革、BPR",
        "標準化・デジタル化・システム改革・BPR",
        "standardization",
    ),
}
_BY_ALIAS = {
    unicodedata.normalize("NFKC", alias).casefold(): code
    for code, aliases in _ALIASES.items()
    for alias in aliases
}
_LISTS = str.maketrans({c: "|" for c in "、,;；/／ \n"})


def code_for(text: str) -> str | None:
    """The category one word or mark names, or None."""
    return _BY_ALIAS.get(unicodedata.normalize("NFKC", text).strip().casefold())


def _codes_in(part: str) -> list[str | None]:
    whole = code_for(part)
    if whole is not None:
        return [whole]
    if part.isdigit():  # circled numbers side by side (①②) are digits side by side
        return [code_for(ch) for ch in part]
    pieces = [p for p in part.split("・") if p.strip()]
    return [code_for(p) for p in pieces] if len(pieces) > 1 else [None]


def parse(text: str) -> tuple[list[str], list[str]]:
    """(codes, words not understood) from a cell such as 「①②」「②、⑤」「オープンデータの推進、
    標準化・デジタル化・システム改革・BPR」."""
    folded = unicodedata.normalize("NFKC", text)
    codes: list[str] = []
    unknown: list[str] = []
    for part in folded.translate(_LISTS).split("|"):
        part = part.strip()
        if not part:
            continue
        found = _codes_in(part)
        if None in found:
            unknown.append(part)
            continue
        codes.extend(c for c in found if c is not None and c not in codes)
    return codes, unknown
