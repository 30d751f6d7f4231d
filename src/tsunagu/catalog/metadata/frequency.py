"""更新頻度: a controlled list of codes, mapped to the EU Publications Office frequency authority
(the vocabulary DCAT-AP uses for dct:accrualPeriodicity).

The stored value is the code; the Japanese label and the URI are derived. Input accepts the code,
the label, and the free-text spellings Japanese catalogs use (月次, 毎年度, 年1回, 月1回更新 …).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

AUTHORITY = "http://publications.europa.eu/resource/authority/frequency/"


@dataclass(frozen=True)
class Frequency:
    code: str
    label: str
    english: str
    authority: str  # the concept's name in the EU frequency authority table
    # Days from one update to the next, and the slack allowed before a dataset counts as
    # overdue; None for frequencies with no schedule (随時, 不定期).
    period_days: int | None
    grace_days: int | None

    @property
    def uri(self) -> str:
        return AUTHORITY + self.authority


# In the order the form offers them: scheduled ones from the most frequent, then unscheduled.
FREQUENCIES = (
    Frequency("daily", "毎日", "Daily", "DAILY", 1, 2),
    Frequency("weekly", "毎週", "Weekly", "WEEKLY", 7, 3),
    Frequency("monthly", "毎月", "Monthly", "MONTHLY", 30, 15),
    Frequency("quarterly", "四半期", "Quarterly", "QUARTERLY", 91, 30),
    Frequency("semiannual", "半年", "Semiannual", "ANNUAL_2", 182, 30),
    Frequency("annual", "毎年", "Annual", "ANNUAL", 365, 60),
    # 随時: updated whenever something changes (AS_NEEDED); 不定期: at irregular times (IRREG).
    Frequency("as_needed", "随時", "As needed", "AS_NEEDED", None, None),
    Frequency("irregular", "不定期", "Irregular", "IRREG", None, None),
)
BY_CODE = {f.code: f for f in FREQUENCIES}
CODES = tuple(BY_CODE)

# Whole spellings (after _fold) of each code; numbers are handled by _COUNTED below.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "daily": ("毎日", "日次", "日毎", "日ごと", "1日毎", "1日ごと", "デイリー"),
    "weekly": ("毎週", "週次", "週毎", "週ごと", "1週間毎", "1週間ごと", "ウィークリー"),
    "monthly": ("毎月", "月次", "月毎", "月ごと", "月例", "マンスリー"),
    "quarterly": ("4半期", "4半期毎", "4半期ごと"),  # 四半期 after _fold
    "semiannual": ("半年", "半年毎", "半年ごと", "半期", "半期毎", "半期ごと", "上期下期"),
    "annual": (
        "毎年",
        "年次",
        "年毎",
        "年ごと",
        "毎年度",
        "年度毎",
        "年度ごと",
        "年度",
        "年報",
        "1年毎",
        "1年ごと",
        "年間",
    ),
    "as_needed": ("随時", "適宜", "必要に応じて", "必要に応じ", "必要時", "変更時", "変更の都度"),
    "irregular": ("不定期", "不定時", "非定期"),
}
_BY_SPELLING = {s: code for code, spellings in _SPELLINGS.items() for s in spellings}
for _f in FREQUENCIES:
    _BY_SPELLING[_f.code] = _f.code
    _BY_SPELLING[_f.english.lower().replace(" ", "")] = _f.code
    _BY_SPELLING[_f.authority.lower()] = _f.code
_BY_SPELLING |= {"yearly": "annual", "asneeded": "as_needed", "irreg": "irregular"}

# "年1回", "月1回", "週1回", "年4回", "3か月毎", "6ヶ月に1回", "1年に1回", "12か月ごと".
_COUNTED = re.compile(r"^(年|月|週|日)(\d+)回$")
_EVERY = re.compile(r"^(\d+)(か月|ヶ月|ヵ月|カ月|箇月|月|年|週間|週|日)(毎|ごと|に1回|おき)?$")
_PER_YEAR = {1: "annual", 2: "semiannual", 4: "quarterly", 12: "monthly", 52: "weekly"}
_EVERY_MONTHS = {1: "monthly", 3: "quarterly", 6: "semiannual", 12: "annual"}
_EVERY_PREFIX = (("毎年", "annual"), ("毎月", "monthly"), ("毎週", "weekly"), ("毎日", "daily"))
_KANJI_DIGITS = str.maketrans("一二三四五六七八九〇", "1234567890")
# Words around the frequency that do not change it: "毎月更新", "年1回程度", "（予定）".
_NOISE = re.compile(r"[（(][^）)]*[）)]|更新|程度|頃|ころ|予定|実施|公開|作成|[\s・,、。.]")


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = _NOISE.sub("", folded.replace("十二", "12"))
    return folded.translate(_KANJI_DIGITS).replace("に一回", "に1回")


def from_text(text: str) -> str | None:
    """The code a free-text frequency means, or None when it is not clear (年3回, 2年に1回 …).

    "" stays "" (not set). Used for input and by the migration that maps old free text.
    """
    if not text or not text.strip():
        return ""
    raw = unicodedata.normalize("NFKC", text).strip().lower()
    if raw in BY_CODE:
        return raw
    folded = _fold(text)
    if not folded:
        return None
    if folded in _BY_SPELLING:
        return _BY_SPELLING[folded]
    if re.match(r"^毎[年月週日]\d+回$", folded):
        folded = folded[1:]  # 毎月1回 = 月1回
    for prefix, code in _EVERY_PREFIX:
        # "毎年4月", "毎月末", "毎週月曜": when in the period does not change the period.
        if folded.startswith(prefix) and "回" not in folded:
            return code
    if m := _COUNTED.match(folded):
        unit, count = m.group(1), int(m.group(2))
        if unit == "年":
            return _PER_YEAR.get(count)
        return {"月": "monthly", "週": "weekly", "日": "daily"}[unit] if count == 1 else None
    if m := _EVERY.match(folded):
        count, unit = int(m.group(1)), m.group(2)
        if m.group(3) == "おき":
            return None  # "1か月おき" is every other month in common use: not clear
        if unit in ("か月", "ヶ月", "ヵ月", "カ月", "箇月", "月"):
            return _EVERY_MONTHS.get(count)
        if unit == "年":
            return "annual" if count == 1 else None
        if unit in ("週間", "週"):
            return "weekly" if count == 1 else None
        return "daily" if count == 1 else None
    return None


def normalise(value: str) -> str:
    """The code for a code, label or common spelling; ValueError when none fits."""
    code = from_text(value)
    if code is None:
        raise ValueError(value)
    return code


def label(code: str) -> str:
    found = BY_CODE.get(code)
    return found.label if found else ""


def uri(code: str) -> str:
    found = BY_CODE.get(code)
    return found.uri if found else ""


def period_days(code: str) -> int | None:
    found = BY_CODE.get(code)
    return found.period_days if found else None


def due_after_days(code: str) -> int | None:
    """Days after the last data update when a dataset becomes overdue (毎月: 30 + 15 = 45)."""
    found = BY_CODE.get(code)
    if found is None or found.period_days is None or found.grace_days is None:
        return None
    return found.period_days + found.grace_days


def choices_text() -> str:
    """The codes and labels for an error message: "daily（毎日）、weekly（毎週）…"."""
    return "、".join(f"{f.code}（{f.label}）" for f in FREQUENCIES)
