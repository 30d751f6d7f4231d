"""usage_popular_list and usage_show: the most used public datasets, and daily counts.

Anyone may call both. The popular lists hold public, active datasets only, whoever asks; a
dataset's or resource's counts are shown to whoever may read the dataset; an organisation's and
the site's counts are of public datasets only (usage/models.py), so they are open to all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tsunagu.catalog import validation
from tsunagu.catalog.access import readable_dataset
from tsunagu.catalog.lookup import by_id_or_name, require_id, resource_by_id
from tsunagu.catalog.models import Dataset, Organization
from tsunagu.context import Context
from tsunagu.errors import NotFound, ValidationError
from tsunagu.registry import action, call_action
from tsunagu.usage.counters import COLUMNS, today
from tsunagu.usage.models import DATASET, KINDS, ORGANIZATION, RESOURCE, SITE
from tsunagu.usage.queries import PERIODS, SORTS, daily_counts, period_days, popular

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years a call


def _choice(data: dict[str, Any], field: str, allowed: tuple[str, ...], default: str) -> str:
    value = data.get(field)
    if value in (None, ""):
        return default
    if value not in allowed:
        raise ValidationError(
            {field: [f"次のいずれかで指定してください: {', '.join(allowed)} (Must be one of them)"]}
        )
    return str(value)


def _organization(context: Context, ref: Any, field: str = "organization") -> Organization:
    if not isinstance(ref, str) or not ref.strip():
        raise ValidationError({field: ["必須項目です (Missing value)"]})
    try:
        return by_id_or_name(context.session, Organization, ref.strip(), deleted=False)
    except NotFound:
        raise NotFound(f"組織が見つかりません: {ref} (Organization not found)") from None


@action("usage_popular_list")
def usage_popular_list(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The most used public datasets of a period: ``period`` today / 7d / 30d (the days up to
    and including today, Japan time) or all (since counting began); ``sort`` downloads or
    page_views; ``organization`` (id or name) for one organisation's; ``limit`` 1–100."""
    period = _choice(data, "period", tuple(PERIODS), "30d")
    sort = _choice(data, "sort", SORTS, "downloads")
    errors: validation.Errors = {}
    limit, _ = validation.paging(data, errors, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    if errors:
        raise ValidationError(errors)
    limit = max(1, limit or DEFAULT_LIMIT)
    org = None
    if data.get("organization") not in (None, ""):
        org = _organization(context, data["organization"])
    since, until = period_days(period)
    ranked = popular(
        context.session,
        since=since,
        until=until,
        sort=sort,
        organization_id=org.id if org else None,
        limit=limit,
    )
    packages: dict[str, Any] = {}
    if ranked:
        # Through search without include_private: what the public sees, whoever asks.
        found = call_action(
            "package_search",
            context,
            {
                "fq": " OR ".join(f'id:"{_quoted(r.dataset_id)}"' for r in ranked),
                "rows": len(ranked),
            },
        )["results"]
        packages = {p["id"]: p for p in found}
    return {
        "period": period,
        "since": since.isoformat() if since else None,
        "until": until.isoformat(),
        "sort": sort,
        "organization": org.name if org else None,
        "results": [
            {"dataset": packages[r.dataset_id], **r.counts}
            for r in ranked
            if r.dataset_id in packages
        ],
    }


def _days_before(day: dt.date, days: int) -> dt.date:
    """``days`` days before ``day``, or the first day there is (an ``until`` of year 1)."""
    try:
        return day - dt.timedelta(days=days)
    except OverflowError:
        return dt.date.min


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _day(data: dict[str, Any], field: str, default: dt.date) -> dt.date:
    value = data.get(field)
    if value in (None, ""):
        return default
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            {field: [f"日付は YYYY-MM-DD で指定してください: {value} (Invalid date)"]}
        ) from None


def _subject(context: Context, kind: str, data: dict[str, Any]) -> tuple[str, str]:
    """The row id counts are kept under, after checking the caller may see them."""
    if kind == SITE:
        return "", ""
    ref = require_id(data)
    if kind == ORGANIZATION:
        org = _organization(context, ref, "id")
        return org.id, org.name
    if kind == RESOURCE:
        resource = resource_by_id(context.session, ref)
        readable_dataset(context, resource.dataset)
        return resource.id, resource.id
    dataset = by_id_or_name(context.session, Dataset, ref)
    if dataset.state == "deleted" and not context.is_sysadmin:
        raise NotFound("データセットが見つかりません (Dataset not found)")
    readable_dataset(context, dataset)
    return dataset.id, dataset.name


@action("usage_show")
def usage_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Daily counts of one thing: ``type`` dataset (default), resource, organization or site,
    ``id`` (id or name; none for the site), ``since`` / ``until`` (YYYY-MM-DD, Japan time; the
    last 30 days by default, at most 3,660 days)."""
    kind = _choice(data, "type", KINDS, DATASET)
    object_id, shown = _subject(context, kind, data)
    until = _day(data, "until", today())
    since = _day(data, "since", _days_before(until, DEFAULT_DAYS - 1))
    if since > until:
        raise ValidationError({"since": ["until より後の日付です (since is after until)"]})
    if (until - since).days + 1 > MAX_DAYS:
        raise ValidationError(
            {"since": [f"一度に {MAX_DAYS} 日までです (At most {MAX_DAYS} days a call)"]}
        )
    days = daily_counts(context.session, kind, [object_id], since, until)
    totals = {name: sum(day[name] for day in days.values()) for name in COLUMNS}
    return {
        "type": kind,
        "id": object_id or None,
        "name": shown or None,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "totals": totals,
        "days": [{"date": day.isoformat(), **counts} for day, counts in sorted(days.items())],
    }
