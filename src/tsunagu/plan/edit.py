"""Changing a plan's hierarchy, measures and indicators: shared by the actions and the import,
so a row imported from a table and a form sent by staff are judged alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from tsunagu.catalog import validation
from tsunagu.context import Context
from tsunagu.errors import NotFound, ValidationError, require
from tsunagu.plan import binding, inputs
from tsunagu.plan.models import Indicator, Measure, MeasureStage, Plan, PlanNode
from tsunagu.plan.values import direction_from_words
from tsunagu.storage.types import utcnow

NUMBER_IN_USE = "この番号の施策は既にあります (A measure with this number already exists)"


def next_position(context: Context, model: Any, plan_id: str) -> int:
    current = context.session.scalar(
        select(func.max(model.position)).where(model.plan_id == plan_id)
    )
    return (current or 0) + 1


# -- hierarchy ---------------------------------------------------------------------------------


def node_key(parent: PlanNode | None, number: str, title: str) -> str:
    own = number or title
    return f"{parent.key}/{own}" if parent else own


def find_node(context: Context, plan: Plan, ref: str) -> PlanNode:
    node = context.session.scalar(
        select(PlanNode).where(
            PlanNode.plan_id == plan.id, (PlanNode.id == ref) | (PlanNode.key == ref)
        )
    )
    if node is None:
        raise NotFound(f"計画の項目が見つかりません: {ref} (Plan heading not found)")
    return node


def _texts_and_position(
    data: dict[str, Any],
    fields: tuple[tuple[str, int], ...],
    creating: bool,
    errors: validation.Errors,
    required: str | None = None,
) -> dict[str, Any]:
    """The text fields given (all of them on create, then empty ones as "") and position."""
    values: dict[str, Any] = {}
    for field, limit in fields:
        if creating or field in data:
            values[field] = validation.as_text(data, field, errors, limit=limit)
    if creating and required and not values.get(required):
        validation.add(errors, required, "必須項目です (Missing value)")
    if "position" in data:
        values["position"] = _int(data, "position", errors)
    return values


def _node_ref(
    context: Context,
    plan: Plan,
    data: dict[str, Any],
    key: str,
    missing: str,
    errors: validation.Errors,
) -> str | None:
    """The id of the heading data[key] names in this plan; None for none (or an error added)."""
    ref = data.get(key)
    if ref in (None, ""):
        return None
    if not isinstance(ref, str):
        validation.add(errors, key, "ID で指定してください (Must be an id)")
        return None
    try:
        return find_node(context, plan, ref).id
    except NotFound:
        validation.add(errors, key, f"{missing}: {ref} (Not found)")
        return None


def node_values(
    context: Context, plan: Plan, data: dict[str, Any], node: PlanNode | None
) -> dict[str, Any]:
    errors: validation.Errors = {}
    fields = (("number", 30), ("title", 1000), ("description", validation.MAX_TEXT))
    values = _texts_and_position(data, fields, node is None, errors)
    parent = node.parent_id if node else None
    if "parent" in data:
        parent = _node_ref(context, plan, data, "parent", "上の項目が見つかりません", errors)
    number = values.get("number", node.number if node else "")
    title = values.get("title", node.title if node else "")
    if not number and not title:
        validation.add(errors, "title", "番号か見出しが必要です (A number or title is required)")
    require(errors)
    parent_node = context.session.get(PlanNode, parent) if parent else None
    if node is not None and parent_node is not None and _is_under(context, parent_node, node):
        raise ValidationError(
            {"parent": ["自分の下の項目を上にはできません (A heading cannot be under itself)"]}
        )
    level = parent_node.level + 1 if parent_node else 0
    if "level" in data:
        # A level may be skipped (a plan whose 基本目標 is one sentence has no heading for it).
        asked = _int(data, "level", errors)
        require(errors)
        if asked < level:
            raise ValidationError(
                {"level": ["上の項目より深い階層を指定してください (Must be below the parent)"]}
            )
        level = asked
    elif node is not None and parent == node.parent_id:
        level = node.level
    levels = len(plan.level_names or [])
    if levels and level >= levels - 1:
        raise ValidationError(
            {
                "parent": [
                    f"この計画の階層は {' → '.join(plan.level_names)} です。最後の「"
                    f"{plan.level_names[-1]}」は施策として登録してください "
                    f"(Too deep for this plan's levels; add a measure instead)"
                ]
            }
        )
    key = node_key(parent_node, number, title)
    taken = context.session.scalar(
        select(PlanNode.id).where(PlanNode.plan_id == plan.id, PlanNode.key == key)
    )
    if taken and (node is None or taken != node.id):
        raise ValidationError(
            {"number": [f"同じ番号・見出しの項目が既にあります: {key} (Heading already exists)"]}
        )
    values.update(parent_id=parent, level=level, key=key)
    return values


def _is_under(context: Context, candidate: PlanNode, node: PlanNode) -> bool:
    current: PlanNode | None = candidate
    while current is not None:
        if current.id == node.id:
            return True
        current = context.session.get(PlanNode, current.parent_id) if current.parent_id else None
    return False


def rekey_children(context: Context, node: PlanNode) -> None:
    """A heading's number, title or place changed: its children's keys and levels follow."""
    for child in context.session.scalars(select(PlanNode).where(PlanNode.parent_id == node.id)):
        child.key = node_key(node, child.number, child.title)
        child.level = max(child.level, node.level + 1)
        rekey_children(context, child)


# -- measures ----------------------------------------------------------------------------------


def find_measure(context: Context, ref: str, plan: Plan | None = None) -> Measure:
    stmt = select(Measure).where(Measure.id == ref)
    if plan is not None:
        stmt = select(Measure).where(
            Measure.plan_id == plan.id, (Measure.id == ref) | (Measure.number == ref)
        )
    measure = context.session.scalar(stmt)
    if measure is None:
        raise NotFound(f"施策が見つかりません: {ref} (Measure not found)")
    return measure


def measure_values(
    context: Context, plan: Plan, data: dict[str, Any], measure: Measure | None
) -> dict[str, Any]:
    errors: validation.Errors = {}
    fields = (
        ("number", 30),
        ("name", 2000),
        ("summary", validation.MAX_TEXT),
        ("note", validation.MAX_TEXT),
    )
    values = _texts_and_position(data, fields, measure is None, errors, required="name")
    departments = inputs.text_list(data, "departments", errors)
    if departments is not None:
        values["departments"] = departments
    orgs = inputs.organizations(context, data, errors)
    if orgs is not None:
        values["organizations"] = orgs
    codes = inputs.category_codes(data, errors)
    if codes is not None:
        values["categories"] = codes
    if "node" in data:
        values["node_id"] = _node_ref(
            context, plan, data, "node", "計画の項目が見つかりません", errors
        )
    stages = inputs.stages(data, errors)
    number = values.get("number")
    if number:
        taken = context.session.scalar(
            select(Measure.id).where(Measure.plan_id == plan.id, Measure.number == number)
        )
        if taken and (measure is None or taken != measure.id):
            validation.add(errors, "number", NUMBER_IN_USE)
    require(errors)
    if stages is not None:
        values["stages"] = stages
    return values


def apply_measure(context: Context, measure: Measure, values: dict[str, Any]) -> None:
    stages = values.pop("stages", None)
    for key, value in values.items():
        setattr(measure, key, value)
    measure.modified = utcnow()
    context.session.flush()
    if stages is not None:
        set_stages(context, measure, stages)


def set_stages(context: Context, measure: Measure, stages: dict[int, tuple[str, str]]) -> None:
    context.session.execute(delete(MeasureStage).where(MeasureStage.measure_id == measure.id))
    for year, (label, text) in sorted(stages.items()):
        if text:
            context.session.add(
                MeasureStage(measure_id=measure.id, fiscal_year=year, label=label, text=text)
            )
    context.session.flush()


# -- indicators --------------------------------------------------------------------------------


def find_indicator(context: Context, ref: str) -> Indicator:
    indicator = context.session.get(Indicator, ref)
    if indicator is None:
        raise NotFound(f"指標が見つかりません: {ref} (Indicator not found)")
    return indicator


def indicator_values(
    context: Context, plan: Plan, data: dict[str, Any], indicator: Indicator | None
) -> dict[str, Any]:
    errors: validation.Errors = {}
    fields = (
        ("name", 2000),
        ("unit", 50),
        ("scope", 50),
        ("definition", validation.MAX_TEXT),
        ("note", validation.MAX_TEXT),
    )
    values = _texts_and_position(data, fields, indicator is None, errors, required="name")
    direction = inputs.direction(data, errors)
    if direction is not None:
        values["direction"] = direction
    for end in ("baseline", "target"):
        read = inputs.value(data, end, errors)
        if read is not None:
            values.update(
                {
                    f"{end}_value": read.number,
                    f"{end}_qualifier": read.qualifier,
                    f"{end}_text": read.text,
                }
            )
            if read.unit and not values.get("unit") and not (indicator and indicator.unit):
                values["unit"] = read.unit
        when = inputs.period(data, end, errors)
        if when is not None:
            values.update(
                {
                    f"{end}_label": when.label,
                    f"{end}_fiscal_year": when.fiscal_year,
                    f"{end}_date": when.date,
                }
            )
    _attach(context, plan, data, indicator, values, errors)
    if "metric_key" in data:
        values["metric_key"] = validation.as_text(data, "metric_key", errors, limit=100)
    metric_params = inputs.params(data, "metric_params", errors)
    if metric_params is not None:
        values["metric_params"] = metric_params
    require(errors)
    if values.get("metric_key") or ("metric_params" in values and indicator is not None):
        key = values.get("metric_key", indicator.metric_key if indicator else "")
        params = values.get("metric_params", indicator.metric_params if indicator else {})
        if key:
            values["metric_params"] = binding.check(context, key, params or {})
    if "direction" not in values and indicator is None:
        values["direction"] = guess_direction(values)
    return values


def guess_direction(values: dict[str, Any]) -> str:
    """increase / decrease / at_most / maintain / qualitative from the baseline and target."""
    target = values.get("target_value")
    qualifier = values.get("target_qualifier", "")
    if qualifier == "at_most":
        return "at_most"
    if target is None:
        words = direction_from_words(values.get("target_text", ""))
        return words or "qualitative"
    base = values.get("baseline_value")
    if base is not None and target < base:
        return "decrease"
    if base is not None and target == base:
        return "maintain"
    return "increase"


def _attach(
    context: Context,
    plan: Plan,
    data: dict[str, Any],
    indicator: Indicator | None,
    values: dict[str, Any],
    errors: validation.Errors,
) -> None:
    """An indicator belongs to a measure (``measure_id``, id or number) or to a heading
    (``node``)."""
    if "measure_id" in data:
        ref = data.get("measure_id")
        if ref in (None, ""):
            values["measure_id"] = None
        elif isinstance(ref, str):
            try:
                values["measure_id"] = find_measure(context, ref, plan).id
            except NotFound:
                validation.add(errors, "measure_id", f"施策が見つかりません: {ref} (Not found)")
        else:
            validation.add(errors, "measure_id", "ID で指定してください (Must be an id)")
    if "node" in data:
        ref = data.get("node")
        if ref in (None, ""):
            values["node_id"] = None
        elif isinstance(ref, str):
            try:
                values["node_id"] = find_node(context, plan, ref).id
            except NotFound:
                validation.add(errors, "node", f"計画の項目が見つかりません: {ref} (Not found)")
    measure = values.get("measure_id", indicator.measure_id if indicator else None)
    node = values.get("node_id", indicator.node_id if indicator else None)
    if not errors and bool(measure) == bool(node):
        validation.add(
            errors,
            "measure_id",
            "施策（measure_id）か計画の項目（node）のどちらか一つを指定してください "
            "(Give either a measure or a heading)",
        )


def apply_indicator(context: Context, indicator: Indicator, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(indicator, key, value)
    indicator.modified = utcnow()
    context.session.flush()


def _int(data: dict[str, Any], field: str, errors: validation.Errors) -> int:
    raw = data.get(field)
    try:
        if isinstance(raw, bool):
            raise ValueError
        return int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        validation.add(errors, field, "整数で指定してください (Must be an integer)")
        return 0
