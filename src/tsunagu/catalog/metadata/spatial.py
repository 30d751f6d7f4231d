"""対象地域: spatial coverage as 全国地方公共団体コード, with the place names people read.

The list of places is the one the quality checks already use (quality/areas.csv: every
prefecture, municipality and designated-city ward of Japan with its code). A dataset keeps the
codes in ``spatial_codes`` and a label in ``spatial`` (CKAN's free-text field), derived from the
codes unless someone wrote their own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from tsunagu.catalog.local_codes import is_valid_local_gov_code, prefecture_code
from tsunagu.quality.areas import all_areas

_CODE_IN_TEXT = re.compile(r"(?<!\d)(\d{6})(?!\d)")
_SEPARATORS = re.compile(r"[、,，;；/／\s]+")


@dataclass(frozen=True)
class Place:
    code: str
    name: str  # as the source writes it: 下関市, 札幌市中央区, 山口県
    label: str  # with its prefecture: 山口県下関市

    @property
    def is_prefecture(self) -> bool:
        return self.code[2:5] == "000"

    @property
    def prefecture(self) -> str:
        return self.code[:2]


@cache
def _places() -> dict[str, Place]:
    areas = all_areas()
    prefectures = {a.code[:2]: a.name for a in areas if a.code[2:5] == "000"}
    found: dict[str, Place] = {}
    for area in areas:
        if area.code[2:5] == "000":
            label = area.name
        else:
            label = prefectures.get(area.code[:2], "") + area.name
        found[area.code] = Place(area.code, area.name, label)
    return found


@cache
def _by_text() -> dict[str, str | None]:
    """Label and bare name → code; a bare name two places share (府中市) maps to None."""
    index: dict[str, str | None] = {}
    for place in _places().values():
        index[place.label] = place.code
    for place in _places().values():
        if place.name in index and index[place.name] != place.code:
            if place.name != place.label:
                index[place.name] = None
        else:
            index[place.name] = place.code
    return index


def places() -> list[Place]:
    return list(_places().values())


def place(code: str) -> Place | None:
    return _places().get(code)


def places_in(prefixes: set[str]) -> list[Place]:
    """The places of the given prefectures (two-digit prefixes), the prefecture first."""
    return [p for p in _places().values() if p.prefecture in prefixes]


def prefectures() -> list[Place]:
    return [p for p in _places().values() if p.is_prefecture]


def label_for(codes: list[str]) -> str:
    """The label of a list of codes: 山口県下関市、山口県宇部市 (unknown codes are skipped)."""
    return "、".join(p.label for code in codes if (p := place(code)) is not None)


def code_for_text(text: str) -> str | None:
    """The code a person typed or picked: a code (352012), a label (山口県下関市), a bare name
    when only one place has it (下関市), or a picker entry (山口県下関市 352012)."""
    folded = unicodedata.normalize("NFKC", text).strip()
    if not folded:
        return None
    if m := _CODE_IN_TEXT.search(folded):
        return m.group(1)
    return _by_text().get(folded.replace(" ", ""))


def codes_for_label(label: str) -> list[str] | None:
    """The codes a free-text label names ("山口県下関市", "下関市・宇部市"); None unless every part
    is a known place, so a label like "下関市彦島地区" never gets a wrong code."""
    parts = [p for p in _SEPARATORS.split(unicodedata.normalize("NFKC", label)) if p]
    if not parts:
        return None
    codes = []
    for part in parts:
        code = _by_text().get(part)
        if code is None:
            if "・" in part:
                sub = codes_for_label(part.replace("・", "、"))
                if sub is None:
                    return None
                codes.extend(sub)
                continue
            return None
        codes.append(code)
    return list(dict.fromkeys(codes))


def default_codes(org_code: str | None) -> list[str]:
    """An organisation's own area: its code when it is a known place, else its prefecture."""
    if not org_code or not is_valid_local_gov_code(org_code):
        return []
    if place(org_code) is not None:
        return [org_code]
    pref = prefecture_code(org_code)
    return [pref] if place(pref) is not None else []


def check_code(code: str) -> str | None:
    """An error message for a bad code, or None."""
    if not re.fullmatch(r"\d{6}", code):
        return (
            f"「{code}」に当てはまる地域が見つかりません。候補から選ぶか、6 桁の全国地方公共団体"
            "コードで指定してください (Not a known place or 6-digit local government code)"
        )
    if not is_valid_local_gov_code(code):
        return (
            f"「{code}」は検査数字が合いません。6 桁目まで正しいか確かめてください "
            "(Check digit does not match)"
        )
    if place(code) is None:
        return f"「{code}」の地域が見つかりません (Unknown local government code)"
    return None
