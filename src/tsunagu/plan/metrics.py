"""What the plans ask of the daily metric snapshot: every series an indicator of an active plan
is bound to is stored each day (metrics/snapshots.py), published plan or not, so its history is
there from the day it was bound."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.metrics.registry import series_provider
from tsunagu.plan.models import Indicator, Plan


@series_provider
def bound_series(session: Session) -> Iterable[tuple[str, dict[str, Any]]]:
    rows = session.execute(
        select(Indicator.metric_key, Indicator.metric_params)
        .join(Plan, Plan.id == Indicator.plan_id)
        .where(Plan.state == "active", Indicator.metric_key != "")
    )
    return [(key, dict(params or {})) for key, params in rows]
