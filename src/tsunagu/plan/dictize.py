"""Plans as the API shows them. Show and update speak the same fields, so what plan_*_show
returns can be changed and sent back to plan_*_update."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from tsunagu.catalog.dictize import iso
from tsunagu.catalog.models import Organization
from tsunagu.context import Context
from tsunagu.plan import categories, fiscal, series
from tsunagu.plan.models import (
    Indicator,
    IndicatorValue,
    Measure,
    MeasureStage,
    Plan,
    PlanNode,
    PlanRevision,
)
from tsunagu.plan.progress import DIRECTION_LABELS, Goal, Point, Progress, judge, trend_words
from tsunagu.plan.values import plain


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def revision_dict(revision: PlanRevision) -> dict[str, Any]:
    return {
        "kind": revision.kind,
        "date": _day(revision.date),
        "date_label": revision.date_label,
        "version": revision.version,
        "note": revision.note,
    }


def node_dict(node: PlanNode, level_names: list[str]) -> dict[str, Any]:
    return {
        "id": node.id,
        "parent_id": node.parent_id,
        "level": node.level,
        "level_name": level_names[node.level] if node.level < len(level_names) else "",
        "number": node.number,
        "title": node.title,
        "description": node.description,
        "key": node.key,
        "position": node.position,
    }


def value_dict(row: IndicatorValue) -> dict[str, Any]:
    return {
        "id": row.id,
        "date": row.date.isoformat(),
        "fiscal_year": row.fiscal_year,
        "fiscal_year_label": fiscal.label(row.fiscal_year),
        "period": row.label,
        "value": row.value,
        "qualifier": row.qualifier,
        "text": row.text,
        "source": row.source,
        "note": row.note,
        "created": iso(row.created),
    }


def goal_of(indicator: Indicator) -> Goal:
    return Goal(
        direction=indicator.direction,
        baseline=indicator.baseline_value,
        baseline_qualifier=indicator.baseline_qualifier,
        baseline_date=indicator.baseline_date,
        target=indicator.target_value,
        target_qualifier=indicator.target_qualifier,
        target_date=indicator.target_date,
    )


def _end(name: str, indicator: Indicator) -> dict[str, Any]:
    fy = getattr(indicator, f"{name}_fiscal_year")
    return {
        name: getattr(indicator, f"{name}_text"),
        f"{name}_value": getattr(indicator, f"{name}_value"),
        f"{name}_qualifier": getattr(indicator, f"{name}_qualifier"),
        f"{name}_period": getattr(indicator, f"{name}_label"),
        f"{name}_fiscal_year": fy,
        f"{name}_fiscal_year_label": fiscal.label(fy),
        f"{name}_date": _day(getattr(indicator, f"{name}_date")),
    }


def indicator_dict(
    indicator: Indicator,
    manual: list[IndicatorValue],
    live: series.Live | None,
    *,
    with_values: bool = True,
) -> dict[str, Any]:
    points = [Point(v.date, v.value, v.text) for v in manual]
    if live is not None and live.points:
        # Values entered before the binding stay history; from the first snapshot on, the
        # catalog's own counts are the actual values.
        first = live.points[0].date
        points = [p for p in points if p.date < first] + live.points
    progress: Progress = judge(goal_of(indicator), points)
    shown = progress.as_dict()
    if progress.status == "qualitative":
        shown["trend"] = trend_words(goal_of(indicator), progress.latest)
    result: dict[str, Any] = {
        "id": indicator.id,
        "plan_id": indicator.plan_id,
        "measure_id": indicator.measure_id,
        "node_id": indicator.node_id,
        "name": indicator.name,
        "unit": indicator.unit,
        "scope": indicator.scope,
        "direction": indicator.direction,
        "direction_label": DIRECTION_LABELS.get(indicator.direction, indicator.direction),
        "definition": indicator.definition,
        "note": indicator.note,
        "position": indicator.position,
        **_end("baseline", indicator),
        **_end("target", indicator),
        "metric_key": indicator.metric_key,
        "metric_params": indicator.metric_params or {},
        "metric_label": live.label if live else "",
        "progress": shown,
        # The last actual value of each fiscal year (entered or counted by the catalog): the
        # yearly columns of the PDCA report and the points of the trend chart.
        "yearly": [
            {
                "fiscal_year": fiscal.fiscal_year_of(p.date),
                "label": fiscal.wareki_short(fiscal.fiscal_year_of(p.date)),
                "date": p.date.isoformat(),
                "value": p.value,
                "text": p.text or plain(p.value),
            }
            for p in series.yearly(points)
        ],
    }
    if with_values:
        result["values"] = [value_dict(v) for v in manual]
        if live is not None:
            result["live_values"] = [
                {"date": p.date.isoformat(), "value": p.value} for p in live.points
            ]
    return result


def stage_list(stages: Iterable[MeasureStage]) -> list[dict[str, Any]]:
    return [
        {
            "fiscal_year": s.fiscal_year,
            "fiscal_year_label": fiscal.label(s.fiscal_year),
            "label": s.label,
            "text": s.text,
        }
        for s in sorted(stages, key=lambda s: s.fiscal_year)
    ]


def measure_dict(
    measure: Measure,
    stages: Iterable[MeasureStage],
    indicators: list[dict[str, Any]],
    org_names: dict[str, str],
) -> dict[str, Any]:
    return {
        "id": measure.id,
        "plan_id": measure.plan_id,
        "node_id": measure.node_id,
        "number": measure.number,
        "name": measure.name,
        "summary": measure.summary,
        "departments": list(measure.departments or []),
        "organizations": [org_names.get(o, o) for o in measure.organizations or []],
        "categories": list(measure.categories or []),
        "category_labels": [categories.CATEGORIES.get(c, c) for c in measure.categories or []],
        "note": measure.note,
        "position": measure.position,
        "stages": stage_list(stages),
        "indicators": indicators,
        "created": iso(measure.created),
        "modified": iso(measure.modified),
    }


def plan_summary(plan: Plan, org: Organization | None) -> dict[str, Any]:
    return {
        "id": plan.id,
        "name": plan.name,
        "title": plan.title,
        "description": plan.description,
        "owner_org": org.name if org else plan.owner_org,
        "organization": {"id": org.id, "name": org.name, "title": org.title} if org else None,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "period_label": _period_label(plan),
        "fiscal_years": [
            {"fiscal_year": y, "label": fiscal.label(y), "short": fiscal.wareki_short(y)}
            for y in fiscal.years(plan.period_start, plan.period_end)
        ],
        "level_names": list(plan.level_names or []),
        "evaluation": plan.evaluation,
        "source_url": plan.source_url,
        "published": plan.published,
        "state": plan.state,
        "created": iso(plan.created),
        "modified": iso(plan.modified),
    }


def _period_label(plan: Plan) -> str:
    if plan.period_start is None:
        return ""
    if plan.period_end is None or plan.period_end == plan.period_start:
        return fiscal.label(plan.period_start)
    return f"{fiscal.label(plan.period_start)}〜{fiscal.label(plan.period_end)}"


@dataclass
class PlanContents:
    """Everything under one plan, loaded in a few queries."""

    nodes: list[PlanNode]
    measures: list[Measure]
    stages: dict[str, list[MeasureStage]] = field(default_factory=dict)
    indicators: list[Indicator] = field(default_factory=list)
    values: dict[str, list[IndicatorValue]] = field(default_factory=dict)
    revisions: list[PlanRevision] = field(default_factory=list)


def load(context: Context, plan: Plan) -> PlanContents:
    session = context.session
    nodes = list(
        session.scalars(
            select(PlanNode)
            .where(PlanNode.plan_id == plan.id)
            .order_by(PlanNode.level, PlanNode.position)
        )
    )
    measures = list(
        session.scalars(
            select(Measure).where(Measure.plan_id == plan.id).order_by(Measure.position)
        )
    )
    stages: dict[str, list[MeasureStage]] = defaultdict(list)
    for stage in session.scalars(
        select(MeasureStage).join(Measure).where(Measure.plan_id == plan.id)
    ):
        stages[stage.measure_id].append(stage)
    indicators = list(
        session.scalars(
            select(Indicator).where(Indicator.plan_id == plan.id).order_by(Indicator.position)
        )
    )
    values: dict[str, list[IndicatorValue]] = defaultdict(list)
    for row in session.scalars(
        select(IndicatorValue)
        .join(Indicator)
        .where(Indicator.plan_id == plan.id)
        .order_by(IndicatorValue.date)
    ):
        values[row.indicator_id].append(row)
    revisions = list(
        session.scalars(
            select(PlanRevision)
            .where(PlanRevision.plan_id == plan.id)
            .order_by(PlanRevision.date, PlanRevision.kind)
        )
    )
    return PlanContents(nodes, measures, stages, indicators, values, revisions)


def org_names(context: Context, ids: Iterable[str]) -> dict[str, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = context.session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(wanted))
    )
    return {org_id: name for org_id, name in rows}


def plan_dict(context: Context, plan: Plan, *, with_values: bool = True) -> dict[str, Any]:
    """The whole plan: its 版, hierarchy, measures with stages and indicators (with progress)."""
    contents = load(context, plan)
    org = context.session.get(Organization, plan.owner_org)
    live = series.live_for(context, contents.indicators)
    level_names = list(plan.level_names or [])
    indicator_dicts = {
        i.id: indicator_dict(
            i, contents.values.get(i.id, []), live.get(i.id), with_values=with_values
        )
        for i in contents.indicators
    }
    by_measure: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_node: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for indicator in contents.indicators:
        if indicator.measure_id:
            by_measure[indicator.measure_id].append(indicator_dicts[indicator.id])
        elif indicator.node_id:
            by_node[indicator.node_id].append(indicator_dicts[indicator.id])
    names = org_names(context, (o for m in contents.measures for o in m.organizations or []))
    nodes = []
    for node in contents.nodes:
        shown = node_dict(node, level_names)
        shown["indicators"] = by_node.get(node.id, [])
        nodes.append(shown)
    return {
        **plan_summary(plan, org),
        "revisions": [revision_dict(r) for r in contents.revisions],
        "nodes": nodes,
        "measures": [
            measure_dict(m, contents.stages.get(m.id, []), by_measure.get(m.id, []), names)
            for m in contents.measures
        ],
        "num_measures": len(contents.measures),
        "num_indicators": len(contents.indicators),
    }
