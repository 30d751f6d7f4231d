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
        "standardization",
    ),
}
_BY_ALIAS = {
    unicodedata.normalize("NFKC", alias).casefold(): code
    for code, aliases in _ALIASES.items()
    for alias in aliases
}
_SEPARATORS = str.maketrans({c: "|" for c in "、,・/／ 　;；\n"})


def code_for(text: str) -> str | None:
    """The category one word or mark names, or None."""
    return _BY_ALIAS.get(unicodedata.normalize("NFKC", text).strip().casefold())


def parse(text: str) -> tuple[list[str], list[str]]:
    """(codes, words not understood) from a cell such as 「①②」「②、⑤」「オープンデータ」."""
    whole = code_for(text)
    if whole is not None:
        return [whole], []
    folded = unicodedata.normalize("NFKC", text)
    # Circled numbers side by side (①②) become digits side by side (12).
    parts = [p for p in folded.translate(_SEPARATORS).split("|") if p.strip()]
    codes: list[str] = []
    unknown: list[str] = []
    for part in parts:
        part = part.strip()
        if part.isdigit() and len(part) > 1:
            found = [code_for(ch) for ch in part]
        else:
            found = [code_for(part)]
        for code in found:
            if code is None:
                unknown.append(part)
            elif code not in codes:
                codes.append(code)
    return codes, unknown
