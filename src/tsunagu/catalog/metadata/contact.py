"""The contact point (問い合わせ先): 担当課, e-mail and a phone number in Japanese formats."""

from __future__ import annotations

import re
import unicodedata

# Separators people put in numbers: hyphens of every width, brackets, dots, spaces.
_SEPARATORS = re.compile(r"[\s\-‐‑–—―ー－().（）・]")
# An extension after the number: 内線1234, 内1234, ext. 12, (内線 1234).
_EXTENSION = re.compile(r"[\s(（]*(?:内線|内|ext\.?|x)\s*(\d{1,6})[)）]?\s*$", re.IGNORECASE)
_DOMESTIC = re.compile(r"^0\d{9,10}$")  # 0 + area code and number: 10 digits, 11 for 0X0
_INTERNATIONAL = re.compile(r"^\+81\d{9,10}$")
PHONE_EXAMPLES = (
    "例: 083-231-1111、0832-31-1111、(083)231-1111、090-1234-5678、083-231-1111 内線123"
)


def normalise_phone(value: str) -> str:
    """The number as typed, with full-width characters made half-width and spaces trimmed."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def phone_problem(value: str) -> str | None:
    """Why a phone number is not one, in Japanese; None when it is fine (or empty)."""
    if not value:
        return None
    number = _EXTENSION.sub("", value)
    digits = _SEPARATORS.sub("", number)
    if digits.startswith("+81"):
        # +81 83-231-1111 or +81 (0)83-231-1111: the trunk 0 may be written in brackets.
        rest = digits[3:]
        digits = "+81" + (rest[1:] if rest.startswith("0") else rest)
        if _INTERNATIONAL.match(digits):
            return None
    elif _DOMESTIC.match(digits):
        if len(digits) == 11 and not re.match(r"^0[5789]0|^0800", digits):
            return f"「{value}」は桁数が多すぎます。市外局番から 10 桁で入力してください"
        return None
    if not digits.replace("+", "").isdigit():
        return f"「{value}」は電話番号として読めません（{PHONE_EXAMPLES}）"
    return (
        f"「{value}」は電話番号の桁数が合いません。市外局番から入力してください（{PHONE_EXAMPLES}）"
    )
