"""The plan overview dashboard: every indicator's progress toward its target by the stated rule
(plan/progress.py), with its yearly values beside what the rule expects each year, for the page,
its JSON and its CSV.

The overview is the same for every reader who may see the plan, and changes only when the plan
does (every change bumps ``plan.modified``), when the daily metric snapshot stores or re-measures
something (``metrics.snapshots.snapshot_version``), or when the day changes. It is kept per process under those keys, so a
page of 150 indicators with years of daily history is computed once per change, not per view.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from collections import OrderedDict
from typing import Any

from tsunagu.context import Context
from tsunagu.metrics.snapshots import snapshot_version
from tsunagu.plan import dictize, fiscal
from tsunagu.plan.models import Plan
from tsunagu.plan.progress import RULE, RULE_EN, STATUS_LABELS, STATUSES
from tsunagu.plan.values import plain

_CACHE: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_CACHE_SIZE = 32
_LOCK = threading.Lock()


def _expected(indicator: dict[str, Any], day: dt.date) -> float | None:
    """What the linear rule expects on ``day`` (None when the rule does not apply)."""
    if indicator["direction"] not in ("increase", "decrease"):
        return None
    target = indicator["target_value"]
    base = indicator["baseline_value"]
    if base is None and indicator["baseline_qualifier"] == "none":
        base = 0.0
    if target is None or base is None:
        return None
    if not indicator["baseline_date"] or not indicator["target_date"]:
        return None
    start = dt.date.fromisoformat(indicator["baseline_date"])
    end = dt.date.fromisoformat(indicator["target_date"])
    if day < start or day > end or end <= start:
        return None
    share = (day - start).days / (end - start).days
    return round(base + (target - base) * share, 4)


def _years(plan: dict[str, Any], indicator: dict[str, Any]) -> list[int]:
    found = {y["fiscal_year"] for y in plan["fiscal_years"]}
    found |= {y["fiscal_year"] for y in indicator["yearly"]}
    for end in ("baseline", "target"):
        if indicator[f"{end}_fiscal_year"] is not None:
            found.add(indicator[f"{end}_fiscal_year"])
    return sorted(found)


def _table(plan: dict[str, Any], indicator: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per fiscal year: the actual value (its last in the year), what the rule expects
    at the year's end, and the baseline or target where they fall."""
    actual = {y["fiscal_year"]: y for y in indicator["yearly"]}
    rows = []
    for year in _years(plan, indicator):
        point = actual.get(year)
        rows.append(
            {
                "fiscal_year": year,
                "label": fiscal.label(year),
                "short": fiscal.wareki_short(year),
                "actual": point["value"] if point else None,
                "actual_text": point["text"] if point else "",
                "actual_date": point["date"] if point else None,
                "expected": _expected(indicator, fiscal.fiscal_year_end(year)),
                "baseline": indicator["baseline_value"]
                if indicator["baseline_fiscal_year"] == year
                else None,
                "target": indicator["target_value"]
                if indicator["target_fiscal_year"] == year
                else None,
            }
        )
    return rows


def _entries(plan: dict[str, Any]) -> list[dict[str, Any]]:
    headings = {n["id"]: n for n in plan["nodes"]}
    entries = []

    def add(indicator: dict[str, Any], measure: dict[str, Any] | None, node_id: str | None) -> None:
        node = headings.get(node_id or "")
        entries.append(
            {
                **{k: v for k, v in indicator.items() if k not in ("values", "live_values")},
                "measure_number": measure["number"] if measure else "",
                "measure_name": measure["name"] if measure else "",
                "heading": f"{node['number']} {node['title']}".strip() if node else "",
                "years": _table(plan, indicator),
            }
        )

    for node in plan["nodes"]:
        for indicator in node["indicators"]:
            add(indicator, None, node["id"])
    for measure in plan["measures"]:
        for indicator in measure["indicators"]:
            add(indicator, measure, measure["node_id"])
    return entries


def overview(context: Context, plan: Plan) -> dict[str, Any]:
    """The dashboard of a plan the caller may read (see the module docstring)."""
    # Today is part of the key: the rule's expected value, and so the status, moves each day.
    key = (plan.id, plan.modified, dt.date.today(), *snapshot_version(context.session))
    version = ":".join(str(part) for part in key)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    shown = dictize.plan_dict(context, plan, with_values=False)
    entries = _entries(shown)
    counts = {status: 0 for status in STATUSES}
    for entry in entries:
        counts[entry["progress"]["status"]] += 1
    result = {
        # Changes whenever the overview does (an ETag of sorts; the page's cache key too).
        "version": version,
        **dictize.plan_summary(plan, None),
        "organization": shown["organization"],
        "owner_org": shown["owner_org"],
        "rule": RULE,
        "rule_en": RULE_EN,
        "statuses": [
            {"status": s, "label": STATUS_LABELS[s], "count": counts[s]} for s in STATUSES
        ],
        "indicators": entries,
    }
    with _LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


CSV_HEADER = [
    "番号",
    "施策名",
    "指標",
    "単位",
    "取組対象",
    "現状",
    "基準年度",
    "目標",
    "目標年度",
    "最新の実績",
    "最新の実績の時点",
    "見込み値",
    "進捗率（%）",
    "進捗",
    "理由",
]


def _target_year(entry: dict[str, Any]) -> str:
    if entry["target_period"] or entry["target_fiscal_year"] is None:
        return str(entry["target_period"])
    return fiscal.wareki_short(entry["target_fiscal_year"])


def to_csv(overview: dict[str, Any]) -> bytes:
    years = [y["fiscal_year"] for y in overview["fiscal_years"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER + [f"{fiscal.wareki_short(y)} 実績" for y in years])
    for entry in overview["indicators"]:
        progress = entry["progress"]
        by_year = {row["fiscal_year"]: row for row in entry["years"]}
        writer.writerow(
            [
                entry["measure_number"],
                entry["measure_name"] or entry["heading"],
                entry["name"],
                entry["unit"],
                entry["scope"],
                entry["baseline"],
                entry["baseline_period"],
                entry["target"],
                _target_year(entry),
                progress["latest_text"] or plain(progress["latest_value"]),
                progress["latest_date"] or "",
                plain(progress["expected"]),
                plain(progress["percent"]),
                progress["label"],
                progress["reason"],
                *[(by_year.get(y) or {}).get("actual_text", "") for y in years],
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
