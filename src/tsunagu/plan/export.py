"""The whole plan with its current progress, as the yearly PDCA report lays it out: one row per
indicator (a measure without one still gets its row), its measure and heading on the left, 現状
and 目標, then for each fiscal year of the plan the 工程表 stage and the actual value, and last
the latest value and the progress. XLSX (openpyxl) and CSV (UTF-8 with BOM, so Excel opens it in
Japanese) carry the same table.

The table's headers are the ones the importer suggests (plan/importing/columns.py), so an
exported table can be imported again: into another plan, or back after editing in Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from tsunagu.plan import categories, fiscal
from tsunagu.plan.progress import RULE
from tsunagu.plan.values import plain

Cell = str | float | int | None


@dataclass
class Report:
    title: str
    header: list[str]
    rows: list[list[Cell]]
    about: list[tuple[str, str]]  # the 計画 sheet: (item, value)
    history: list[list[Cell]]  # the 実績 sheet: every actual value
    history_header: list[str]


def _yearly(indicator: dict[str, Any] | None) -> dict[int, dict[str, Any]]:
    if indicator is None:
        return {}
    return {y["fiscal_year"]: y for y in indicator.get("yearly", [])}


def _actual_cell(point: dict[str, Any] | None) -> Cell:
    """A year's actual value: the number when the plan's text is just the number, else the
    text as written (「約410,000件」「推進中」)."""
    if point is None:
        return None
    value, text = point.get("value"), point.get("text") or ""
    if value is not None and (not text or text == plain(value)):
        return int(value) if float(value).is_integer() else value
    return text


def report(plan: dict[str, Any], today: dt.date | None = None) -> Report:
    """The report of a plan as plan_show returns it."""
    levels = list(plan.get("level_names") or [])
    # Only the levels that have headings get a column (a plan whose 基本目標 is one sentence
    # has no 基本目標 column); the columns keep the level names, so the table imports again.
    used = {n["level"] for n in plan.get("nodes", [])}
    heading_levels = [name for index, name in enumerate(levels[:-1]) if index in used]
    column_of = {index: heading_levels.index(levels[index]) for index in sorted(used)}
    years = [y["fiscal_year"] for y in plan.get("fiscal_years", [])]
    header = [*heading_levels]
    header += ["番号", "施策名", "所管課", "取組概要", "官民データ", "指標", "取組対象", "単位"]
    header += ["現状", "基準年度", "目標", "目標年度"]
    for year in years:
        short = fiscal.wareki_short(year)
        header += [f"{short} 工程", f"{short} 実績"]
    header += ["最新の実績", "最新の実績の時点", "進捗", "備考"]

    nodes = {n["id"]: n for n in plan.get("nodes", [])}

    def heading_cells(node_id: str | None) -> list[Cell]:
        # 「－」 where a row has no heading at a level: a blank would mean "the heading above
        # continues" when the table is imported again.
        cells: list[Cell] = ["－"] * len(heading_levels)
        current = nodes.get(node_id or "")
        while current is not None:
            if current["level"] in column_of:
                cells[column_of[current["level"]]] = (
                    f"{current['number']} {current['title']}".strip()
                )
            current = nodes.get(current.get("parent_id") or "")
        return cells

    def indicator_cells(indicator: dict[str, Any] | None) -> list[Cell]:
        if indicator is None:
            return [None] * 7
        return [
            indicator["name"],
            indicator["scope"] or None,
            indicator["unit"] or None,
            indicator["baseline"] or None,
            indicator["baseline_period"] or None,
            indicator["target"] or None,
            indicator["target_period"] or None,
        ]

    def tail(indicator: dict[str, Any] | None, note: str) -> list[Cell]:
        if indicator is None:
            return [None, None, None, note or None]
        progress = indicator["progress"]
        latest = progress.get("latest_text") or (
            plain(progress["latest_value"]) if progress.get("latest_value") is not None else None
        )
        return [latest or None, progress.get("latest_date"), progress["label"], note or None]

    rows: list[list[Cell]] = []
    holding = {m.get("node_id") for m in plan.get("measures", [])}
    width = len(header)
    for node in plan.get("nodes", []):
        if not node.get("indicators") and node["id"] not in holding:
            # A heading with nothing of its own still has its row, so the table imports again
            # with every heading.
            cells = heading_cells(node["id"])
            rows.append(cells + [None] * (width - len(cells)))
        for indicator in node.get("indicators", []):
            yearly = _yearly(indicator)
            row = heading_cells(node["id"]) + [None] * 5 + indicator_cells(indicator)
            for year in years:
                row += [None, _actual_cell(yearly.get(year))]
            rows.append(row + tail(indicator, indicator.get("note", "")))
    for measure in plan.get("measures", []):
        stages = {s["fiscal_year"]: s["text"] for s in measure.get("stages", [])}
        left = [
            *heading_cells(measure.get("node_id")),
            measure["number"] or None,
            measure["name"],
            "・".join(measure["departments"]) or None,
            measure["summary"] or None,
            "、".join(categories.CATEGORIES.get(c, c) for c in measure["categories"]) or None,
        ]
        for indicator in measure.get("indicators") or [None]:
            yearly = _yearly(indicator)
            row = left + indicator_cells(indicator)
            for year in years:
                row += [stages.get(year), _actual_cell(yearly.get(year))]
            rows.append(row + tail(indicator, measure.get("note", "")))

    about = [
        ("計画名", plan["title"]),
        ("所管組織", (plan.get("organization") or {}).get("title", "")),
        ("計画期間", plan.get("period_label", "")),
        ("階層", " → ".join(levels)),
    ]
    for revision in plan.get("revisions", []):
        when = revision.get("date_label") or revision.get("date") or ""
        about.append((revision["kind"], f"{when} {revision.get('version', '')}".strip()))
    about += [
        ("進行管理", plan.get("evaluation", "")),
        ("判定のきまり", RULE),
        ("出力日", (today or dt.date.today()).isoformat()),
    ]
    history_header = ["番号", "施策名", "指標", "時点", "年度", "実績", "数値", "出典", "備考"]
    history: list[list[Cell]] = []
    for measure in plan.get("measures", []):
        for indicator in measure.get("indicators", []):
            for value in indicator.get("values", []):
                history.append(
                    [
                        measure["number"] or None,
                        measure["name"],
                        indicator["name"],
                        value["period"] or value["date"],
                        fiscal.wareki_short(value["fiscal_year"]),
                        value["text"] or None,
                        value["value"],
                        value["source"] or None,
                        value["note"] or None,
                    ]
                )
    return Report(plan["title"], header, rows, about, history, history_header)


_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def _sheet(ws: Any, header: list[str], rows: list[list[Cell]], widths: dict[str, int]) -> None:
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(index)].width = widths.get(name, 14)


def to_xlsx(rep: Report) -> bytes:
    book = Workbook()
    progress = book.active
    progress.title = "進捗"
    _sheet(
        progress,
        rep.header,
        rep.rows,
        {"施策名": 36, "指標": 36, "取組概要": 40, "所管課": 20, "備考": 30},
    )
    for row in progress.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    about = book.create_sheet("計画")
    _sheet(about, ["項目", "内容"], [list(item) for item in rep.about], {"項目": 16, "内容": 80})
    history = book.create_sheet("実績")
    _sheet(history, rep.history_header, rep.history, {"施策名": 36, "指標": 36, "出典": 30})
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(rep: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rep.header)
    for row in rep.rows:
        writer.writerow(
            ["" if c is None else (plain(c) if isinstance(c, float) else c) for c in row]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
