"""Paging and filtering shared by every activity stream: CKAN's ``limit``, ``offset``, ``before``,
``after``, ``activity_types`` and ``exclude_activity_types``, always after the caller's
visibility condition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select

from tsunagu.catalog import validation
from tsunagu.catalog.activity_access import visible_activity
from tsunagu.catalog.models import Activity
from tsunagu.context import Context
from tsunagu.errors import require

DEFAULT_LIMIT = 31
MAX_LIMIT = 100


@dataclass(frozen=True)
class Window:
    limit: int
    offset: int
    before: datetime | None = None
    after: datetime | None = None
    types: tuple[str, ...] | None = None
    exclude_types: tuple[str, ...] | None = None


def _timestamp(data: dict[str, Any], field: str, errors: validation.Errors) -> datetime | None:
    """Seconds since the epoch (CKAN's form), or an ISO 8601 time; both read as UTC."""
    raw = data.get(field)
    if raw in (None, ""):
        return None
    try:
        if isinstance(raw, bool):
            raise ValueError
        seconds = float(raw)
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw.strip())
        except ValueError:
            pass
        else:
            return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    validation.add(errors, field, "UNIX 時刻（秒）で指定してください (Must be a float timestamp)")
    return None


def _types(data: dict[str, Any], field: str, errors: validation.Errors) -> tuple[str, ...] | None:
    raw = data.get(field)
    if raw is None:
        return None
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        validation.add(errors, field, "文字列のリストで指定してください (Not a list of strings)")
        return None
    return tuple(v.strip() for v in values if v.strip())


def window(data: dict[str, Any]) -> Window:
    errors: validation.Errors = {}
    limit, offset = validation.paging(
        data, errors, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT
    )
    before = _timestamp(data, "before", errors)
    after = _timestamp(data, "after", errors)
    types = _types(data, "activity_types", errors)
    exclude = _types(data, "exclude_activity_types", errors)
    if types is not None and exclude is not None:
        validation.add(
            errors,
            "activity_types",
            "exclude_activity_types と同時には使えません "
            "(Cannot be used together with `exclude_activity_types`)",
        )
    require(errors)
    return Window(
        limit if limit is not None else DEFAULT_LIMIT, offset, before, after, types, exclude
    )


def fetch(context: Context, stmt: Select[tuple[Activity]], win: Window) -> list[Activity]:
    """The page of ``stmt`` the caller may see, newest first."""
    stmt = stmt.where(visible_activity(context))
    if win.before is not None:
        stmt = stmt.where(Activity.timestamp < win.before)
    if win.after is not None:
        stmt = stmt.where(Activity.timestamp > win.after)
    if win.types is not None:
        stmt = stmt.where(Activity.activity_type.in_(win.types))
    if win.exclude_types:
        stmt = stmt.where(Activity.activity_type.not_in(win.exclude_types))
    # With only `after`, the page is the oldest entries after it (as CKAN), still shown newest
    # first.
    oldest_first = win.after is not None and win.before is None
    order = Activity.timestamp.asc() if oldest_first else Activity.timestamp.desc()
    rows = list(
        context.session.scalars(
            stmt.order_by(order, Activity.id).offset(win.offset).limit(win.limit)
        )
    )
    if oldest_first:
        rows.reverse()
    return rows
