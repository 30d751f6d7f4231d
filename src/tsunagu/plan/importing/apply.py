"""Writing what a plan table says into the plan, through the same checks as the actions
(plan/edit.py), so an imported row and a form are judged alike.

A re-import of the same plan updates it: headings are matched by their path of numbers, measures
by 番号 (or by 施策名 when they have none), indicators by name within their measure or heading,
actual values and stages by fiscal year. Nothing already stored is lost: an empty cell leaves
the stored value as it is, and measures or indicators missing from the table stay in the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from tsunagu.context import Context
from tsunagu.errors import ValidationError
from tsunagu.plan import edit, fiscal
from tsunagu.plan.importing.drafts import (
    End,
    HeadingDraft,
    IndicatorDraft,
    MeasureDraft,
    Problem,
    Reading,
)
from tsunagu.plan.models import Indicator, IndicatorValue, Measure, MeasureStage, Plan, PlanNode
from tsunagu.storage.types import utcnow


@dataclass
class Outcome:
    headings_created: int = 0
    measures_created: int = 0
    measures_updated: int = 0
    indicators_created: int = 0
    indicators_updated: int = 0
    values_added: int = 0
    values_updated: int = 0
    # Line → what the row will do / did ("create" or "update"), for the preview.
    actions: dict[int, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "headings_created": self.headings_created,
            "measures_created": self.measures_created,
            "measures_updated": self.measures_updated,
            "indicators_created": self.indicators_created,
            "indicators_updated": self.indicators_updated,
            "values_added": self.values_added,
            "values_updated": self.values_updated,
        }


class _Writer:
    def __init__(self, context: Context, plan: Plan, write: bool, columns: dict[str, str]) -> None:
        self.columns = columns  # field → the column holding it, to name it in messages
        self.context = context
        self.plan = plan
        self.write = write
        self.outcome = Outcome()
        self.nodes = {
            n.key: n
            for n in context.session.scalars(select(PlanNode).where(PlanNode.plan_id == plan.id))
        }
        self.measures = list(
            context.session.scalars(select(Measure).where(Measure.plan_id == plan.id))
        )
        self.position = max((m.position for m in self.measures), default=0)
        self.new_keys: set[str] = set()

    # -- headings ------------------------------------------------------------------------

    def heading(self, draft: HeadingDraft) -> PlanNode | None:
        """The heading's node, made when missing (None in the preview for a new one)."""
        node = self.nodes.get(draft.key)
        if node is not None or draft.key in self.new_keys:
            return node
        parent = self.heading(HeadingDraft(draft.path[:-1])) if len(draft.path) > 1 else None
        level, number, title = draft.path[-1]
        self.outcome.headings_created += 1
        self.new_keys.add(draft.key)
        if not self.write:
            return None
        data: dict[str, Any] = {"number": number, "title": title, "level": level}
        if parent is not None:
            data["parent"] = parent.id
        values = edit.node_values(self.context, self.plan, data, None)
        values["position"] = len(self.nodes) + 1
        node = PlanNode(plan_id=self.plan.id, **values)
        self.context.session.add(node)
        self.context.session.flush()
        self.nodes[node.key] = node
        return node

    def problem(self, line: int, fld: str, message: str) -> None:
        column = self.columns.get(fld, "")
        where = f"{line}行目「{column}」" if column else f"{line}行目"
        self.outcome.problems.append(Problem(line, column or fld, "error", f"{where}: {message}"))

    # -- measures ------------------------------------------------------------------------

    def find_measure(self, draft: MeasureDraft) -> Measure | None:
        for measure in self.measures:
            if draft.number and measure.number == draft.number:
                return measure
            if not draft.number and not measure.number and measure.name == draft.name:
                return measure
        return None

    def measure(self, draft: MeasureDraft) -> None:
        existing = self.find_measure(draft)
        node = self.heading(draft.heading) if draft.heading is not None else None
        data: dict[str, Any] = {"number": draft.number}
        if draft.name:
            data["name"] = draft.name
        data.update(draft.fields)
        if node is not None:
            data["node"] = node.id
        if draft.stages:
            stored = {}
            if existing is not None:
                stored = {
                    s.fiscal_year: (s.label, s.text)
                    for s in self.context.session.scalars(
                        select(MeasureStage).where(MeasureStage.measure_id == existing.id)
                    )
                }
            data["stages"] = [
                {"fiscal_year": y, "label": label, "text": text}
                for y, (label, text) in sorted({**stored, **draft.stages}.items())
            ]
        try:
            values = edit.measure_values(self.context, self.plan, data, existing)
        except ValidationError as error:
            # What the actions would refuse (an unknown organisation …): the measure's rows are
            # left out, and say why.
            for fld, messages in error.errors.items():
                for message in messages:
                    self.problem(draft.line, fld, message)
            return
        action = "update" if existing is not None else "create"
        for line in draft.lines or [draft.line]:
            self.outcome.actions.setdefault(line, action)
        if existing is None:
            self.outcome.measures_created += 1
        else:
            self.outcome.measures_updated += 1
        if not self.write:
            for indicator in draft.indicators:
                self.indicator(indicator, existing, None)
            return
        measure = existing or Measure(plan_id=self.plan.id)
        if existing is None:
            self.position += 1
            values["position"] = self.position
            self.context.session.add(measure)
            self.measures.append(measure)
        edit.apply_measure(self.context, measure, values)
        for indicator in draft.indicators:
            self.indicator(indicator, measure, None)

    # -- indicators ----------------------------------------------------------------------

    def find_indicator(
        self, draft: IndicatorDraft, measure: Measure | None, node: PlanNode | None
    ) -> Indicator | None:
        if measure is None and node is None:
            return None
        stmt = select(Indicator).where(Indicator.plan_id == self.plan.id)
        if measure is not None:
            stmt = stmt.where(Indicator.measure_id == measure.id)
        else:
            assert node is not None
            stmt = stmt.where(Indicator.node_id == node.id)
        return self.context.session.scalar(stmt.where(Indicator.name == draft.name))

    def indicator(
        self, draft: IndicatorDraft, measure: Measure | None, node: PlanNode | None
    ) -> None:
        existing = self.find_indicator(draft, measure, node)
        if existing is None:
            self.outcome.indicators_created += 1
        else:
            self.outcome.indicators_updated += 1
        self.outcome.actions[draft.line] = "update" if existing is not None else "create"
        stored_values = {}
        if existing is not None:
            stored_values = {
                v.date: v
                for v in self.context.session.scalars(
                    select(IndicatorValue).where(IndicatorValue.indicator_id == existing.id)
                )
            }
        for actual in draft.actuals:
            if fiscal.fiscal_year_end(actual.fiscal_year) in stored_values:
                self.outcome.values_updated += 1
            else:
                self.outcome.values_added += 1
        if not self.write:
            return
        data: dict[str, Any] = {"name": draft.name}
        if measure is not None:
            data["measure_id"] = measure.id
        if node is not None:
            data["node"] = node.id
        for key in ("unit", "scope", "direction", "definition", "note"):
            if getattr(draft, key):
                data[key] = getattr(draft, key)
        self.end(data, "baseline", draft.baseline, existing)
        self.end(data, "target", draft.target, existing)
        keep_stored = existing is not None and existing.target_fiscal_year is not None
        if draft.target_year_missing and not keep_stored and self.plan.period_end is not None:
            data["target_fiscal_year"] = self.plan.period_end
            data["target_date"] = fiscal.fiscal_year_end(self.plan.period_end).isoformat()
        try:
            values = edit.indicator_values(self.context, self.plan, data, existing)
        except ValidationError as error:
            for fld, messages in error.errors.items():
                for message in messages:
                    self.problem(draft.line, fld, message)
            return
        if existing is None and "direction" not in data:
            values["direction"] = edit.guess_direction(values)
        indicator = existing or Indicator(plan_id=self.plan.id)
        if existing is None:
            values["position"] = edit.next_position(self.context, Indicator, self.plan.id)
            self.context.session.add(indicator)
        edit.apply_indicator(self.context, indicator, values)
        for actual in draft.actuals:
            day = fiscal.fiscal_year_end(actual.fiscal_year)
            row = stored_values.get(day)
            if row is None:
                row = IndicatorValue(indicator_id=indicator.id, date=day)
                self.context.session.add(row)
            row.fiscal_year = actual.fiscal_year
            row.label = actual.label
            row.value = actual.value.number
            row.qualifier = actual.value.qualifier
            row.text = actual.value.text
            row.created = utcnow()
            row.created_by = self.context.user.id if self.context.user else None
            if not row.source:
                row.source = "計画の表の取り込み"

    @staticmethod
    def end(data: dict[str, Any], name: str, end: End | None, existing: Indicator | None) -> None:
        if end is None:
            return
        if end.value.text:
            data[name] = end.value.text
            data[f"{name}_value"] = end.value.number
            data[f"{name}_qualifier"] = end.value.qualifier
        if end.period is not None:
            data[f"{name}_period"] = end.period.label
            data[f"{name}_date"] = end.period.end.isoformat()
            data[f"{name}_fiscal_year"] = end.period.fiscal_year

    def heading_indicator(self, heading: HeadingDraft, draft: IndicatorDraft) -> None:
        self.indicator(draft, None, self.heading(heading))


def apply(
    context: Context,
    plan: Plan,
    reading: Reading,
    *,
    write: bool,
    columns: dict[str, str] | None = None,
) -> Outcome:
    """What the table does to the plan; ``write`` False only counts (the preview).
    ``columns``: field → column, so that refusals name the column."""
    writer = _Writer(context, plan, write, columns or {})
    for heading in reading.headings:
        writer.heading(heading)
    for measure in reading.measures:
        writer.measure(measure)
    for heading, indicator in reading.heading_indicators:
        writer.heading_indicator(heading, indicator)
    if write:
        context.session.flush()
    return writer.outcome
