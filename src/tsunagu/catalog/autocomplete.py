"""Group and organisation names for type-ahead fields (CKAN's *_autocomplete)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from tsunagu.catalog import validation
from tsunagu.catalog.models import Group, Organization
from tsunagu.context import Context
from tsunagu.errors import require

DEFAULT_LIMIT = 20


def autocomplete(
    context: Context, model: type[Group] | type[Organization], data: dict[str, Any]
) -> list[dict[str, str]]:
    """Active groups (or organisations) whose name contains ``q`` or whose title contains it in
    any case, ordered by title; each as ``{id, name, title}``."""
    errors: validation.Errors = {}
    if "q" not in data:
        validation.add(errors, "q", "必須項目です (Missing value)")
    q = validation.as_text(data, "q", errors, limit=200).strip()
    limit, _ = validation.paging(data, errors, default_limit=DEFAULT_LIMIT, max_limit=1000)
    require(errors)
    stmt = (
        select(model)
        .where(
            model.state == "active",
            or_(
                model.name.contains(q.lower(), autoescape=True),
                model.title.icontains(q, autoescape=True),
            ),
        )
        .order_by(model.title, model.name)
        .limit(DEFAULT_LIMIT if limit is None else limit)
    )
    return [{"id": g.id, "name": g.name, "title": g.title} for g in context.session.scalars(stmt)]
