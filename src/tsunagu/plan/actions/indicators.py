"""plan_indicator_create/update/patch/delete/show, plan_indicator_value_add/delete and
plan_indicator_series: indicators (指標), their actual values (実績) and their history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tsunagu.catalog import validation
from tsunagu.catalog.lookup import require_id
from tsunagu.context import Context
from tsunagu.errors import NotFound, require
from tsunagu.plan import access, dictize, edit, fiscal, history, inputs, series
from tsunagu.plan.models import Indicator, IndicatorValue, Plan
from tsunagu.registry import action
from tsunagu.storage.types import utcnow


def shown(context: Context, indicator: Indicator) -> dict[str, Any]:
    values = list(
        context.session.scalars(
            select(IndicatorValue)
            .where(IndicatorValue.indicator_id == indicator.id)
            .order_by(IndicatorValue.date)
        )
    )
    live = series.live_for(context, [indicator]).get(indicator.id)
    return dictize.indicator_dict(indicator, values, live)


def _managed(context: Context, ref: str) -> tuple[Indicator, Plan]:
    indicator = edit.find_indicator(context, ref)
    plan = access.find_plan(context, indicator.plan_id, lock=True)
    access.require_manager(context, plan)
    return indicator, plan


@action("plan_indicator_create", write=True)
def plan_indicator_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Add an indicator (指標) to a measure or to a heading (the plan's managers).

    :param plan_id: the plan (id or name)
    :param measure_id: the measure (id, or its number in the plan) …
    :param node: … or the heading (id or key), for indicators of a 柱-level table
    :param name: 指標名
    :param unit: 単位 (read from the values when not given: 件, %, 地区 …)
    :param scope: 取組対象 (県, 県・市町)
    :param direction: ``increase``, ``decrease``, ``at_most``, ``maintain`` or
        ``qualitative`` (guessed from the baseline and target when not given)
    :param baseline: 現状値 as written (「140」「約409,000件」「－」); ``baseline_value`` and
        ``baseline_qualifier`` override the reading
    :param baseline_period: when (「R元年度」「H30年中」「R2. 1月」, an ISO date or a year);
        ``baseline_date`` and ``baseline_fiscal_year`` override the reading
    :param target, target_period: 目標値 and its 目標年度, the same way
    :param metric_key, metric_params: a live catalog metric giving the actual values
    :param definition, note: how it is counted; a note
    """
    plan = access.find_plan(context, require_id(data, "plan_id"), lock=True)
    access.require_manager(context, plan)
    values = edit.indicator_values(context, plan, data, None)
    values.setdefault("position", edit.next_position(context, Indicator, plan.id))
    indicator = Indicator(plan_id=plan.id)
    context.session.add(indicator)
    edit.apply_indicator(context, indicator, values)
    history.changed(
        context,
        plan,
        "plan_indicator_create",
        f"指標「{indicator.name}」を追加",
        {"indicator_id": indicator.id},
    )
    return shown(context, indicator)


def _update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    indicator, plan = _managed(context, require_id(data))
    values = edit.indicator_values(context, plan, data, indicator)
    bound_before = indicator.metric_key
    edit.apply_indicator(context, indicator, values)
    summary = f"指標「{indicator.name}」を更新"
    if indicator.metric_key != bound_before:
        summary = (
            f"指標「{indicator.name}」をカタログの数値「{indicator.metric_key}」に連動"
            if indicator.metric_key
            else f"指標「{indicator.name}」の連動を解除"
        )
    history.changed(
        context,
        plan,
        "plan_indicator_update",
        summary,
        {"indicator_id": indicator.id, "fields": sorted(values)},
    )
    return shown(context, indicator)


@action("plan_indicator_update", write=True)
def plan_indicator_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change an indicator (the plan's managers); fields not sent keep their value. Bind it to
    a catalog metric with ``metric_key`` and ``metric_params``; ``metric_key`` "" unbinds it.

    :param id: the indicator's id
    """
    return _update(context, data)


@action("plan_indicator_patch", write=True)
def plan_indicator_patch(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The same as ``plan_indicator_update``."""
    return _update(context, data)


@action("plan_indicator_delete", write=True)
def plan_indicator_delete(context: Context, data: dict[str, Any]) -> None:
    """Remove an indicator with its actual values (the plan's managers).

    :param id: the indicator's id
    """
    indicator, plan = _managed(context, require_id(data))
    history.changed(
        context,
        plan,
        "plan_indicator_delete",
        f"指標「{indicator.name}」を削除",
        {"indicator_id": indicator.id},
    )
    context.session.delete(indicator)
    context.session.flush()


@action("plan_indicator_show")
def plan_indicator_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One indicator with its actual values and progress (whoever may read the plan).

    :param id: the indicator's id
    """
    indicator = edit.find_indicator(context, require_id(data))
    plan = access.readable_plan(context, indicator.plan_id)
    result = shown(context, indicator)
    result["can_record"] = access.can_record_values(context, plan, indicator)
    return result


@action("plan_indicator_value_add", write=True)
def plan_indicator_value_add(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Record an actual value (実績) of an indicator: the plan's managers, and editors of the
    organisations responsible for the indicator's measure. A value for a date that already has
    one replaces it (the earlier one stays in the history).

    :param indicator_id: the indicator's id
    :param value: the value as written (「152」「約410,000件」「－」「推進中」); ``value_value``
        and ``value_qualifier`` override the reading
    :param period: when it holds (「R3年度」「R4. 3月末」, an ISO date, or a fiscal year);
        ``date`` sets the day outright
    :param source: where it comes from (a survey, a system, a file)
    :param note: a note
    :returns: the indicator (as ``plan_indicator_show``)
    """
    indicator = edit.find_indicator(context, require_id(data, "indicator_id"))
    plan = access.find_plan(context, indicator.plan_id, lock=True)
    access.require_value_recorder(context, plan, indicator)
    errors: validation.Errors = {}
    if "value" not in data and "value_value" not in data:
        validation.add(errors, "value", "必須項目です (Missing value)")
    read = inputs.value(data, "value", errors)
    when_data = {"value_period": data.get("period"), "value_date": data.get("date")}
    when_data = {k: v for k, v in when_data.items() if v not in (None, "")}
    when = inputs.period(when_data, "value", errors) if when_data else None
    if when is None and not errors:
        validation.add(errors, "period", "いつの値かを指定してください (Missing period or date)")
    source = validation.as_text(data, "source", errors, limit=2000)
    note = validation.as_text(data, "note", errors)
    require(errors)
    assert read is not None and when is not None and when.date is not None
    row = context.session.scalar(
        select(IndicatorValue).where(
            IndicatorValue.indicator_id == indicator.id, IndicatorValue.date == when.date
        )
    )
    replaced = row is not None
    if row is None:
        row = IndicatorValue(indicator_id=indicator.id, date=when.date)
        context.session.add(row)
    row.fiscal_year = when.fiscal_year or fiscal.fiscal_year_of(when.date)
    row.label = when.label
    row.value, row.qualifier, row.text = read.number, read.qualifier, read.text
    row.source, row.note = source, note
    row.created = utcnow()
    row.created_by = context.user.id if context.user else None
    indicator.modified = utcnow()
    context.session.flush()
    history.changed(
        context,
        plan,
        "plan_indicator_value_add",
        f"指標「{indicator.name}」の実績（{when.label or when.date}）を"
        f"{'更新' if replaced else '登録'}: {read.text}",
        {"indicator_id": indicator.id, "value": dictize.value_dict(row)},
    )
    return shown(context, indicator)


@action("plan_indicator_value_delete", write=True)
def plan_indicator_value_delete(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Remove one actual value (those who may record values of the indicator).

    :param id: the value's id
    :returns: the indicator
    """
    row = context.session.get(IndicatorValue, require_id(data))
    if row is None:
        raise NotFound("実績値が見つかりません (Indicator value not found)")
    indicator = edit.find_indicator(context, row.indicator_id)
    plan = access.find_plan(context, indicator.plan_id, lock=True)
    access.require_value_recorder(context, plan, indicator)
    history.changed(
        context,
        plan,
        "plan_indicator_value_delete",
        f"指標「{indicator.name}」の実績（{row.label or row.date}）を削除",
        {"indicator_id": indicator.id, "value": dictize.value_dict(row)},
    )
    context.session.delete(row)
    context.session.flush()
    return shown(context, indicator)


@action("plan_indicator_series")
def plan_indicator_series(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """An indicator's whole history: the actual values entered and, when it is bound to a
    catalog metric, every day the metric was recorded (days without a snapshot are absent:
    no data, never filled in).

    :param id: the indicator's id
    :param since: only days from this date on (YYYY-MM-DD)
    """
    errors: validation.Errors = {}
    since = inputs.iso_date(data.get("since"), "since", errors)
    require(errors)
    indicator = edit.find_indicator(context, require_id(data))
    access.readable_plan(context, indicator.plan_id)
    live = series.daily(context, indicator, since)
    values = context.session.scalars(
        select(IndicatorValue)
        .where(IndicatorValue.indicator_id == indicator.id)
        .order_by(IndicatorValue.date)
    )
    return {
        "id": indicator.id,
        "name": indicator.name,
        "unit": indicator.unit,
        "values": [dictize.value_dict(v) for v in values if since is None or v.date >= since],
        "metric_key": indicator.metric_key,
        "metric_params": indicator.metric_params or {},
        # False when the bound metric is no longer known to this site (its history stays).
        "metric_known": live.known if live is not None else None,
        "live_values": [
            {"date": p.date.isoformat(), "value": p.value} for p in (live.points if live else [])
        ],
    }
