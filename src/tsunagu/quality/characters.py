"""機種依存文字: characters that only some systems (Windows code page 932, old Macs) can show.

The Digital Agency's machine-readability guide asks for none of them: ① ㈱ ㍻ ℡ and friends
turn into garbage or vanish in other systems. Detection covers the NEC special characters and
the compatibility blocks they live in; replacement spells each one out in ordinary characters
(① → (1), ㈱ → (株), ㍻ → 平成, ℡ → TEL) rather than dropping it.
"""

from __future__ import annotations

import re
import unicodedata

# Circled and parenthesised numbers, Roman numerals, squared words (㍉ ㌔), enclosed
# ideographs (㈱ ㊤), era ligatures (㍻ ㋿) and the № ℡ ™ signs (NEC row 13 and friends).
_RANGES = (
    "\u2160-\u217f"  # Ⅰ–ⅿ Roman numerals
    "\u2460-\u24ff"  # ①–⓿ enclosed alphanumerics
    "\u2776-\u2793"  # ❶–➓ dingbat circled numbers
    "\u3200-\u32ff"  # ㈠–㋿ enclosed CJK letters and months (㈱ ㊤ ㋿)
    "\u3300-\u33ff"  # ㌀–㏿ CJK compatibility (㍉ ㌔ ㍻ ㏍)
    "\u2116\u2121\u2122"  # № ℡ ™
)
PLATFORM_DEPENDENT_RE = re.compile(f"[{_RANGES}]")


def platform_dependent_chars(text: str) -> list[str]:
    """The 機種依存文字 in `text`, in order of appearance, each once."""
    if text.isascii():
        return []
    return list(dict.fromkeys(PLATFORM_DEPENDENT_RE.findall(text)))


def has_platform_dependent(text: str) -> bool:
    return bool(platform_dependent_chars(text))


def replacement(char: str) -> str:
    """How one 機種依存文字 is spelt in ordinary characters."""
    if "\u2776" <= char <= "\u2793":  # ❶–❿, ➀–➉, ➊–➓: three runs of 1–10
        return f"({(ord(char) - 0x2776) % 10 + 1})"
    decomposition = unicodedata.decomposition(char)
    folded = unicodedata.normalize("NFKC", char)
    if decomposition.startswith("<circle>"):
        return f"({folded})"
    if decomposition.startswith("<super>") or decomposition.startswith("<sub>"):
        return folded
    return folded if folded != char else char


def replace_platform_dependent(text: str) -> str:
    """`text` with every 機種依存文字 spelt out (① → (1), ㈱ → (株), ㍻ → 平成, ℡ → TEL)."""
    if text.isascii():
        return text
    return PLATFORM_DEPENDENT_RE.sub(lambda m: replacement(m.group()), text)
