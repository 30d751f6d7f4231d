"""package_collaborator_* actions: users given rights on one dataset outside its organisation.

As CKAN with ``ckan.auth.allow_dataset_collaborators = true`` (admin collaborators off): an
organisation admin (or a sysadmin) names a collaborator as ``member`` (reads the dataset while it
is private) or ``editor`` (also edits it, sees it as a draft and may delete it, but may not move
it to another organisation). The rights are checked on every read and write through
``authz.has_dataset_role``, so adding or removing a collaborator takes effect on the next request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tsunagu.accounts.models import User
from tsunagu.catalog import authz
from tsunagu.catalog.access import readable_dataset
from tsunagu.catalog.actions.members import not_yet_accepted
from tsunagu.catalog.dictize import iso
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Dataset, PackageCollaborator
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError
from tsunagu.registry import action
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import upsert


def _managed_dataset(context: Context, ref: str) -> Dataset:
    """A dataset whose collaborators the caller may manage (CKAN's can_manage_collaborators:
    an admin of the owning organisation, or a sysadmin)."""
    dataset = by_id_or_name(context.session, Dataset, ref)
    readable_dataset(context, dataset)
    if not authz.has_role(context, dataset.owner_org, "admin"):
        raise NotAuthorized(
            "このデータセットの共同編集者を管理する権限がありません "
            "(User not authorized to manage collaborators of this dataset)"
        )
    return dataset


def _user(context: Context, ref: str) -> User:
    user = context.session.scalar(select(User).where((User.id == ref) | (User.name == ref)))
    if user is None or user.state == "deleted":
        raise NotFound(f"ユーザーが見つかりません: {ref} (User not found)")
    return user


def _capacity(data: dict[str, Any], *, required: bool) -> str | None:
    capacity = data.get("capacity")
    if capacity in (None, "") and not required:
        return None
    if capacity not in authz.COLLABORATOR_CAPACITIES:
        allowed = ", ".join(authz.COLLABORATOR_CAPACITIES)
        raise ValidationError(
            {
                "capacity": [
                    f"{allowed} のいずれかを指定してください (Role must be one of {allowed})"
                ]
            }
        )
    return str(capacity)


def _as_dict(collaborator: PackageCollaborator) -> dict[str, Any]:
    return {
        "package_id": collaborator.dataset_id,
        "user_id": collaborator.user_id,
        "capacity": collaborator.capacity,
        "modified": iso(collaborator.modified),
    }


@action("package_collaborator_create", write=True)
def package_collaborator_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Make a user a collaborator on a dataset, or change their capacity (admins of the
    dataset's organisation, sysadmins).

    :param id: dataset id or name
    :param user_id: user name or id
    :param capacity: ``member`` or ``editor``
    :returns: package_id, user_id, capacity, modified
    """
    ref, user_ref = require_id(data), require_id(data, "user_id")
    capacity = _capacity(data, required=True)
    dataset = _managed_dataset(context, ref)
    user = _user(context, user_ref)
    existing = context.session.get(PackageCollaborator, (dataset.id, user.id))
    if user.state != "active" and existing is None:
        # No work for an account nobody has claimed yet (see members.set_user_role).
        raise ValidationError({"user_id": [not_yet_accepted(user)]})
    # One INSERT … ON CONFLICT: the same collaborator added twice at once is one row.
    upsert(
        context.session,
        PackageCollaborator,
        {
            "dataset_id": dataset.id,
            "user_id": user.id,
            "capacity": str(capacity),
            "modified": utcnow(),
        },
        keys=["dataset_id", "user_id"],
        update=["capacity", "modified"],
    )
    collaborator = context.session.get(
        PackageCollaborator, (dataset.id, user.id), populate_existing=True
    )
    assert collaborator is not None
    authz.forget_capacities(context)
    return _as_dict(collaborator)


@action("package_collaborator_delete", write=True)
def package_collaborator_delete(context: Context, data: dict[str, Any]) -> None:
    """Remove a collaborator from a dataset (admins of its organisation, sysadmins).

    :param id: dataset id or name
    :param user_id: user name or id
    """
    ref, user_ref = require_id(data), require_id(data, "user_id")
    dataset = _managed_dataset(context, ref)
    user = _user(context, user_ref)
    collaborator = context.session.get(PackageCollaborator, (dataset.id, user.id))
    if collaborator is None:
        raise NotFound(
            f"{user_ref} はこのデータセットの共同編集者ではありません "
            f"(User {user_ref} is not a collaborator on this package)"
        )
    context.session.delete(collaborator)
    context.session.flush()
    authz.forget_capacities(context)


@action("package_collaborator_list")
def package_collaborator_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A dataset's collaborators (admins of its organisation, sysadmins).

    :param id: dataset id or name
    :param capacity: only this capacity (optional)
    """
    dataset = _managed_dataset(context, require_id(data))
    capacity = _capacity(data, required=False)
    stmt = select(PackageCollaborator).where(PackageCollaborator.dataset_id == dataset.id)
    if capacity:
        stmt = stmt.where(PackageCollaborator.capacity == capacity)
    rows = context.session.scalars(stmt.order_by(PackageCollaborator.modified))
    return [_as_dict(c) for c in rows]


@action("package_collaborator_list_for_user")
def package_collaborator_list_for_user(
    context: Context, data: dict[str, Any]
) -> list[dict[str, Any]]:
    """The datasets a user collaborates on (the user themself, sysadmins).

    :param id: user name or id
    :param capacity: only this capacity (optional)
    :returns: package_id, capacity, modified for each
    """
    ref = require_id(data)
    # Whose datasets someone works on is theirs to see (and a sysadmin's), as in CKAN.
    me = context.user
    if not context.is_sysadmin and (me is None or ref not in (me.id, me.name)):
        raise NotAuthorized(
            "共同編集者の一覧は本人だけが見られます (Not allowed to retrieve collaborators)"
        )
    user = context.session.scalar(select(User).where((User.id == ref) | (User.name == ref)))
    if user is None:
        raise NotAuthorized(
            "共同編集者の一覧は見られません (Not allowed to retrieve collaborators)"
        )
    capacity = _capacity(data, required=False)
    stmt = (
        select(PackageCollaborator)
        .join(Dataset, Dataset.id == PackageCollaborator.dataset_id)
        # A deleted dataset gives its collaborators no rights; it is listed again if restored.
        .where(PackageCollaborator.user_id == user.id, Dataset.state != "deleted")
    )
    if capacity:
        stmt = stmt.where(PackageCollaborator.capacity == capacity)
    rows = context.session.scalars(stmt.order_by(PackageCollaborator.modified))
    return [
        {"package_id": c.dataset_id, "capacity": c.capacity, "modified": iso(c.modified)}
        for c in rows
    ]
