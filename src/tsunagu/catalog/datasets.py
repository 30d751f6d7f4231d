"""Creating and changing datasets: checked input applied to rows, plus what follows every change
(revision bump, search refresh, activity)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tsunagu.catalog import authz, foreign_fields, tags, validation
from tsunagu.catalog.activity import record_activity
from tsunagu.catalog.dictize import package_dict
from tsunagu.catalog.lookup import by_id_or_name
from tsunagu.catalog.metadata.fields import clean_metadata
from tsunagu.catalog.models import Dataset, DatasetExtra, Group, Organization
from tsunagu.catalog.revision import bump_revision
from tsunagu.context import Context
from tsunagu.errors import NotFound, require
from tsunagu.events import dataset_saving
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import flush_or_conflict

_TEXT_FIELDS = (
    "title",
    "notes",
    "author",
    "maintainer",
    "url",
    "version",
)
STATES = ("active", "draft")
NAME_IN_USE = "この URL は既に使われています (That URL is already in use.)"


@dataclass
class PackageInput:
    values: dict[str, Any]
    tags: list[tags.TagRef] | None
    groups: list[Group] | None
    extras: dict[str, str] | None
    resources: list[dict[str, Any]] | None


def clean_package(context: Context, data: dict[str, Any], current: Dataset | None) -> PackageInput:
    errors: validation.Errors = {}
    geojson = foreign_fields.geojson_spatial(data)
    if geojson is not None:
        # ckanext-spatial's geometry is not Tsunagu's place label: it is kept as that extra.
        data = {**data, "spatial": ""}
    values: dict[str, Any] = {"name": validation.check_name(data.get("name"), "name", errors)}
    for field in _TEXT_FIELDS:
        values[field] = validation.as_text(data, field, errors)
    # The column holds 30 characters (CKAN's types are short names such as "dataset").
    values["type"] = validation.as_text(data, "type", errors, limit=30) or "dataset"
    if not values["title"]:
        validation.add(errors, "title", "必須項目です (Missing value)")
    for field in ("author_email", "maintainer_email"):
        values[field] = validation.check_email(
            validation.as_text(data, field, errors), field, errors
        )
    validation.check_url(values["url"], "url", errors)
    values["license_id"] = validation.check_license(
        validation.as_text(data, "license_id", errors), errors
    )
    # Omitting `private` on update keeps it: a dataset must never become public by omission.
    values["private"] = validation.as_bool(
        data, "private", errors, default=current.private if current else False
    )
    state = validation.as_text(data, "state", errors) or (current.state if current else "active")
    if state not in STATES and not (current and state == current.state):
        validation.add(
            errors, "state", "active か draft を指定してください (Must be active or draft)"
        )
    values["state"] = state
    values["owner_org"] = _owner_org(context, data, errors, current)
    values.update(clean_metadata(context.session, data, current, values["owner_org"], errors))
    if values["name"]:
        clash = context.session.scalar(select(Dataset.id).where(Dataset.name == values["name"]))
        if clash and (current is None or clash != current.id):
            validation.add(errors, "name", NAME_IN_USE)
    tag_refs = tags.tag_refs(data, errors)
    if tag_refs:
        tag_refs = tags.check_vocabulary_tags(context.session, tag_refs, errors)
    groups = _groups(context, validation.ref_names(data, "groups", errors), errors)
    extras = _extras(data, current, errors)
    if geojson is not None:
        extras = {
            **(extras if extras is not None else _current_extras(current)),
            "spatial": geojson,
        }
    resources = data.get("resources")
    if resources is not None and not (
        isinstance(resources, list) and all(isinstance(r, dict) for r in resources)
    ):
        validation.add(
            errors,
            "resources",
            "リソースの辞書のリストで指定してください (Must be a list of resource dicts)",
        )
    require(errors)
    return PackageInput(values, tag_refs, groups, extras, resources)


def _current_extras(current: Dataset | None) -> dict[str, str]:
    return {e.key: e.value for e in current.extras} if current is not None else {}


def _extras(
    data: dict[str, Any], current: Dataset | None, errors: validation.Errors
) -> dict[str, str] | None:
    """The ``extras`` list, plus top-level fields Tsunagu has no column for (another CKAN's
    scheming fields …: catalog/foreign_fields.py). A top-level field wins over a listed extra of
    the same key (package_patch sends the current extras with it); without a list, those fields
    change the current extras."""
    listed = validation.extras_list(data, errors)
    unknown = foreign_fields.package_unknown_fields(data, errors)
    if not unknown:
        return listed
    return {**(listed if listed is not None else _current_extras(current)), **unknown}


def _owner_org(
    context: Context, data: dict[str, Any], errors: validation.Errors, current: Dataset | None
) -> str | None:
    ref = data.get("owner_org")
    if not ref:
        validation.add(
            errors, "owner_org", "組織を指定してください (An organization must be provided)"
        )
        return None
    try:
        org = by_id_or_name(context.session, Organization, str(ref), deleted=False)
    except NotFound:
        # A dict copied from another site also names the organisation: say which one is missing
        # (ckanapi load prints only this message for the record).
        named = data.get("organization")
        name = named.get("name") if isinstance(named, dict) else None
        also = f"（{name}）" if isinstance(name, str) and name and name != ref else ""
        validation.add(
            errors,
            "owner_org",
            f"組織が見つかりません: {ref}{also}。組織を先に作成または読み込んでください "
            f"(Organization does not exist: {ref}{f' ({name})' if also else ''}; "
            "create or load it first)",
        )
        return None
    # As CKAN: rights in the organisation matter when a dataset enters it (an editor-collaborator
    # keeps the organisation it has).
    entering = current is None or current.owner_org != org.id
    if entering and not authz.has_role(context, org.id, "editor"):
        validation.add(
            errors,
            "owner_org",
            "この組織にデータセットを登録する権限がありません "
            "(You cannot add a dataset to this organization)",
        )
    return org.id


def _groups(
    context: Context, refs: list[str] | None, errors: validation.Errors
) -> list[Group] | None:
    if refs is None:
        return None
    groups = []
    for ref in refs:
        try:
            groups.append(by_id_or_name(context.session, Group, ref, deleted=False))
        except NotFound:
            validation.add(errors, "groups", f"グループが見つかりません: {ref} (Group not found)")
    return groups


def apply_package(context: Context, dataset: Dataset, package: PackageInput) -> None:
    for key, value in package.values.items():
        setattr(dataset, key, value)
    context.session.add(dataset)
    # The name is written first, before any query below can autoflush it: another request may
    # have taken it since clean_package checked, and that is a 409, not a 500.
    flush_or_conflict(
        context.session,
        Dataset,
        field="name",
        value=dataset.name,
        own_id=dataset.id,
        message=NAME_IN_USE,
    )
    if package.tags is not None:
        dataset.tags = tags.tags_for(context.session, package.tags)
    if package.groups is not None:
        dataset.groups = package.groups
    if package.extras is not None:
        current = {e.key: e for e in dataset.extras}
        dataset.extras = [current.get(k) or DatasetExtra(key=k) for k in package.extras]
        for extra in dataset.extras:
            extra.value = package.extras[extra.key]


def touch(context: Context, dataset: Dataset, activity_type: str) -> dict[str, Any]:
    """Record a change to a dataset: new revision, timestamps, activity; returns its dict."""
    dataset.revision = bump_revision(context.session)
    dataset.metadata_modified = utcnow()
    context.session.flush()
    context.session.expire(dataset, ["tags", "groups", "extras", "resources"])
    if dataset.state != "deleted":
        dataset_saving(context, dataset)
    result = package_dict(context.session, dataset, context.settings.site_url)
    record_activity(
        context,
        dataset.id,
        activity_type,
        {"package": result},
        owner_org=dataset.owner_org,
        private=dataset.private or dataset.state != "active",
    )
    return result
