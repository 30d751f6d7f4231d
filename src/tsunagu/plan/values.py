"""Values as plans write them: 「140」「約409,000件」「－」「増加」「94.1%」「3.0%以内」
「72.5%(法人二税の電子申告率)」「29.1万m³/年」「窃盗罪(7手口)」.

Each is read into a number (or none), a qualifier saying how to take it, the unit written after
it, and the text exactly as written, which is always kept: a report shows what the plan said.

Qualifiers:

* ``""``: the number as it is;
* ``approx``: 約 / およそ / 程度 (「約409,000件」);
* ``at_most`` / ``at_least``: 以内・以下・未満 / 以上・超 (「3.0%以内」);
* ``none``: a dash, nothing yet or not applicable (「－」「—」「-件」);
* ``text``: words instead of a number (「増加」「推進」「別途検討」「窃盗罪(7手口)」), a
  qualitative target or baseline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tsunagu.datastore.ingest.halfwidth import to_halfwidth
from tsunagu.datastore.ingest.missing import is_missing
from tsunagu.datastore.ingest.numbers import parse_numeric
from tsunagu.plan import fiscal

QUALIFIERS = ("", "approx", "at_most", "at_least", "none", "text")
QUALIFIER_LABELS = {
    "": "",
    "approx": "約",
    "at_most": "以内",
    "at_least": "以上",
    "none": "なし（－）",
    "text": "文言",
}

_APPROX = r"(?:約|およそ|概ね|ほぼ)"
_NUMBER = r"[+\-−△▲]?\s*(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
# A unit: a short run without digits or brackets (件, %, 万m³/年, 市町村, システム).
_UNIT = r"[^\s0-9()（）,.]{1,12}?"
_BOUND = r"(?P<bound>以内|以下|未満|以上|超)"
_APPROX_AFTER = r"(?P<approx_after>程度|前後)"
_VALUE_RE = re.compile(
    rf"(?P<approx>{_APPROX})?\s*(?P<number>{_NUMBER})\s*(?P<unit>{_UNIT})?\s*"
    rf"(?:{_BOUND}|{_APPROX_AFTER})?\s*(?:[(（](?P<remark>[^()（）]*)[)）])?"
)
# A dash with a unit after it, as in 「-件」 (nothing yet, counted in 件).
_DASH_UNIT = re.compile(r"[\-−－‐―—ー–]\s*(?P<unit>[^\s0-9\-−－‐―—ー–]{1,12})")
_BOUNDS = {
    "以内": "at_most",
    "以下": "at_most",
    "未満": "at_most",
    "以上": "at_least",
    "超": "at_least",
}
# Words that carry a direction when a target is written in words.
INCREASE_WORDS = ("増加", "増やす", "拡大", "向上", "上昇")
DECREASE_WORDS = ("減少", "減らす", "削減", "縮小", "低下")
MAINTAIN_WORDS = ("維持",)


@dataclass(frozen=True)
class Value:
    number: float | None
    qualifier: str
    unit: str
    text: str  # as written
    remark: str = ""  # what the brackets after the number said
    # What reading it took, for the import's row notes ("" when it was a plain number).
    how: str = ""

    @property
    def is_number(self) -> bool:
        return self.number is not None


def _fold(text: str) -> str:
    # Full-width ASCII only: NFKC would also turn m³ into m3 and lose the unit as written.
    return to_halfwidth(text).strip()


def _number(text: str) -> float:
    parsed = parse_numeric(text.replace(" ", ""))
    assert parsed is not None  # the pattern only matched digits
    return float(parsed)


def parse_value(raw: object) -> Value:
    """Read one cell of a plan table (see the module docstring)."""
    if raw is None:
        return Value(None, "none", "", "", how="")
    if isinstance(raw, bool):
        return Value(None, "text", "", str(raw), how="文言として読みました")
    if isinstance(raw, int | float):
        return Value(float(raw), "", "", _plain(raw))
    text = str(raw).strip()
    if not text:
        return Value(None, "none", "", "", how="")
    folded = _fold(text)
    wide = folded != text and any("０" <= c <= "９" for c in text)
    note_wide = "全角の数字を半角として読みました。" if wide else ""
    if is_missing(folded, strict=True):
        return Value(None, "none", "", text, how=f"「{text}」を値なし（－）と読みました")
    if dash := _DASH_UNIT.fullmatch(folded):
        return Value(
            None,
            "none",
            dash.group("unit"),
            text,
            how=f"「{text}」を値なし（－、単位 {dash.group('unit')}）と読みました",
        )
    match = _VALUE_RE.fullmatch(folded)
    if match is None:
        return Value(
            None, "text", "", text, how=f"「{text}」は数値ではないため文言として読みました"
        )
    number = _number(match.group("number"))
    unit = (match.group("unit") or "").strip()
    remark = (match.group("remark") or "").strip()
    qualifier = ""
    how = note_wide
    if match.group("approx") or match.group("approx_after"):
        qualifier = "approx"
        how += f"「{text}」を約 {_plain(number)}{unit}（およその値）と読みました。"
    elif bound := match.group("bound"):
        qualifier = _BOUNDS[bound]
        how += f"「{text}」を {_plain(number)}{unit}{bound}と読みました。"
    elif unit == "%":
        how += f"「{text}」を {_plain(number)}（単位 %）と読みました。"
    elif "," in match.group("number"):
        how += f"「{text}」を {_plain(number)} と読みました。"
    if remark:
        how += f"括弧内の「{remark}」は注記として残しました。"
    return Value(number, qualifier, unit, text, remark, how.strip())


def _plain(number: float | int) -> str:
    """12.0 → "12", 94.1 → "94.1" (as a person writes it)."""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def plain(number: float | None) -> str:
    return "" if number is None else _plain(number)


def show(number: float | None, qualifier: str, unit: str, text: str) -> str:
    """How a stored value reads on a page: the text as written when there is one."""
    if text:
        return text
    if number is None:
        return "－"
    prefix = "約" if qualifier == "approx" else ""
    suffix = {"at_most": "以内", "at_least": "以上"}.get(qualifier, "")
    return f"{prefix}{_plain(number)}{unit}{suffix}"


def split_period(text: str) -> tuple[str, fiscal.Period | None]:
    """「140 (R元年度)」 → ("140", R元年度): a value with its period in trailing brackets (how
    施策集 sheets write 現状 and 目標 in one cell). Brackets that are not a period stay."""
    stripped = text.strip()
    start = _trailing_bracket(stripped)
    if start is None:
        return stripped, None
    try:
        period = fiscal.parse_period(stripped[start + 1 : -1])
    except ValueError:
        return stripped, None
    if period is None:
        return stripped, None
    return stripped[:start].strip(), period


def _trailing_bracket(text: str) -> int | None:
    """Where the bracketed group that ends ``text`` opens (brackets may nest: 「-件（2019
    (令元)）」), or None."""
    if not text.endswith((")", "）")):
        return None
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        if text[index] in ")）":
            depth += 1
        elif text[index] in "(（":
            depth -= 1
            if depth == 0:
                return index if index > 0 else None
    return None


def direction_from_words(text: str) -> str | None:
    """increase / decrease / maintain when a target in words says which way; else None."""
    folded = _fold(text)
    if any(w in folded for w in MAINTAIN_WORDS) and any(w in folded for w in INCREASE_WORDS):
        return "increase"  # 維持・増加: not below, better above
    if any(w in folded for w in INCREASE_WORDS):
        return "increase"
    if any(w in folded for w in DECREASE_WORDS):
        return "decrease"
    if any(w in folded for w in MAINTAIN_WORDS):
        return "maintain"
    return None
