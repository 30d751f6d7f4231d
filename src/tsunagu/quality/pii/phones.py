"""Japanese telephone numbers in cell text: mobile (070/080/090) and everything else.

Numbers are found in folded text (see text.fold) written with or without hyphens, spaces or
parentheses, as 0X… or in the international form +81 (the leading 0 dropped, sometimes kept
as "(0)"). A match must have the length the numbering plan gives its prefix, so dates, postal
codes, coordinates and 13-digit 法人番号 do not pass for phone numbers.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

PhoneKind = Literal["mobile", "other"]

_PHONE_RE = re.compile(
    r"(?<![0-9.])"
    r"(?:\+81[ -]?(?:\(0\)[ -]?)?|\(?0)"  # +81, +81 (0), 0 or (0
    r"([0-9](?:[ ()\-]{0,2}[0-9]){8,9})"  # the rest: 9 or 10 digits
    r"(?![0-9])"
)
_NON_DIGITS = re.compile(r"[^0-9]")
# What every mobile number _PHONE_RE finds holds after its leading 0: 7, 8 or 9, then 0 and
# eight more digits, ending the number. A fixed line has ten digits, its leading 0 among them,
# so a column of them has almost no cell this matches; the scan looks at the others no further
# when only mobile numbers could be reported there.
MOBILE_HINT_RE = re.compile(r"[789][ ()\-]{0,2}0(?:[ ()\-]{0,2}[0-9]){8}(?![0-9])")
MOBILE_PREFIXES = ("070", "080", "090")
# 11-digit non-mobile services: IP phones (050), toll-free 0800, M2M/pagers (020).
_ELEVEN_DIGIT_OTHER = ("050", "0800", "020")
# Prefixes that never start a 10-digit number (a mobile number with a digit missing).
_UNUSED_TEN_DIGIT = ("020", "050", "060", "070", "080", "090")


class Phone(NamedTuple):
    digits: str  # national form, leading 0 included
    kind: PhoneKind
    bare: bool = False  # written as digits only: in a code column, more likely a code


def _classify(digits: str) -> PhoneKind | None:
    if len(digits) == 11:
        if digits.startswith(MOBILE_PREFIXES):
            return "mobile"
        if digits.startswith(_ELEVEN_DIGIT_OTHER):
            return "other"
        return None
    if len(digits) == 10 and digits[1] != "0" and not digits.startswith(_UNUSED_TEN_DIGIT):
        return "other"  # fixed lines, 0120, 0570
    return None


def find_phones(folded: str) -> list[Phone]:
    found = []
    for m in _PHONE_RE.finditer(folded):
        digits = "0" + _NON_DIGITS.sub("", m.group(1))
        kind = _classify(digits)
        if kind is not None:
            found.append(Phone(digits, kind, m.group().isdigit()))
    return found


def phone_from_number(value: int) -> Phone | None:
    """A phone number a spreadsheet stored as a number, its leading 0 lost (9012345678)."""
    text = str(value)
    if len(text) in (9, 10):
        digits = "0" + text
        kind = _classify(digits)
        if kind is not None:
            return Phone(digits, kind, bare=True)
    return None


def mask_phone(digits: str) -> str:
    """Area code and the last four digits: 090-****-5678, 03-****-5678, 011-***-5678."""
    head = 2 if digits.startswith(("03", "06")) and len(digits) == 10 else 3
    if digits.startswith(("0120", "0570", "0800")):
        head = 4
    return f"{digits[:head]}-{'*' * (len(digits) - head - 4)}-{digits[-4:]}"
