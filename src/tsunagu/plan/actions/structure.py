"""plan_node_create/update/delete (the hierarchy's headings) and plan_measure_create/update/
patch/delete/show (measures with their 工程表)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tsunagu.catalog.lookup import require_id
from tsunagu.context import Context
from tsunagu.errors import NotFound
from tsunagu.plan import access, dictize, edit, history, series
from tsunagu.plan.history import measure_label
from tsunagu.plan.models import Indicator, IndicatorValue, Measure, MeasureStage, Plan, PlanNode
from tsunagu.registry import action


def _plan(context: Context, data: dict[str, Any]) -> Plan:
    plan = access.find_plan(context, require_id(data, "plan_id"), lock=True)
    access.require_manager(context, plan)
    return plan


def _node_dict(plan: Plan, node: PlanNode) -> dict[str, Any]:
    return dictize.node_dict(node, list(plan.level_names or []))


@action("plan_node_create", write=True)
def plan_node_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Add a heading to a plan's hierarchy (a 施策の柱, a 推進方策 …; the plan's managers).

    :param plan_id: the plan (id or name)
    :param parent: the heading above it (id or key such as ``I``), none for the top level
    :param number: its number as written (``I``, ``1``, ``(2)``)
    :param title: its title
    :param description: its text (現状・課題・取組の方向性 …)
    :param position: its place among its siblings
    """
    plan = _plan(context, data)
    values = edit.node_values(context, plan, data, None)
    values.setdefault("position", edit.next_position(context, PlanNode, plan.id))
    node = PlanNode(plan_id=plan.id, **values)
    context.session.add(node)
    context.session.flush()
    history.changed(
        context, plan, "plan_node_create", f"項目「{node.key} {node.title}」を追加".strip()
    )
    return _node_dict(plan, node)


@action("plan_node_update", write=True)
def plan_node_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change a heading (fields not sent keep their value).

    :param id: the heading's id
    """
    node = context.session.get(PlanNode, require_id(data))
    if node is None:
        raise NotFound("計画の項目が見つかりません (Plan heading not found)")
    plan = access.find_plan(context, node.plan_id, lock=True)
    access.require_manager(context, plan)
    values = edit.node_values(context, plan, data, node)
    for key, value in values.items():
        setattr(node, key, value)
    edit.rekey_children(context, node)
    context.session.flush()
    history.changed(context, plan, "plan_node_update", f"項目「{node.key} {node.title}」を更新")
    return _node_dict(plan, node)


@action("plan_node_delete", write=True)
def plan_node_delete(context: Context, data: dict[str, Any]) -> None:
    """Remove a heading with the headings under it and their heading-level indicators; its
    measures stay in the plan, without a heading.

    :param id: the heading's id
    """
    node = context.session.get(PlanNode, require_id(data))
    if node is None:
        raise NotFound("計画の項目が見つかりません (Plan heading not found)")
    plan = access.find_plan(context, node.plan_id, lock=True)
    access.require_manager(context, plan)
    history.changed(context, plan, "plan_node_delete", f"項目「{node.key} {node.title}」を削除")
    context.session.delete(node)
    context.session.flush()


# -- measures ----------------------------------------------------------------------------------


def measure_shown(context: Context, measure: Measure) -> dict[str, Any]:
    stages = context.session.scalars(
        select(MeasureStage).where(MeasureStage.measure_id == measure.id)
    )
    indicators = list(
        context.session.scalars(
            select(Indicator).where(Indicator.measure_id == measure.id).order_by(Indicator.position)
        )
    )
    values: dict[str, list[IndicatorValue]] = {i.id: [] for i in indicators}
    for row in context.session.scalars(
        select(IndicatorValue)
        .where(IndicatorValue.indicator_id.in_(list(values)))
        .order_by(IndicatorValue.date)
    ):
        values[row.indicator_id].append(row)
    live = series.live_for(context, indicators)
    shown = [dictize.indicator_dict(i, values[i.id], live.get(i.id)) for i in indicators]
    names = dictize.org_names(context, measure.organizations or [])
    return dictize.measure_dict(measure, stages, shown, names)


@action("plan_measure_create", write=True)
def plan_measure_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Add a measure (施策) to a plan (the plan's managers).

    :param plan_id: the plan (id or name)
    :param number: its number as written, unique in the plan (``13-2``)
    :param name: 施策名
    :param node: the heading it comes under (id or key such as ``I/1``)
    :param summary: 取組概要・今後の取組
    :param departments: 所管課, a list or one text (「情報企画課・市町課」)
    :param organizations: responsible organisations (ids or names); their editors may record
        actual values of its indicators
    :param categories: the national plan's categories (codes, names or ①–⑤)
    :param stages: 工程表, ``[{"fiscal_year": 2020, "text": "検討", "label": "R2年度"}]``
    :param note: a note
    :param position: its place in the plan (default: last)
    """
    plan = _plan(context, data)
    values = edit.measure_values(context, plan, data, None)
    values.setdefault("position", edit.next_position(context, Measure, plan.id))
    measure = Measure(plan_id=plan.id)
    context.session.add(measure)
    edit.apply_measure(context, measure, values)
    history.changed(
        context,
        plan,
        "plan_measure_create",
        f"施策「{measure_label(measure.number, measure.name)}」を追加",
        {"measure_id": measure.id},
    )
    return measure_shown(context, measure)


def _measure_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    measure = edit.find_measure(context, require_id(data))
    plan = access.find_plan(context, measure.plan_id, lock=True)
    access.require_manager(context, plan)
    values = edit.measure_values(context, plan, data, measure)
    edit.apply_measure(context, measure, values)
    history.changed(
        context,
        plan,
        "plan_measure_update",
        f"施策「{measure_label(measure.number, measure.name)}」を更新",
        {"measure_id": measure.id, "fields": sorted(values)},
    )
    return measure_shown(context, measure)


@action("plan_measure_update", write=True)
def plan_measure_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change a measure (the plan's managers). Fields not sent keep their value; ``stages``
    sent replaces the 工程表.

    :param id: the measure's id
    """
    return _measure_update(context, data)


@action("plan_measure_patch", write=True)
def plan_measure_patch(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The same as ``plan_measure_update``."""
    return _measure_update(context, data)


@action("plan_measure_delete", write=True)
def plan_measure_delete(context: Context, data: dict[str, Any]) -> None:
    """Remove a measure with its 工程表, indicators and their values (the plan's managers).

    :param id: the measure's id
    """
    measure = edit.find_measure(context, require_id(data))
    plan = access.find_plan(context, measure.plan_id, lock=True)
    access.require_manager(context, plan)
    history.changed(
        context,
        plan,
        "plan_measure_delete",
        f"施策「{measure_label(measure.number, measure.name)}」を削除",
        {"measure_id": measure.id},
    )
    context.session.delete(measure)
    context.session.flush()


@action("plan_measure_show")
def plan_measure_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One measure with its 工程表 and indicators (whoever may read the plan).

    :param id: the measure's id
    """
    measure = edit.find_measure(context, require_id(data))
    access.readable_plan(context, measure.plan_id)
    return measure_shown(context, measure)
