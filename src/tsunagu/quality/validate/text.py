"""Checks of one text cell that apply in every column: characters, spaces, dates, placeholders.

Most cells are clean, so one combined regex decides whether a cell needs a closer look; only
the few that match run the individual checks. Each check returns (rule id, detail) pairs.
"""

from __future__ import annotations

import re

from tsunagu.datastore.ingest.values import is_missing, parse_date, to_halfwidth
from tsunagu.quality.characters import PLATFORM_DEPENDENT_RE, platform_dependent_chars
from tsunagu.quality.findings import preview

Issue = tuple[str, str | None]

MAX_CELL_CHARS = 5000  # longer than any sensible description; usually pasted documents
_ERAS = "明治|大正|昭和|平成|令和|[㍾㍽㍼㍻㋿]"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\t]")
_BREAK = re.compile(r"[\r\n\u2028\u2029]")
_WIDE_ALNUM = re.compile(r"[０-９Ａ-Ｚａ-ｚ]")
_HALF_KANA = re.compile(r"[\uff61-\uff9f]")
# UTF-8 read as Shift_JIS (縺・繧・繝 …), as Latin-1 (Ã©, ã\x81), or undecodable bytes (U+FFFD).
# UTF-8 read as Shift_JIS also gives kanji and half-width katakana in turns (荳ｭ螟ｮ = 中央).
_MOJIBAKE = re.compile(
    r"\ufffd|[縺繧繝][\u3000-\u30ff\uff61-\uff9f\u4e00-\u9fff]|[ÃÂãâ][\x80-\xbf]"
    r"|(?:[\u4e00-\u9fff][\uff61-\uff9f]){2}"
)
_FORMULA = re.compile(r"[=@]|[+\-][A-Za-z(]")
_WESTERN_DATE = re.compile(
    r"(\d{4})(?:([/.\-])(\d{1,2})\2(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日)"
)
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_ROMAJI_ERA = re.compile(r"[MTSHRmtshr]\s*(?:\d{1,2}|元)[./年]")

# Anything any check below could flag. ASCII cells: control characters, spaces at either end,
# formula starts, dates with / or ., era initials (R2.4.1), single-character placeholders.
_ASCII_SUSPECT = re.compile(
    r"[\x00-\x1f\x7f]|^[\s=@+\-*.]|\s$|^\d{4}[/.\-]|^[MTSHRmtshr]\s*\d|^(?:N/?A|NULL|NaN|X|x)$"
)
_WIDE_SUSPECT = re.compile(
    r"[\x00-\x1f\x7f\u2028\u2029\ufffd]|^[\s=@+\-*.]|\s$|[０-９Ａ-Ｚａ-ｚ\uff61-\uff9f]"
    rf"|{_ERAS}|[縺繧繝ÃÂãâ]|^\d{{4}}|^[MTSHRmtshr]\s*\d|{PLATFORM_DEPENDENT_RE.pattern}"
    r"|^[\s－ー‐―−…‥・不該秘]"
)


# Whitespace as str.strip() sees it, except the line feed that joins cells below.
_SPACES = "\t\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# The same question for many cells at once, asked of "\n" + "\n".join(cells) + "\n" with
# three regexes. Each starts with one character class or a literal, which the regex engine
# scans for quickly; a single alternation of them all was several times slower.
_FLAGGED_CHARS = (
    r"\x00-\x09\x0b-\x1f\x7f\u2028\u2029\ufffd０-９Ａ-Ｚａ-ｚ\uff61-\uff9f縺繧繝ÃÂãâ㍾㍽㍼㍻㋿"
    + PLATFORM_DEPENDENT_RE.pattern[1:-1]
)
# A flagged character anywhere, or a space at the end of a cell.
SUSPECT_CHARS = re.compile(rf"[{_FLAGGED_CHARS}{_SPACES}](?:(?<=[{_FLAGGED_CHARS}])|(?=\n))")
# How a suspicious cell starts: a space, a formula sign, a date, a placeholder.
SUSPECT_STARTS = re.compile(
    rf"\n(?:[{_SPACES}=@+\-*.]|\d{{4}}[/.\-年]|[MTSHRmtshr][{_SPACES}]*\d|[－ー‐―−…‥・不該秘]"
    r"|(?:N/?A|NULL|NaN|X|x)(?=\n))"
)
# Only needed when the text is not ASCII. Starting with one character class lets the regex
# engine skip ahead (the plain alternation _ERAS tries five words at every character).
ERA_WORDS = re.compile(
    r"[明大昭平令㍾㍽㍼㍻㋿](?:(?<=[㍾㍽㍼㍻㋿])|(?<=明)治|(?<=大)正|(?<=昭)和|(?<=平)成|(?<=令)和)"
)


def needs_look(text: str) -> bool:
    """Whether `text` could break any rule here (False for almost every clean cell)."""
    if len(text) > MAX_CELL_CHARS:
        return True
    if text.isascii():
        return _ASCII_SUSPECT.search(text) is not None
    return _WIDE_SUSPECT.search(text) is not None


def text_issues(text: str) -> list[Issue]:
    """Every problem of a non-empty text cell that does not depend on its column."""
    issues: list[Issue] = []
    if len(text) > MAX_CELL_CHARS:
        issues.append(("cells.too_long", f"{len(text):,}"))
    if control := _CONTROL.search(text):
        char = control.group()
        issues.append(("cells.control_char", "タブ" if char == "\t" else f"U+{ord(char):04X}"))
    if _BREAK.search(text):
        issues.append(("cells.multiple_values", None))
    core = text.strip()
    if core != text:
        issues.append(("cells.spaces", None))
    if not core:
        return issues
    if _FORMULA.match(core):
        issues.append(("cells.formula", core[0]))
    if not text.isascii():
        if _MOJIBAKE.search(text):
            issues.append(("file.mojibake", None))
            return issues  # the other findings would only describe the garbage
            return issues  # the other findings would only describe the garbage
        if chars := platform_dependent_chars(text):
            issues.append(("cells.platform_dependent", "、".join(chars[:5])))
        if _HALF_KANA.search(text):
            issues.append(("cells.halfwidth_kana", None))
    if len(core) <= 8 and is_missing(core):
        issues.append(("cells.placeholder", None))
        return issues
    if date_issue := _date_issue(core):
        issues.append(date_issue)
    elif _WIDE_ALNUM.search(text):
        issues.append(("cells.fullwidth", f"例: 「{preview(to_halfwidth(core))}」"))
    return issues


def _date_issue(core: str) -> Issue | None:
    """和暦 or a Western date not in ISO 8601, when the whole cell is a date."""
    if len(core) > 24:
        return None
    folded = to_halfwidth(core)
    era = (not folded.isascii() and re.search(_ERAS, folded)) or _ROMAJI_ERA.match(folded)
    western = _WESTERN_DATE.fullmatch(folded)
    if not era and (western is None or _ISO_DATE.fullmatch(folded)):
        return None
    try:
        day = parse_date(folded)
    except ValueError:
        return None
    if day is None:
        return None
    return ("cells.wareki" if era else "cells.date_format", day.isoformat())
