"""Every change to a plan goes into the activity history (catalog/activity.py), recorded
against the plan: ``new plan``, ``changed plan`` (with what changed: a measure, an indicator, an
actual value, an import) and ``deleted plan``.

Entries are recorded under the plan's organisation and are private while the plan is
unpublished, so the history of a plan in preparation reaches only those who may read it.
"""

from __future__ import annotations

from typing import Any

from tsunagu.catalog.activity import record_activity
from tsunagu.context import Context
from tsunagu.plan.models import Plan
from tsunagu.storage.types import utcnow


def record(
    context: Context,
    plan: Plan,
    activity_type: str,
    change: str,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """``change``: the action that made it (plan_measure_update …); ``summary``: one line in
    Japanese naming what changed (施策「13-2 eLTAXの推進」を更新)."""
    plan.modified = utcnow()
    record_activity(
        context,
        plan.id,
        activity_type,
        {
            "plan": {"id": plan.id, "name": plan.name, "title": plan.title},
            "title": plan.title,
            "change": change,
            "summary": summary,
            **({"detail": detail} if detail else {}),
        },
        owner_org=plan.owner_org,
        private=not plan.published,
    )


def changed(
    context: Context, plan: Plan, change: str, summary: str, detail: dict[str, Any] | None = None
) -> None:
    record(context, plan, "changed plan", change, summary, detail)


def measure_label(number: str, name: str) -> str:
    return f"{number} {name}".strip()
