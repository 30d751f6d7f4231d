"""Daily snapshots of metric series: real history, one row per metric + parameters + day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base
from tsunagu.storage.types import utcnow


class MetricSnapshot(Base):
    """What a metric counted on one day (Japan time). A row with no value is a day the job did
    not run ("no data"), written when a later run catches up: never an invented value."""

    __tablename__ = "metric_snapshot"

    metric_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    # The normalised parameters as canonical JSON (registry.params_key).
    params: Mapped[str] = mapped_column(String(500), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    # April–March, so a plan's yearly columns are one indexed GROUP BY.
    fiscal_year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    recorded: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
