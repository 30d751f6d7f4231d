"""package_* actions."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select

from tsunagu.accounts.models import User
from tsunagu.catalog import authz, ids, validation
from tsunagu.catalog.access import editable_dataset, readable_dataset
from tsunagu.catalog.datasets import apply_package, clean_package, touch
from tsunagu.catalog.dictize import package_dict
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Dataset, Organization, Resource
from tsunagu.catalog.resources import apply_resource
from tsunagu.catalog.search_params import search_query
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError, require
from tsunagu.events import resource_deleted, resource_saved
from tsunagu.rawjson import RawJSON
from tsunagu.registry import action
from tsunagu.storage.types import new_id


def _save_resources(context: Context, dataset: Dataset, resources: list[dict[str, Any]]) -> None:
    by_id = {r.id: r for r in dataset.resources if r.state != "deleted"}
    kept: list[Resource] = []
    for position, data in enumerate(resources):
        wanted = data.get("id")
        if wanted not in (None, "") and any(r.id == wanted for r in kept):
            raise ValidationError(
                {"resources": [f"リソースの id が重複しています (Duplicate resource id): {wanted}"]}
            )
        resource = by_id.pop(str(wanted or ""), None) or ids.resource_with_id(
            context, dataset, wanted, "resources"
        )
        apply_resource(context, dataset, resource, data)
        resource.position = position
        kept.append(resource)
    for resource in by_id.values():
        resource.state = "deleted"
        resource_deleted(context, resource)
    dataset.resources = kept + list(by_id.values())


def _require_create_rights(context: Context, org_ref: Any) -> None:
    """As CKAN's package_create auth: adding to an existing organisation needs editor rights
    there (403). A missing or unknown owner_org is left to validation (409)."""
    if not org_ref or not isinstance(org_ref, str):
        return
    try:
        org = by_id_or_name(context.session, Organization, org_ref, deleted=False)
    except NotFound:
        return
    if not authz.has_role(context, org.id, "editor"):
        raise NotAuthorized(
            "この組織にデータセットを登録する権限がありません "
            "(User not authorized to add dataset to this organization)"
        )


def _announce_resources(context: Context, dataset: Dataset) -> None:
    for resource in dataset.resources:
        if resource.state == "active":
            resource_saved(context, resource)


def _creator(context: Context, data: dict[str, Any]) -> str | None:
    """Who created the dataset: the caller, or for a sysadmin copying another site the
    ``creator_user_id`` it names when that user exists here (drafts stay visible to them)."""
    named = data.get("creator_user_id")
    if context.is_sysadmin and isinstance(named, str) and context.session.get(User, named):
        return named
    return context.user.id if context.user else None


@action("package_create", write=True)
def package_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    authz.require_login(context)
    _require_create_rights(context, data.get("owner_org"))
    dataset_id = ids.chosen_id(context, data, "dataset") or new_id()
    package = clean_package(context, data, None)
    dataset = Dataset(id=dataset_id, creator_user_id=_creator(context, data))
    apply_package(context, dataset, package)
    context.session.add(dataset)
    if package.resources:
        _save_resources(context, dataset, package.resources)
    result = touch(context, dataset, "new package")
    _announce_resources(context, dataset)
    return result


@action("package_update", write=True)
def package_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    dataset = editable_dataset(
        context, require_id(data) if data.get("id") else require_id(data, "name")
    )
    package = clean_package(context, {**data, "name": data.get("name", dataset.name)}, dataset)
    if package.values["owner_org"] != dataset.owner_org:
        authz.require_role(context, dataset.owner_org, "editor")
    apply_package(context, dataset, package)
    if package.resources is not None:
        _save_resources(context, dataset, package.resources)
    result = touch(context, dataset, "changed package")
    if package.resources is not None:
        _announce_resources(context, dataset)
    return result


@action("package_patch", write=True)
def package_patch(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    dataset = editable_dataset(context, require_id(data))
    current = package_dict(context.session, dataset, context.settings.site_url)
    current["owner_org"] = dataset.owner_org
    merged = {**current, **data, "id": dataset.id}
    if "resources" not in data:
        merged.pop("resources", None)
    if "tag_string" in data and "tags" not in data:
        merged.pop("tags")  # the tags sent as a string replace the current ones, as in CKAN
    return package_update(context, merged)


@action("package_delete", write=True)
def package_delete(context: Context, data: dict[str, Any]) -> None:
    dataset = editable_dataset(context, require_id(data))
    dataset.state = "deleted"
    touch(context, dataset, "deleted package")


@action("package_owner_org_update", write=True)
def package_owner_org_update(context: Context, data: dict[str, Any]) -> None:
    """Move a dataset to another organisation (sysadmins only, as in CKAN; organisation staff
    move datasets with package_update, holding editor rights in both organisations)."""
    dataset = by_id_or_name(context.session, Dataset, require_id(data))
    authz.require_sysadmin(context)
    ref = data.get("organization_id")
    if not ref or not isinstance(ref, str):
        # CKAN would leave the dataset without an organisation; Tsunagu's always have one.
        raise ValidationError(
            {"organization_id": ["組織を指定してください (An organization must be provided)"]}
        )
    try:
        org = by_id_or_name(context.session, Organization, ref, deleted=False)
    except NotFound:
        raise NotFound(f"組織が見つかりません: {ref} (Organization was not found.)") from None
    if dataset.owner_org != org.id:
        dataset.owner_org = org.id
        touch(context, dataset, "changed package")


def _show(context: Context, data: dict[str, Any]) -> bytes | dict[str, Any]:
    ref = require_id(data)
    search = context.services.search
    search.refresh(context.session)
    indexed = search.get(ref)
    if indexed is not None and authz.can_read_dataset(
        context,
        indexed.owner_org,
        indexed.private,
        indexed.state,
        indexed.creator_user_id,
        indexed.id,
    ):
        # Served from the index as ready-made JSON: no queries beyond the freshness check.
        return indexed.raw
    dataset = readable_dataset(context, by_id_or_name(context.session, Dataset, ref))
    return package_dict(context.session, dataset, context.settings.site_url)


@action("package_show")
def package_show(context: Context, data: dict[str, Any]) -> Any:
    shown = _show(context, data)
    return RawJSON(shown) if isinstance(shown, bytes) else shown


def package_show_dict(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """package_show for callers inside the process (pages), always as a dict."""
    shown = _show(context, data)
    return orjson.loads(shown) if isinstance(shown, bytes) else shown


@action("package_list")
def package_list(context: Context, data: dict[str, Any]) -> list[str]:
    """The names of the public datasets, by name (as CKAN). ``include_private`` and
    ``include_drafts`` (which ``ckanapi dump datasets --all`` sends, and CKAN ignores) add the
    private datasets and drafts the caller may read, as package_search counts them."""
    errors: validation.Errors = {}
    limit, offset = validation.paging(data, errors)
    include_private = validation.as_bool(data, "include_private", errors)
    include_drafts = validation.as_bool(data, "include_drafts", errors)
    require(errors)
    if limit == 0:
        limit = None  # as CKAN (``if limit:``): 0 is no limit, not an empty page
    if include_private or include_drafts:
        names = _readable_names(context, include_private, include_drafts)
        return names[offset : offset + limit if limit is not None else None]
    stmt = (
        select(Dataset.name)
        .where(Dataset.state == "active", Dataset.private.is_(False))
        .order_by(Dataset.name)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(context.session.scalars(stmt))


def _readable_names(context: Context, include_private: bool, include_drafts: bool) -> list[str]:
    states = ["active", "draft"] if include_drafts else ["active"]
    stmt = select(
        Dataset.name,
        Dataset.id,
        Dataset.owner_org,
        Dataset.private,
        Dataset.state,
        Dataset.creator_user_id,
    ).where(Dataset.state.in_(states))
    if not include_private:
        stmt = stmt.where(Dataset.private.is_(False))
    return [
        row.name
        for row in context.session.execute(stmt.order_by(Dataset.name))
        if (not row.private and row.state == "active")
        or authz.can_read_dataset(
            context, row.owner_org, row.private, row.state, row.creator_user_id, row.id
        )
    ]


@action("package_search")
def package_search(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    query = search_query(context, data)
    context.services.search.refresh(context.session)
    result = context.services.search.search(query)
    return {
        "count": result.count,
        "facets": result.facets,
        "results": result.results,
        "sort": query.sort or "score desc, metadata_modified desc",
        "search_facets": result.search_facets,
    }


@action("current_package_list_with_resources")
def current_package_list_with_resources(context: Context, data: dict[str, Any]) -> list[Any]:
    errors: validation.Errors = {}
    limit, offset = validation.paging(data, errors, default_limit=10, max_limit=1000)
    require(errors)
    query = search_query(
        context,
        {"rows": limit, "start": offset, "sort": "metadata_modified desc", "include_private": True},
    )
    context.services.search.refresh(context.session)
    return context.services.search.search(query).results


@action("package_autocomplete")
def package_autocomplete(context: Context, data: dict[str, Any]) -> list[dict[str, str]]:
    errors: validation.Errors = {}
    q = validation.as_text(data, "q", errors, limit=200)
    limit, _ = validation.paging(data, errors, default_limit=10, max_limit=100)
    require(errors)
    if not q:
        return []
    words = " ".join(q.replace("\\", " ").replace('"', " ").split())
    if not words:
        return []
    phrase = f'"{words}"'
    query = search_query(context, {"q": phrase, "rows": limit, "fl": "name,title"})
    context.services.search.refresh(context.session)
    found = context.services.search.search(query).results
    by_name = search_query(
        context, {"fq": f"name:{_escape(q.lower())}*", "rows": limit, "fl": "name,title"}
    )
    found = context.services.search.search(by_name).results + found
    out: list[dict[str, str]] = []
    for item in found:
        if any(o["name"] == item["name"] for o in out):
            continue
        match_field = "name" if item["name"].startswith(q.lower()) else "title"
        out.append(
            {
                "name": item["name"],
                "title": item["title"],
                "match_field": match_field,
                "match_displayed": item[match_field],
            }
        )
    return out[: limit or 10]


def _escape(text: str) -> str:
    return "".join("\\" + c if not (c.isalnum() or c in "-_") else c for c in text)
