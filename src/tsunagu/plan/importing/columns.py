"""Which field of a plan each column of a plan table holds, suggested from its header.

Prefectures keep plans in two kinds of table: a 施策集 (番号 | 施策名 | 所管課 | 取組概要 | 指標 |
現状 | 目標 | R2年度 | R3年度 | R4年度), and a master table like 宮城県's (重点目標 | 取組の方向性 |
事業番号 | 事業名【担当部局・課室名】 | H29 | H30 | H31 | H32 | 指標 | ※官民データ | 掲載頁).
Headers are compared as the quality checks compare column names (quality/standards: width,
spaces and brackets do not matter). A year column is a 工程表 stage unless its header says
実績 (an actual value). The plan's own level names (施策の柱, 推進方策 …) name the hierarchy.
Staff may change every suggestion in the preview; a column mapped to nothing is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tsunagu.plan import fiscal
from tsunagu.quality.standards import column_key

IGNORE = ""

# Field → label shown in the mapping choices, and the header words that suggest it (compared
# by column_key, exactly first, then as the start of the header).
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "number": (
        "番号",
        (
            "番号",
            "No",
            "No.",
            "施策番号",
            "事業番号",
            "事業番号・細目番号",
            "個別施策番号",
            "通し番号",
        ),
    ),
    "name": (
        "施策名",
        ("施策名", "事業名", "施策", "事業", "取組名", "取組", "主な取組", "個別施策", "名称"),
    ),
    "departments": (
        "所管課",
        (
            "所管課",
            "担当課",
            "所管",
            "担当",
            "担当部局",
            "担当部局・課室名",
            "所管部局",
            "担当課室",
        ),
    ),
    "organizations": ("所管組織（カタログの組織）", ("所管組織", "組織")),
    "summary": (
        "取組概要",
        ("取組概要", "取組概要・今後の取組", "概要", "事業概要", "取組内容", "内容", "事業内容"),
    ),
    "categories": (
        "国の計画の分類（官民データ）",
        ("官民データ", "※官民データ", "国の計画", "基本的施策", "分類"),
    ),
    "measure_note": ("施策の備考", ("備考", "施策備考", "掲載頁", "頁")),
    "indicator": ("指標名", ("指標", "指標名", "項目", "成果指標", "KPI", "評価指標")),
    "unit": ("単位", ("単位",)),
    "scope": ("取組対象", ("取組対象", "対象")),
    "direction": ("目標の方向", ("方向", "目標の方向")),
    "baseline": ("現状値", ("現状", "現状値", "基準値", "現状値基準", "現状基準年度")),
    "baseline_period": (
        "現状の時点（基準年度）",
        ("基準年度", "現状年度", "現状の時点", "基準時点", "現状値の時点", "基準年"),
    ),
    "target": ("目標値", ("目標", "目標値", "目標値目標年度")),
    "target_period": ("目標年度", ("目標年度", "目標の時点", "目標時点", "達成年度")),
    "definition": ("指標の定義", ("定義", "指標の定義", "算出方法")),
    "indicator_note": ("指標の備考", ("指標備考", "指標の備考")),
}
STAGE = "stage:"  # stage:2020 — 工程表 for that fiscal year
ACTUAL = "actual:"  # actual:2020 — 実績 for that fiscal year
LEVEL = "level:"  # level:0 — a heading of the plan's hierarchy
_ACTUAL_WORDS = ("実績", "実績値", "進捗")
# Headers of hierarchy columns whose names are not the plan's own level names.
_LEVEL_WORDS = (
    "区分",
    "柱",
    "方向性",
    "基本方向",
    "基本方針",
    "基本目標",
    "重点目標",
    "推進方策",
    "重点項目",
)
_SOME_LEVEL = "level:?"


@dataclass(frozen=True)
class Choice:
    field: str
    label: str


def choices(level_names: list[str], years: list[int]) -> list[Choice]:
    """Every field a column may be mapped to, for the preview's selects."""
    found = [Choice(IGNORE, "使わない")]
    for index, name in enumerate(level_names[:-1]):
        found.append(Choice(f"{LEVEL}{index}", f"階層: {name}"))
    found.extend(Choice(field, label) for field, (label, _words) in FIELDS.items())
    for year in years:
        found.append(Choice(f"{STAGE}{year}", f"工程表: {fiscal.label(year)}"))
    for year in years:
        found.append(Choice(f"{ACTUAL}{year}", f"実績: {fiscal.label(year)}"))
    return found


def label_of(field: str, level_names: list[str]) -> str:
    if not field:
        return "使わない"
    if field.startswith(LEVEL):
        index = int(field.removeprefix(LEVEL))
        return f"階層: {level_names[index]}" if index < len(level_names) else field
    if field.startswith(STAGE):
        return f"工程表: {fiscal.label(int(field.removeprefix(STAGE)))}"
    if field.startswith(ACTUAL):
        return f"実績: {fiscal.label(int(field.removeprefix(ACTUAL)))}"
    return FIELDS[field][0] if field in FIELDS else field


def is_valid(field: str, level_names: list[str]) -> bool:
    if field == IGNORE or field in FIELDS:
        return True
    for prefix in (STAGE, ACTUAL):
        if field.startswith(prefix):
            return field.removeprefix(prefix).isdigit()
    if field.startswith(LEVEL):
        rest = field.removeprefix(LEVEL)
        return rest.isdigit() and int(rest) < max(len(level_names) - 1, 0)
    return False


_BY_KEY = {column_key(w): f for f, (_label, words) in FIELDS.items() for w in words}
_PERIOD_IN_HEADER = re.compile(r"[（(]([^()（）]+)[)）]")


def _year_field(header: str) -> str | None:
    found = fiscal.fiscal_year_from_header(header)
    if found is None:
        return None
    key = column_key(header)
    # "現状（R元年度）" and "目標値（R4年度）" name values, not a year column.
    for field in ("baseline", "target"):
        for word in FIELDS[field][1]:
            if key.startswith(column_key(word)):
                return None
    if any(w in header for w in _ACTUAL_WORDS):
        return f"{ACTUAL}{found[0]}"
    return f"{STAGE}{found[0]}"


def header_period(header: str) -> fiscal.Period | None:
    """A period written in a value column's header: 「現状（R元年度）」."""
    match = _PERIOD_IN_HEADER.search(header)
    if match is None:
        return None
    try:
        return fiscal.parse_period(match.group(1))
    except ValueError:
        return None


def suggest_one(header: str, level_names: list[str]) -> str:
    """The field a header suggests; ``level:?`` for a hierarchy column whose level is decided
    by its place (the leftmost is the top)."""
    year = _year_field(header)
    if year is not None:
        return year
    key = column_key(header)
    for index, name in enumerate(level_names[:-1]):
        if key == column_key(name):
            return f"{LEVEL}{index}"
    if key in _BY_KEY:
        return _BY_KEY[key]
    if any(word in header for word in _LEVEL_WORDS):
        return _SOME_LEVEL
    # 「事業名【担当部局・課室名】」「指標（名称 現状値 目標値）」「現状（基準年度）」: the start decides.
    best = ""
    best_length = 0
    for word_key, field in _BY_KEY.items():
        if key.startswith(word_key) and len(word_key) > best_length:
            best, best_length = field, len(word_key)
    return best


def suggest(headers: list[str], level_names: list[str]) -> dict[str, str]:
    """Header → suggested field. Each field but the year columns is suggested at most once
    (the first column that looks like it), so two 備考 columns do not both become the note;
    hierarchy columns not named after the plan's levels take the free levels left to right."""
    taken: set[str] = set()
    found: dict[str, str] = {}
    levels = [f"{LEVEL}{i}" for i in range(max(len(level_names) - 1, 0))]
    suggested = {header: suggest_one(header, level_names) for header in headers}
    named = {f for f in suggested.values() if f.startswith(LEVEL) and f != _SOME_LEVEL}
    unnamed = [h for h in headers if suggested[h] == _SOME_LEVEL]
    # The unnamed hierarchy columns are the lowest free levels that fit: with two of them in
    # a four-level plan (基本目標 → 施策の柱 → 推進方策 → 施策) they are 施策の柱 and 推進方策.
    free = [f for f in levels if f not in named]
    free = free[max(len(free) - len(unnamed), 0) :]
    for header in headers:
        field = suggested[header]
        if field == _SOME_LEVEL:
            field = free.pop(0) if free else IGNORE
        if field and field in taken:
            field = IGNORE
        if field:
            taken.add(field)
        found[header] = field
    return found
