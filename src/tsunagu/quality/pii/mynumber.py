"""個人番号 (マイナンバー): twelve digits, the last a check digit.

The check digit is defined in 総務省令第八十五号 第五条 (the ordinance under 番号法施行令 第八条):
with P(n) the n-th of the first eleven digits counted from the right (n = 1 … 11) and
Q(n) = n + 1 for n ≤ 6 and n − 5 for n ≥ 7, the remainder r = Σ P(n)·Q(n) mod 11 gives the
check digit 0 when r ≤ 1 and 11 − r otherwise. Read left to right the weights are
6 5 4 3 2 7 6 5 4 3 2. Worked example: 98320567321 → Σ = 238, 238 mod 11 = 7, digit 11 − 7 = 4,
so 983205673214 is well-formed.
"""

from __future__ import annotations

import re

_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

# On folded text: twelve digits, or three groups of four split by the same space or hyphen.
# Not after "+" (a +81 phone number has twelve digits too) nor inside a longer number.
MY_NUMBER_RE = re.compile(r"(?<![0-9+.])([0-9]{4})([ -]?)([0-9]{4})\2([0-9]{4})(?![0-9])")


def check_digit(first_eleven: str) -> int:
    """The check digit of the first eleven digits of a 個人番号."""
    if len(first_eleven) != 11 or not first_eleven.isdigit() or not first_eleven.isascii():
        raise ValueError("個人番号の検査用数字は 11 桁の数字から計算します")
    remainder = sum(int(d) * w for d, w in zip(first_eleven, _WEIGHTS, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_my_number(digits: str) -> bool:
    """Whether twelve ASCII digits carry a correct 個人番号 check digit."""
    if len(digits) != 12 or not digits.isdigit() or not digits.isascii():
        return False
    return check_digit(digits[:11]) == int(digits[11])


def looks_like_timestamp(digits: str) -> bool:
    """yyyymmddHHMM: twelve-digit timestamps are common in exports and are not 個人番号."""
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    hour, minute = int(digits[8:10]), int(digits[10:])
    return (
        1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60
    )


def twelve_digit_runs(folded: str) -> list[str]:
    """Every 12-digit run in folded text, written plainly or as 4-4-4 groups."""
    return [m.group(1) + m.group(3) + m.group(4) for m in MY_NUMBER_RE.finditer(folded)]


def mask_my_number(digits: str) -> str:
    return f"{digits[:4]} **** {digits[8:]}"
