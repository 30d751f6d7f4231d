"""Clean-ups every cell gets, whatever its column holds: spaces, 機種依存文字, half-width
katakana, full-width letters and digits, dash placeholders and formula-looking text."""

from __future__ import annotations

import re
import unicodedata

from tsunagu.datastore.ingest.values import is_missing, to_halfwidth
from tsunagu.quality.characters import PLATFORM_DEPENDENT_RE

# Trimmed from both ends: ASCII whitespace, the ideographic space and the no-break space.
EDGE_SPACE = " \t\r\n\f\v\u3000\u00a0"
# C0 controls other than tab and line feed, and DEL: invisible, and they break other tools.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HALFWIDTH_KANA_RE = re.compile("[\uff61-\uff9f]+")
_FULLWIDTH_RE = re.compile("[\uff01-\uff5e]")
# Runs that start and end with a letter or digit (full-width or not), with ASCII-like symbols
# inside: 「ＡＢＣ－１２３」「ｗｗｗ．ｅｘａｍｐｌｅ．ｊｐ」「１０：００」. Symbols outside such a run
# are Japanese punctuation (「（株）」「電話：」) and stay full-width, as does 「～」.
_ALNUM = "0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
_FOLD_RUN_RE = re.compile(f"[{_ALNUM}](?:[\uff01-\uff5d!-~]*[{_ALNUM}])?")
# What a spreadsheet would run as a formula: "=" before anything, or "+", "-", "@" before a
# letter (「-以下同じ」 too: Excel shows #NAME?). Negative numbers ("-12") are not matched.
_FORMULA_RE = re.compile(r"=.|[+\-@]\s*[^\W\d_]", re.DOTALL)


def trim(text: str) -> str:
    """Ends trimmed, inner CR LF / CR as LF, control characters removed."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isprintable():
        text = _CONTROL_RE.sub("", text)
    return text.strip(EDGE_SPACE)


def has_platform_dependent(text: str) -> bool:
    return not text.isascii() and PLATFORM_DEPENDENT_RE.search(text) is not None


def has_halfwidth_kana(text: str) -> bool:
    return not text.isascii() and _HALFWIDTH_KANA_RE.search(text) is not None


def widen_kana(text: str) -> str:
    """Half-width katakana (and its 。「」、・ー) → full-width; ｶﾞ becomes ガ."""
    return _HALFWIDTH_KANA_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def fold_alnum(text: str) -> str:
    """Full-width letters and digits → ASCII, with the symbols between them (see above)."""
    if text.isascii() or _FULLWIDTH_RE.search(text) is None:
        return text
    return _FOLD_RUN_RE.sub(lambda m: to_halfwidth(m.group()), text)


def is_placeholder(text: str, *, wide: bool) -> bool:
    """Dash / ellipsis runs (「－」「…」「・」); with `wide`, also 不明, 該当なし, x, N/A …"""
    return bool(text) and is_missing(text, strict=not wide)


def looks_like_formula(text: str) -> bool:
    return _FORMULA_RE.match(text) is not None


def neutralise(text: str) -> str:
    return "'" + text
