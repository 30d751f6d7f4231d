"""resource_search and format_autocomplete: finding resources by their own fields. Only
resources of active public datasets are ever searched, whoever asks (as in CKAN)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute

from tsunagu.catalog import validation
from tsunagu.catalog.dictize import resource_dict
from tsunagu.catalog.licenses import get_license
from tsunagu.catalog.models import Dataset, Resource
from tsunagu.context import Context
from tsunagu.errors import ValidationError, require
from tsunagu.registry import action

# Text fields match a case-insensitive substring; the hash matches a prefix; the rest match
# exactly (as CKAN's resource_search treats its text and other columns).
TEXT_FIELDS: dict[str, InstrumentedAttribute[str]] = {
    "name": Resource.name,
    "description": Resource.description,
    "url": Resource.url,
    "format": Resource.format,
    "mimetype": Resource.mimetype,
    "url_type": Resource.url_type,
}
EXACT_FIELDS: dict[str, InstrumentedAttribute[Any]] = {
    "id": Resource.id,
    "package_id": Resource.dataset_id,
    "size": Resource.size,
    "position": Resource.position,
}
ORDER_FIELDS: dict[str, InstrumentedAttribute[Any]] = {
    **TEXT_FIELDS,
    **EXACT_FIELDS,
    "hash": Resource.hash,
    "created": Resource.created,
    "last_modified": Resource.last_modified,
    "metadata_modified": Resource.metadata_modified,
}
MAX_LIMIT = 1000


def _like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _criterion(field: str, term: str) -> ColumnElement[bool]:
    if field == "hash":
        return Resource.hash.ilike(_like(term) + "%", escape="\\")
    if field in TEXT_FIELDS:
        return TEXT_FIELDS[field].ilike("%" + _like(term) + "%", escape="\\")
    if field in ("size", "position"):
        try:
            return EXACT_FIELDS[field] == int(term)
        except ValueError:
            raise ValidationError(
                {"query": [f"{field} は整数で指定してください (Must be an integer)"]}
            ) from None
    if field in EXACT_FIELDS:
        return EXACT_FIELDS[field] == term
    raise ValidationError(
        {"query": [f'Field "{field}" not recognised in resource_search.']}  # CKAN's wording
    )


def _pairs(query: Any) -> list[tuple[str, str]]:
    if query is None or query == "" or query == []:
        raise ValidationError({"query": ["必須項目です (Missing value)"]})
    items = [query] if isinstance(query, str) else query
    if not isinstance(items, list) or not all(isinstance(i, str) and ":" in i for i in items):
        raise ValidationError(
            {"query": ["<項目>:<値> の形で指定してください (Must be <field>:<value> pair(s))"]}
        )
    return [(field.strip(), term) for field, term in (i.split(":", 1) for i in items)]


def _public() -> list[ColumnElement[bool]]:
    return [
        Resource.state == "active",
        Dataset.state == "active",
        Dataset.private.is_(False),
    ]


@action("resource_search")
def resource_search(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Resources of public datasets whose fields match every ``field:term`` given.

    :param query: ``"field:term"`` or a list of them (AND); text fields (name, description,
        url, format, mimetype, url_type) match a case-insensitive substring, ``hash`` a prefix,
        id, package_id, size and position exactly
    :param order_by: a resource field to sort by, ascending
    :param offset: results to skip
    :param limit: at most this many results (default and cap 1000)
    :returns: ``{"count": all matches, "results": [resource dicts]}``
    """
    criteria = [_criterion(field, term) for field, term in _pairs(data.get("query"))]
    errors: validation.Errors = {}
    limit, offset = validation.paging(data, errors, default_limit=MAX_LIMIT, max_limit=MAX_LIMIT)
    require(errors)
    base = select(Resource.id).join(Dataset, Dataset.id == Resource.dataset_id)
    base = base.where(*_public(), *criteria)
    count = context.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    order = ORDER_FIELDS.get(str(data.get("order_by") or ""))
    stmt = (
        select(Resource, Dataset.license_id)
        .join(Dataset, Dataset.id == Resource.dataset_id)
        .where(*_public(), *criteria)
        .order_by(*([order] if order is not None else []), Resource.created, Resource.id)
        .offset(offset)
        .limit(limit)
    )
    site_url = context.settings.site_url
    results = []
    for resource, license_id in context.session.execute(stmt):
        license = get_license(license_id)
        results.append(resource_dict(resource, site_url, bool(license and license.is_open)))
    return {"count": count, "results": results}


@action("format_autocomplete")
def format_autocomplete(context: Context, data: dict[str, Any]) -> list[str]:
    """Resource formats containing ``q``, most used first, in lower case (public datasets
    only).

    :param q: the text to look for
    :param limit: at most this many formats (default 5)
    :rtype: list of strings
    """
    errors: validation.Errors = {}
    q = validation.as_text(data, "q", errors, limit=100)
    if not q and "q" not in errors:
        validation.add(errors, "q", "必須項目です (Missing value)")
    limit, _ = validation.paging(data, errors, default_limit=5, max_limit=100)
    require(errors)
    fmt = func.lower(Resource.format)
    total = func.count(Resource.id)
    stmt = (
        select(fmt, total)
        .join(Dataset, Dataset.id == Resource.dataset_id)
        .where(*_public(), Resource.format != "", fmt.like("%" + _like(q.lower()) + "%", "\\"))
        .group_by(fmt)
        .order_by(total.desc(), fmt)
        .limit(limit)
    )
    return [str(name) for name, _ in context.session.execute(stmt)]
