"""The kinds of bulk change the staff table offers, each with its parameters checked up front and
the rights it needs on every dataset (see workspace/bulk.py for how a selection is run).

Who may change what, dataset by dataset:

* public / private / delete: an admin of the dataset's organisation (or a sysadmin), as CKAN
  2.11's bulk_update_* have it; the change is made by calling those very actions for the one
  dataset, so they behave exactly as the organisation bulk page does.
* owner_org (move): an editor of the dataset's organisation and of the target organisation, as
  package_update requires to move a dataset (an editor-collaborator cannot move it).
* groups, tags, validation (re-run checks): whoever may edit the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tsunagu.catalog import authz, validation
from tsunagu.catalog.access import editable_dataset
from tsunagu.catalog.datasets import touch
from tsunagu.catalog.lookup import by_id_or_name
from tsunagu.catalog.models import Dataset, Group, Organization, Resource
from tsunagu.catalog.tags import FREE, tags_for
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError, require
from tsunagu.quality.check_queue import queue_check
from tsunagu.quality.service import is_table_file
from tsunagu.registry import call_action
from tsunagu.workspace.bulk import Operation

OPERATIONS = ("public", "private", "delete", "owner_org", "groups", "tags", "validation")

NOT_ADMIN = (
    "一括で公開・非公開・削除できるのは組織の管理者だけです "
    "(Only organization admins can change datasets in bulk)"
)
NOT_EDITOR = "このデータセットを編集する権限がありません (User not authorized to edit this package)"
NOT_MOVER = (
    "データセットを移動するには元の組織の編集者である必要があります "
    "(Moving a dataset needs editor rights in its organization)"
)


def _may_edit(context: Context, dataset: Dataset) -> bool:
    try:
        editable_dataset(context, dataset.id, lock=False)
    except (NotFound, NotAuthorized):
        return False
    return True


@dataclass
class Visibility:
    """Make datasets public or private (bulk_update_public / bulk_update_private)."""

    name: str  # "public" or "private"

    @property
    def private(self) -> bool:
        return self.name == "private"

    def refusal(self, context: Context, dataset: Dataset) -> str | None:
        return None if authz.has_role(context, dataset.owner_org, "admin") else NOT_ADMIN

    def change(self, context: Context, dataset: Dataset) -> dict[str, Any] | None:
        if dataset.private == self.private:
            return None
        return {"private": {"from": dataset.private, "to": self.private}}

    def apply(self, context: Context, dataset: Dataset) -> None:
        call_action(
            f"bulk_update_{self.name}",
            context,
            {"org_id": dataset.owner_org, "datasets": [dataset.id]},
        )


@dataclass
class Delete:
    """Delete datasets (bulk_update_delete)."""

    name: str = "delete"

    def refusal(self, context: Context, dataset: Dataset) -> str | None:
        return None if authz.has_role(context, dataset.owner_org, "admin") else NOT_ADMIN

    def change(self, context: Context, dataset: Dataset) -> dict[str, Any] | None:
        return {"state": {"from": dataset.state, "to": "deleted"}}

    def apply(self, context: Context, dataset: Dataset) -> None:
        call_action(
            "bulk_update_delete", context, {"org_id": dataset.owner_org, "datasets": [dataset.id]}
        )


@dataclass
class Move:
    """Move datasets to another organisation."""

    target: Organization
    name: str = "owner_org"

    def refusal(self, context: Context, dataset: Dataset) -> str | None:
        return None if authz.has_role(context, dataset.owner_org, "editor") else NOT_MOVER

    def change(self, context: Context, dataset: Dataset) -> dict[str, Any] | None:
        if dataset.owner_org == self.target.id:
            return None
        current = (
            context.session.get(Organization, dataset.owner_org) if dataset.owner_org else None
        )
        return {
            "organization": {
                "from": current.name if current is not None else None,
                "to": self.target.name,
            }
        }

    def apply(self, context: Context, dataset: Dataset) -> None:
        dataset.owner_org = self.target.id
        touch(context, dataset, "changed package")


@dataclass
class Groups:
    """Add datasets to categories (groups) and take them out of others."""

    add: list[Group]
    remove: list[Group]
    name: str = "groups"

    def refusal(self, context: Context, dataset: Dataset) -> str | None:
        return None if _may_edit(context, dataset) else NOT_EDITOR

    def change(self, context: Context, dataset: Dataset) -> dict[str, Any] | None:
        current = {g.id for g in dataset.groups}
        added = [g.name for g in self.add if g.id not in current]
        removed = [g.name for g in self.remove if g.id in current]
        if not added and not removed:
            return None
        return {"groups": {"added": added, "removed": removed}}

    def apply(self, context: Context, dataset: Dataset) -> None:
        dropped = {g.id for g in self.remove}
        kept = [g for g in dataset.groups if g.id not in dropped]
        kept_ids = {g.id for g in kept}
        dataset.groups = kept + [g for g in self.add if g.id not in kept_ids]
        touch(context, dataset, "changed package")


@dataclass
class Tags:
    """Add free tags to datasets and take others off (vocabulary tags are left alone)."""

    add: list[str]
    remove: list[str]
    name: str = "tags"

    def refusal(self, context: Context, dataset: Dataset) -> str | None:
        return None if _may_edit(context, dataset) else NOT_EDITOR

    def change(self, context: Context, dataset: Dataset) -> dict[str, Any] | None:
        current = {t.name for t in dataset.tags if t.vocabulary_id == FREE}
        added = [t for t in self.add if t not in current]
        removed = [t for t in self.remove if t in current]
        if not added and not removed:
            return None
        return {"tags": {"added": added, "removed": removed}}

    def apply(self, context: Context, dataset: Dataset) -> None:
        dropped = set(self.remove)
        kept = [t for t in dataset.tags if not (t.vocabulary_id == FREE and t.name in dropped)]
        have = {t.name for t in kept if t.vocabulary_id == FREE}
        new = [(name, FREE) for name in self.add if name not in have]
        dataset.tags = kept + tags_for(context.session, new)
        touch(context, dataset, "changed package")


@dataclass
class Validation:
    """Check the datasets' tables again (queued for the quality worker)."""

    name: str = "validation"

    def refusal(self, context: Context, dataset: Dataset) -> str | None:
        return None if _may_edit(context, dataset) else NOT_EDITOR

    @staticmethod
    def _tables(dataset: Dataset) -> list[Resource]:
        return [r for r in dataset.resources if r.state == "active" and is_table_file(r)]

    def change(self, context: Context, dataset: Dataset) -> dict[str, Any] | None:
        tables = self._tables(dataset)
        if not tables:
            return None
        return {"checks": [{"id": r.id, "name": r.name or r.url} for r in tables]}

    def apply(self, context: Context, dataset: Dataset) -> None:
        # The dataset itself does not change now: each finished check bumps its revision.
        for resource in self._tables(dataset):
            queue_check(context.session, resource.id, fetch_link=True)


# -- parameters ----------------------------------------------------------------------------------


def _names(data: dict[str, Any], field: str, errors: validation.Errors) -> list[str]:
    """A list of names, or one string of comma-separated names (a form field)."""
    raw = data.get(field)
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        raw = raw.replace("、", ",").split(",")
    if not isinstance(raw, list):
        validation.add(errors, field, "名前のリストで指定してください (Must be a list of names)")
        return []
    names: list[str] = []
    for item in raw:
        name = (item.get("name") or item.get("id")) if isinstance(item, dict) else item
        if not isinstance(name, str) or "\x00" in name:
            validation.add(errors, field, "名前は文字列で指定してください (Must be strings)")
            continue
        if (name := name.strip()) and name not in names:
            names.append(name)
    return names


def _groups(
    context: Context, refs: list[str], field: str, errors: validation.Errors
) -> list[Group]:
    groups = []
    for ref in refs:
        try:
            groups.append(by_id_or_name(context.session, Group, ref, deleted=False))
        except NotFound:
            validation.add(errors, field, f"カテゴリが見つかりません: {ref} (Group not found)")
    return groups


def _tag_names(data: dict[str, Any], field: str, errors: validation.Errors) -> list[str]:
    names = _names(data, field, errors)
    for name in names:
        if not validation.TAG_RE.match(name):
            validation.add(
                errors,
                field,
                f"タグ「{name}」に使えない文字が含まれています (Tag contains invalid characters)",
            )
    return names


def _nothing_asked(errors: validation.Errors) -> None:
    validation.add(
        errors,
        "add",
        "追加するものか外すものを指定してください (Give something to add or remove)",
    )


def _target(context: Context, data: dict[str, Any]) -> Organization:
    ref = data.get("owner_org")
    if not isinstance(ref, str) or not ref.strip() or "\x00" in ref:
        raise ValidationError(
            {"owner_org": ["移動先の組織を指定してください (An organization must be provided)"]}
        )
    try:
        org = by_id_or_name(context.session, Organization, ref.strip(), deleted=False)
    except NotFound:
        raise ValidationError(
            {"owner_org": [f"組織が見つかりません: {ref} (Organization does not exist)"]}
        ) from None
    if not authz.has_role(context, org.id, "editor"):
        raise NotAuthorized(
            "この組織にデータセットを移動する権限がありません "
            "(User not authorized to add datasets to this organization)"
        )
    return org


def operation_for(context: Context, name: str, data: dict[str, Any]) -> Operation:
    """The operation called ``name`` with its parameters from ``data``, checked (409 on bad
    parameters; 403 when the caller may not use the target organisation)."""
    errors: validation.Errors = {}
    if name in ("public", "private"):
        return Visibility(name)
    if name == "delete":
        return Delete()
    if name == "owner_org":
        return Move(_target(context, data))
    if name == "groups":
        add = _groups(context, _names(data, "add", errors), "add", errors)
        remove = _groups(context, _names(data, "remove", errors), "remove", errors)
        if not errors and not add and not remove:
            _nothing_asked(errors)
        require(errors)
        return Groups(add, remove)
    if name == "tags":
        add_tags = _tag_names(data, "add", errors)
        remove_tags = _tag_names(data, "remove", errors)
        if not errors and not add_tags and not remove_tags:
            _nothing_asked(errors)
        require(errors)
        return Tags(add_tags, remove_tags)
    if name == "validation":
        return Validation()
    raise ValidationError(
        {
            "operation": [
                f"操作は {', '.join(OPERATIONS)} のいずれかです "
                f"(Must be one of {', '.join(OPERATIONS)})"
            ]
        }
    )
