"""Reading and setting the organisations' minimum ★ and score (``AttentionSetting``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.catalog import validation
from tsunagu.context import Context
from tsunagu.errors import require
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import get_or_create
from tsunagu.workspace.attention.models import AttentionSetting
from tsunagu.workspace.attention.scope import Threshold

MAX_STARS = 5
MAX_SCORE = 100


def thresholds(session: Session, org_ids: Iterable[str] | None) -> dict[str, Threshold]:
    """Organisation id → its threshold, for the given organisations (None: all of them)."""
    query = select(AttentionSetting)
    if org_ids is not None:
        query = query.where(AttentionSetting.organization_id.in_(sorted(org_ids)))
    return {
        row.organization_id: Threshold(row.min_stars, row.min_score)
        for row in session.scalars(query)
    }


def _bounded(data: dict[str, Any], field: str, top: int, errors: validation.Errors) -> int | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        validation.add(errors, field, "整数で指定してください (Must be an integer)")
        return None
    if not 0 <= number <= top:
        validation.add(
            errors, field, f"0 から {top} までで指定してください (Must be between 0 and {top})"
        )
        return None
    return number


def update(context: Context, org_id: str, data: dict[str, Any]) -> Threshold:
    """Set the given minimums (the other one stays as it was); the caller checked the rights."""
    errors: validation.Errors = {}
    stars = _bounded(data, "min_stars", MAX_STARS, errors)
    score = _bounded(data, "min_score", MAX_SCORE, errors)
    if not errors and stars is None and score is None:
        message = "min_stars か min_score を指定してください (Give min_stars or min_score)"
        validation.add(errors, "min_stars", message)
    require(errors)
    row = get_or_create(context.session, AttentionSetting, {"organization_id": org_id})
    if stars is not None:
        row.min_stars = stars
    if score is not None:
        row.min_score = score
    row.modified = utcnow()
    row.modified_by = context.user.id if context.user is not None else None
    context.session.flush()
    return Threshold(row.min_stars, row.min_score)
