"""Words residents type that public-sector titles spell differently.

Applied at query time only: a free-text word also matches its listed equivalents, so 避難所 finds
指定緊急避難場所 and Wi-Fi finds 公衆無線LAN. Kept short and curated; every group is a set of
words that a resident would accept as the same thing.
"""

from __future__ import annotations

from tsunagu.search.normalize import normalize_text

_GROUPS: tuple[tuple[str, ...], ...] = (
    ("避難所", "避難場所", "避難施設"),
    ("aed", "自動体外式除細動器"),
    ("wifi", "wi-fi", "無線lan", "公衆無線lan"),
    ("トイレ", "便所", "お手洗い"),
    ("保育園", "保育所"),
    ("ごみ", "ゴミ", "廃棄物"),
    ("バス停", "停留所"),
    ("病院", "医療機関"),
    ("介護", "介護サービス"),
    ("人口", "住民基本台帳人口", "推計人口"),
)

_BY_WORD: dict[str, tuple[str, ...]] = {}
for _group in _GROUPS:
    _normalised = tuple(dict.fromkeys(normalize_text(word) for word in _group))
    for _word in _normalised:
        _BY_WORD[_word] = _normalised


def expand(word: str) -> tuple[str, ...]:
    """The word itself first, then its equivalents (normalised)."""
    key = normalize_text(word)
    group = _BY_WORD.get(key)
    if group is None:
        return (key,)
    return (key, *(w for w in group if w != key))
