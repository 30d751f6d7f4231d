"""全国地方公共団体コード: six digits, the last a check digit over the first five."""

from __future__ import annotations

import re

_SIX_DIGITS = re.compile(r"^[0-9]{6}$")


def check_digit(first_five: str) -> str:
    weights = (6, 5, 4, 3, 2)
    total = sum(int(d) * w for d, w in zip(first_five, weights, strict=True))
    return str((11 - total % 11) % 10)


def is_valid_local_gov_code(code: str) -> bool:
    return bool(_SIX_DIGITS.match(code)) and check_digit(code[:5]) == code[5]


def prefecture_code(code: str) -> str:
    """The prefecture's own 6-digit code for any code of that prefecture (35201x → 350001)."""
    base = code[:2] + "000"
    return base + check_digit(base)
