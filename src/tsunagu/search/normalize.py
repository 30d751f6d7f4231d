"""Text normalisation and tokenisation for the in-memory n-gram index.

Documents and queries go through the same rules, so the terms of a query word are always a subset
of the terms of every document containing that word:

- ASCII letters/digits form whole-word terms ("aed", "2024", "csv").
- Runs of other word characters (kanji, kana, other scripts, and ``ー``) form overlapping character
  bigrams; a run of one character yields that character. Japanese has no spaces between words,
  so bigrams are what make substring search work without a dictionary.
- Everything else (punctuation, spaces, ``_``, ``-``) separates runs.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from typing import Any

__all__ = ["normalize_text", "query_terms", "reading", "tokenize", "unigrams"]

# Katakana ァ..ヶ (U+30A1-U+30F6) and the iteration marks ヽヾ sit exactly 0x60 above their
# hiragana counterparts. ヷ-ヺ have no hiragana form and ー is shared by both scripts: kept as is.
_KATA_TO_HIRA: dict[int, int] = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)}
_KATA_TO_HIRA |= {0x30FD: 0x309D, 0x30FE: 0x309E}
# The small ヵ/ヶ (and hiragana ゕ/ゖ) are spelling variants of か/け in counters and place names
# (一ヵ月/一カ月, 霞ヶ関/霞ケ関, 茅ヶ崎/茅ケ崎), so fold them into the full-size kana.
_KATA_TO_HIRA |= {0x30F5: 0x304B, 0x30F6: 0x3051, 0x3095: 0x304B, 0x3096: 0x3051}

# Group 1: an ASCII word. Group 2: a run of non-ASCII word characters. \w is Unicode-aware and
# covers str.isalnum() (ー and 々 are letters too); excluding \x00-\x7f leaves ASCII to group 1
# and makes "_" a separator.
_RUN_RE = re.compile(r"([a-z0-9]+)|([^\W\x00-\x7f]+)")
_NON_ASCII_WORD_RE = re.compile(r"[^\W\x00-\x7f]+")


def normalize_text(s: str) -> str:
    """NFKC, lower-case, katakana → hiragana, whitespace runs collapsed to one space, stripped.

    Idempotent, so it is safe to apply twice.
    """
    s = unicodedata.normalize("NFKC", s).lower().translate(_KATA_TO_HIRA)
    # str.split() with no argument splits on every Unicode whitespace run (U+3000 included).
    return " ".join(s.split())


def _terms(s: str) -> list[str]:
    out: list[str] = []
    append = out.append
    for word, run in _RUN_RE.findall(s):
        if word:
            append(word)
        elif len(run) == 1:
            append(run)
        else:
            out.extend([run[i : i + 2] for i in range(len(run) - 1)])
    return out


def tokenize(s: str) -> list[str]:
    """Index terms of already normalised text, in order and with repeats.

    >>> tokenize(normalize_text("避難所 AED一覧"))
    ['避難', '難所', 'aed', '一覧']
    """
    return _terms(s)


def query_terms(s: str) -> list[str]:
    """Terms of a query word or phrase, by exactly the rules of :func:`tokenize`.

    The input is normalised first (normalisation is idempotent, so already normalised input is
    fine); repeats are kept so positions line up with the phrase.
    """
    return _terms(normalize_text(s))


def unigrams(s: str) -> set[str]:
    """Every non-ASCII word character of normalised text, so 1-character queries (水) can match."""
    return set("".join(_NON_ASCII_WORD_RE.findall(s)))


_kakasi: Any = None
_kakasi_lock = threading.Lock()


def _get_kakasi() -> Any:
    # Creating a kakasi instance loads its dictionaries (~0.5 s), so do it once, on first use.
    global _kakasi
    if _kakasi is None:
        with _kakasi_lock:
            if _kakasi is None:
                import pykakasi

                _kakasi = pykakasi.kakasi()
    return _kakasi


# Runs of kanji and hiragana (with 々 〆 ヶ, and ケ between them as in 霞ケ関), and the text between
# them. pykakasi splits text by script before its dictionary lookup, so a run reads the same
# wherever it stands, and runs (避難所, 空き家, 人口) repeat across titles far more than whole
# titles do.
_KANJI_KANA = "\u3041-\u309f\u3005\u3006\u30f6\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_READING_RUNS = re.compile(
    f"(?:[{_KANJI_KANA}]|(?<=[{_KANJI_KANA}])ケ(?=[{_KANJI_KANA}]))+|[^{_KANJI_KANA}]+"
)


@functools.lru_cache(maxsize=20_000)
def reading(s: str) -> str:
    """Hiragana reading of Japanese text, normalised, without spaces ("避難所" → "ひなんじょ").

    Remembered, run by run: the dictionary lookup is most of an index build's time, and tags
    and the words of titles repeat across datasets."""
    if not s or s.isspace():
        return ""
    hira = "".join(_run_reading(run) for run in _READING_RUNS.findall(s))
    return normalize_text(hira).replace(" ", "")


@functools.lru_cache(maxsize=100_000)
def _run_reading(run: str) -> str:
    return "".join(item["hira"] for item in _get_kakasi().convert(run))
