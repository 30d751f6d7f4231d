"""Plan tables: plans and their 版 (revisions), the hierarchy above the measures, measures (施策)
with their 工程表 stages, indicators (指標) and each indicator's actual values.

Values from a plan's tables are kept three ways (plan/values.py): the number, a qualifier (約,
－, 以内, a qualitative target such as 増加 or 推進) and the text exactly as written, so nothing a
plan says is lost by reading it. Periods likewise: the fiscal year as an integer (April–March,
the year it starts), the end date of the period, and the label as written (H32年度, R2. 1月).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base
from tsunagu.storage.types import new_id, utcnow


class Plan(Base):
    """A plan owned by one organisation (the prefecture, or its ICT policy office)."""

    __tablename__ = "plan"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    owner_org: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    # Fiscal years (the calendar year each starts in); None while not fixed (a 指針).
    period_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    period_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The names of the hierarchy's levels, top down; the last names the measures
    # (["基本目標", "施策の柱", "推進方策", "施策"]).
    level_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    # How the plan is reviewed (PDCA: who reports to whom, how often), as the plan says it.
    evaluation: Mapped[str] = mapped_column(Text, default="")
    # Where the plan is published (its PDF, its page).
    source_url: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # active / deleted
    state: Mapped[str] = mapped_column(String(20), default="active")
    creator_user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PlanRevision(Base):
    """One 版 of a plan: 策定 (first adopted) or 改定 (revised), with its date."""

    __tablename__ = "plan_revision"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    # 策定 / 改定 / 更新 (as the plan calls it)
    kind: Mapped[str] = mapped_column(String(20), default="策定")
    date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The date as the plan writes it (令和2年（2020年）3月), kept beside the date.
    date_label: Mapped[str] = mapped_column(String(100), default="")
    version: Mapped[str] = mapped_column(String(50), default="")  # "ver 2.1"
    note: Mapped[str] = mapped_column(Text, default="")


class PlanNode(Base):
    """A heading of the plan's hierarchy above the measures (a 施策の柱, a 推進方策 …)."""

    __tablename__ = "plan_node"
    __table_args__ = (UniqueConstraint("plan_id", "key", name="uq_plan_node_plan_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("plan_node.id", ondelete="CASCADE"), nullable=True, index=True
    )
    level: Mapped[int] = mapped_column(Integer, default=0)  # index into plan.level_names
    number: Mapped[str] = mapped_column(String(30), default="")  # "I", "1", "(2)"
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # The path of numbers (or titles) from the top, "I/1": what a re-import matches on.
    key: Mapped[str] = mapped_column(String(1000))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Measure(Base):
    """A measure (施策, 事業): the unit that has owners, a schedule and indicators."""

    __tablename__ = "plan_measure"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[str | None] = mapped_column(
        ForeignKey("plan_node.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # "13-2", "84", "" (unnumbered): unique within the plan when given.
    number: Mapped[str] = mapped_column(String(30), default="")
    name: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # 取組概要・今後の取組
    # 所管課 as written, each one ("情報企画課", "市町課").
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The organisations responsible (ids); their editors may record actual values.
    organizations: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Links to the national plan's categories (plan/categories.py codes).
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MeasureStage(Base):
    """One cell of a measure's 工程表: what happens in one fiscal year (検討, 構築, 運用 …)."""

    __tablename__ = "plan_measure_stage"
    __table_args__ = (
        UniqueConstraint("measure_id", "fiscal_year", name="uq_plan_measure_stage_measure_year"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    measure_id: Mapped[str] = mapped_column(
        ForeignKey("plan_measure.id", ondelete="CASCADE"), index=True
    )
    fiscal_year: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100), default="")  # the year as written (H32)
    text: Mapped[str] = mapped_column(Text, default="")


class Indicator(Base):
    """An indicator (指標) of a measure, or of a heading (a 柱-level table row)."""

    __tablename__ = "plan_indicator"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    measure_id: Mapped[str | None] = mapped_column(
        ForeignKey("plan_measure.id", ondelete="CASCADE"), nullable=True, index=True
    )
    node_id: Mapped[str | None] = mapped_column(
        ForeignKey("plan_node.id", ondelete="CASCADE"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(50), default="")
    scope: Mapped[str] = mapped_column(String(50), default="")  # 取組対象: 県 / 県・市町
    # increase / decrease / at_most / maintain / qualitative (plan/progress.py)
    direction: Mapped[str] = mapped_column(String(20), default="increase")
    definition: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    baseline_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    baseline_qualifier: Mapped[str] = mapped_column(String(20), default="")
    baseline_text: Mapped[str] = mapped_column(Text, default="")
    baseline_label: Mapped[str] = mapped_column(String(100), default="")
    baseline_fiscal_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    baseline_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    target_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    target_qualifier: Mapped[str] = mapped_column(String(20), default="")
    target_text: Mapped[str] = mapped_column(Text, default="")
    target_label: Mapped[str] = mapped_column(String(100), default="")
    target_fiscal_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # A live catalog metric (tsunagu.metrics) the actual values come from instead of entry.
    metric_key: Mapped[str] = mapped_column(String(100), default="")
    metric_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class IndicatorValue(Base):
    """One actual value (実績) of an indicator, as of a date, with where it came from."""

    __tablename__ = "plan_indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "date", name="uq_plan_indicator_value_indicator_date"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    indicator_id: Mapped[str] = mapped_column(
        ForeignKey("plan_indicator.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[date] = mapped_column(Date)  # the day the value holds for (a period's end)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100), default="")  # the period as written
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    qualifier: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")  # 出典: a survey, a system, a file
    note: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class PlanImport(Base):
    """A plan table uploaded for import: kept from the preview until it is applied or
    discarded, with the column mapping staff chose."""

    __tablename__ = "plan_import"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str] = mapped_column(Text, default="")
    sheet: Mapped[str] = mapped_column(Text, default="")
    # Column as written → field (plan/importing/columns.py); {} until staff change it.
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # preview / applied / discarded
    state: Mapped[str] = mapped_column(String(20), default="preview")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
