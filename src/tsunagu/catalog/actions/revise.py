"""package_revise and package_resource_reorder: changing part of a dataset in one call."""

from __future__ import annotations

from typing import Any

import orjson

from tsunagu.catalog.access import editable_dataset
from tsunagu.catalog.actions.packages import package_show_dict, package_update
from tsunagu.catalog.datasets import touch
from tsunagu.catalog.lookup import require_id
from tsunagu.catalog.revise import (
    RevisionError,
    filter_globs,
    key_mismatches,
    merge,
    merge_key,
    mismatches,
)
from tsunagu.context import Context
from tsunagu.errors import ValidationError
from tsunagu.registry import action


def _json_or_string(value: Any) -> Any:
    """A string holding JSON is parsed (multipart clients can send only strings)."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _patterns(data: dict[str, Any], field: str) -> list[str] | None:
    value = data.get(field)
    if value is None:
        return None
    if isinstance(value, str):
        parsed = _json_or_string(value)
        value = parsed if isinstance(parsed, list) else value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError({field: ["文字列のリストで指定してください (Not a list of strings)"]})
    return [v.strip() for v in value if v.strip()]


def _dict(data: dict[str, Any], field: str) -> dict[str, Any] | None:
    if field not in data:
        return None
    value = _json_or_string(data[field])
    if not isinstance(value, dict):
        raise ValidationError({field: ["辞書で指定してください (Must be a dict)"]})
    return value


def _prefixed(data: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix) :]: _json_or_string(v) for k, v in data.items() if k.startswith(prefix)}


def _update_order(key: str) -> tuple[int, str]:
    # `…__extend` first, so that a file can be attached to a resource added in the same call.
    return (0 if key.endswith("extend") else 1, key)


@action("package_revise", write=True)
def package_revise(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change part of a dataset: check ``match``, drop what ``filter`` names, merge ``update``,
    then save as package_update does (needs the right to edit the dataset).

    :param match: values the dataset must have (``id`` or ``name`` finds it), else 409
    :param filter: patterns of fields to remove first (``-resources__1``, ``+title``, ``-*``)
    :param update: values to merge in (dicts by key, lists by position)
    :param include: patterns of the result to keep (default: everything)
    Flattened keys also work: ``match__name``, ``update__notes``,
    ``update__resources__-1__name``, ``update__resources__1f9ab__description`` (an id prefix
    of five or more characters), ``update__resources__extend`` (append resources) and, sent as
    multipart, ``update__resources__-1__upload`` (a file for that resource).
    :returns: ``{"package": the updated dataset}`` filtered by ``include``
    """
    match = _dict(data, "match") or {}
    match_keys = _prefixed(data, "match__")
    update = _dict(data, "update")
    update_keys = _prefixed(data, "update__")
    filters = _patterns(data, "filter")
    include = _patterns(data, "include")
    ref = match_keys.get("id") or match.get("id") or match_keys.get("name") or match.get("name")
    if not isinstance(ref, str) or not ref:
        raise ValidationError({"match__id": ["必須項目です (Missing value)"]})
    dataset = editable_dataset(context, ref)  # 404/403 before anything about its values
    original = package_show_dict(context, {"id": dataset.id})
    original["owner_org"] = dataset.owner_org
    try:
        unmatched = mismatches(original, match)
        for key, value in sorted(match_keys.items()):
            unmatched += key_mismatches(original, key, value)
    except RevisionError as error:
        raise ValidationError({"match": [str(error)]}) from None
    if unmatched:
        raise ValidationError({"match": ["__".join(str(p) for p in path) for path in unmatched]})
    revised = original
    if filters:
        filter_globs(revised, filters)
        revised["id"] = dataset.id
    if update is not None:
        try:
            merge(revised, update)
        except RevisionError as error:
            raise ValidationError({"update": [str(error)]}) from None
    for key in sorted(update_keys, key=_update_order):
        try:
            merge_key(revised, key, update_keys[key])
        except RevisionError as error:
            raise ValidationError({f"update__{key}": [str(error)]}) from None
    # A dataset keeps its organisation unless the revision names another one.
    revised.setdefault("owner_org", dataset.owner_org)
    result: dict[str, Any] = {"package": package_update(context, {**revised, "id": dataset.id})}
    if include:
        filter_globs(result, include)
    return result


@action("package_resource_reorder", write=True)
def package_resource_reorder(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Put a dataset's resources in a new order (needs the right to edit the dataset). The
    resources named come first, in that order; the others keep their order after them.

    :param id: the dataset's id or name
    :param order: resource ids
    :returns: ``{"id": …, "order": [every resource id in the new order]}``
    """
    ref = require_id(data)
    order = _json_or_string(data.get("order"))
    if order is None:
        raise ValidationError({"order": ["必須項目です (Missing value)"]})
    if not isinstance(order, list) or not all(isinstance(r, str) for r in order):
        raise ValidationError(
            {"order": ["リソース id のリストで指定してください (Must be a list)"]}
        )
    if len(set(order)) != len(order):
        raise ValidationError(
            {"order": ["同じリソースが重複しています (Must supply unique resource_ids)"]}
        )
    dataset = editable_dataset(context, ref)
    active = [r for r in dataset.resources if r.state != "deleted"]
    by_id = {r.id: r for r in active}
    for resource_id in order:
        if resource_id not in by_id:
            raise ValidationError(
                {
                    "order": [
                        f"リソースが見つかりません: {resource_id} "
                        f"(resource_id {resource_id} can not be found)"
                    ]
                }
            )
    new_order = order + [r.id for r in active if r.id not in order]
    for position, resource_id in enumerate(new_order):
        by_id[resource_id].position = position
    touch(context, dataset, "changed package")
    return {"id": ref, "order": new_order}
