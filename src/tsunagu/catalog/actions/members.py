"""member_* and group_member_* actions: users in groups and organisations, datasets in groups.

CKAN keeps all of these in one ``member`` table; Tsunagu keeps organisation roles in
``membership``, group roles in ``group_membership``, a dataset's groups in ``dataset_group`` and a
dataset's organisation in ``dataset.owner_org``. The actions answer in CKAN's shapes over them.

Who may do what, as in CKAN:

* add or remove a user, or change their role: an admin of the group or organisation (or a
  sysadmin); an admin may not lower their own role;
* add a dataset to a group or take it out: any member of the group (CKAN's ``manage_group``), or
  whoever may edit the dataset (Tsunagu's editors already choose a dataset's groups through
  ``package_update``); the dataset must be one the caller may read;
* a dataset's organisation is ``owner_org``: it is changed with ``package_update`` or
  ``package_owner_org_update``, never with member_create.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from tsunagu.accounts.models import User
from tsunagu.catalog import authz
from tsunagu.catalog.access import readable_dataset
from tsunagu.catalog.activity import record_activity
from tsunagu.catalog.datasets import touch
from tsunagu.catalog.lookup import require_id
from tsunagu.catalog.models import (
    Dataset,
    Group,
    GroupMembership,
    Membership,
    Organization,
    dataset_group,
)
from tsunagu.catalog.revision import lock_for_update
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError, require
from tsunagu.registry import action
from tsunagu.storage.upsert import upsert

OBJECT_TYPES = ("user", "package")
# The capacity a dataset holds in a group or organisation, as CKAN's member table shows it.
PACKAGE_IN_GROUP = "public"
PACKAGE_IN_ORGANIZATION = "organization"

Container = Group | Organization


# -- finding things ------------------------------------------------------------------------------


def container(context: Context, ref: str) -> Container:
    """A group or organisation by id or name (CKAN keeps both in one table; here a name may be
    used once in each, so a name held by both must be given as an id)."""
    for model in (Group, Organization):
        found = context.session.scalar(select(model).where(model.id == ref))
        if found is not None and found.state != "deleted":
            return found
    named = [
        found
        for model in (Group, Organization)
        if (found := context.session.scalar(select(model).where(model.name == ref))) is not None
        and found.state != "deleted"
    ]
    if not named:
        raise NotFound(f"グループが見つかりません: {ref} (Group was not found.)")
    if len(named) > 1:
        raise ValidationError(
            {"id": [f"{ref} はグループと組織の両方の名前です。id で指定してください"]}
        )
    return named[0]


def user_by_ref(context: Context, ref: str) -> User | None:
    user = context.session.scalar(select(User).where(or_(User.id == ref, User.name == ref)))
    return user if user is not None and user.state != "deleted" else None


def _user(context: Context, ref: str) -> User:
    user = user_by_ref(context, ref)
    if user is None:
        raise NotFound(f"ユーザーが見つかりません: {ref} (User was not found.)")
    return user


def _dataset(context: Context, ref: str) -> Dataset:
    dataset = context.session.scalar(
        select(Dataset).where(or_(Dataset.id == ref, Dataset.name == ref))
    )
    if dataset is None or dataset.state == "deleted":
        raise NotFound(f"データセットが見つかりません: {ref} (Package was not found.)")
    return readable_dataset(context, dataset)


def _object_type(data: dict[str, Any]) -> str:
    object_type = require_id(data, "object_type")
    if object_type not in OBJECT_TYPES:
        raise ValidationError(
            {"object_type": ["user か package を指定してください (Must be user or package)"]}
        )
    return object_type


def _require_fields(data: dict[str, Any], fields: tuple[str, ...]) -> None:
    missing = {f: ["必須項目です (Missing value)"] for f in fields if not data.get(f)}
    require(missing)


# -- roles ---------------------------------------------------------------------------------------


def capacity_in(context: Context, where: Container, user_id: str) -> str | None:
    if isinstance(where, Organization):
        return context.session.scalar(
            select(Membership.capacity).where(
                Membership.user_id == user_id, Membership.organization_id == where.id
            )
        )
    return context.session.scalar(
        select(GroupMembership.capacity).where(
            GroupMembership.user_id == user_id, GroupMembership.group_id == where.id
        )
    )


def has_role_in(context: Context, where: Container, role: str) -> bool:
    if isinstance(where, Organization):
        return authz.has_role(context, where.id, role)
    return authz.has_group_role(context, where.id, role)


def require_admin_of(context: Context, where: Container) -> None:
    if not has_role_in(context, where, "admin"):
        raise NotAuthorized(
            f"{where.name} のメンバーを管理する権限がありません "
            f"(User not authorized to edit group {where.id})"
        )


def check_role(role: Any, field: str) -> str:
    if role not in authz.ROLE_RANK:
        raise ValidationError(
            {field: ["admin, editor, member のいずれかを指定してください (role does not exist.)"]}
        )
    return str(role)


def _activity_type(where: Container) -> str:
    return "changed organization" if isinstance(where, Organization) else "changed group"


def not_yet_accepted(user: User) -> str:
    return (
        f"{user.name} は招待をまだ受け付けていないため、役割を与えられません "
        f"(User {user.name} has not accepted their invitation yet)"
    )


def set_user_role(
    context: Context,
    where: Container,
    user: User,
    role: str,
    *,
    field: str = "username",
    invitation: bool = False,
) -> dict[str, Any]:
    """Make ``user`` a ``role`` of the group or organisation (the caller's rights checked).

    Only active users are given roles. A pending user (invited, no password yet) gets one only
    through an invitation (``invitation``, from user_invite), and may then have that role
    changed; nobody else may hand roles to an account that nobody has claimed yet (whoever
    holds its invitation link would get them). ``field`` names the parameter in the 409."""
    current = capacity_in(context, where, user.id)
    if user.state == "deleted" or (user.state == "pending" and not invitation and current is None):
        refusal = (
            not_yet_accepted(user)
            if user.state == "pending"
            else f"ユーザーが見つかりません: {user.name} (User not found)"
        )
        raise ValidationError({field: [refusal]})
    me = context.user
    if me is not None and me.id == user.id and current == "admin" and role != "admin":
        raise NotAuthorized(
            "管理者は自分の管理者権限を外せません "
            "(Administrators cannot revoke their own admin status)"
        )
    # One INSERT … ON CONFLICT: the same member added twice at once is one row, not a clash.
    if isinstance(where, Organization):
        upsert(
            context.session,
            Membership,
            {"user_id": user.id, "organization_id": where.id, "capacity": role},
            keys=["user_id", "organization_id"],
            update=["capacity"],
        )
    else:
        upsert(
            context.session,
            GroupMembership,
            {"user_id": user.id, "group_id": where.id, "capacity": role},
            keys=["user_id", "group_id"],
            update=["capacity"],
        )
    authz.forget_capacities(context)
    # Who belongs where is shown to its members only (as organization_show does).
    record_activity(
        context,
        where.id,
        _activity_type(where),
        {"member": user.name, "capacity": role},
        owner_org=where.id if isinstance(where, Organization) else None,
        private=True,
    )
    return member_dict(where, "user", user.id, role)


def remove_user(context: Context, where: Container, user: User) -> None:
    if isinstance(where, Organization):
        row: Membership | GroupMembership | None = context.session.scalar(
            select(Membership).where(
                Membership.user_id == user.id, Membership.organization_id == where.id
            )
        )
    else:
        row = context.session.scalar(
            select(GroupMembership).where(
                GroupMembership.user_id == user.id, GroupMembership.group_id == where.id
            )
        )
    if row is None:
        return  # as in CKAN: removing someone who is not a member changes nothing
    context.session.delete(row)
    context.session.flush()
    authz.forget_capacities(context)
    record_activity(
        context,
        where.id,
        _activity_type(where),
        {"member": user.name, "capacity": None},
        owner_org=where.id if isinstance(where, Organization) else None,
        private=True,
    )


def member_dict(where: Container, table_name: str, table_id: str, capacity: str) -> dict[str, Any]:
    return {
        "group_id": where.id,
        "table_name": table_name,
        "table_id": table_id,
        "capacity": capacity,
        "state": "active",
    }


# -- datasets in groups --------------------------------------------------------------------------


def _require_group_curation(context: Context, group: Container, dataset: Dataset) -> Group:
    if isinstance(group, Organization):
        raise ValidationError(
            {
                "object_type": [
                    "データセットの組織は package_owner_org_update で変更してください "
                    "(A dataset's organization is changed with package_owner_org_update)"
                ]
            }
        )
    if not (
        authz.has_group_role(context, group.id, "member")
        or authz.has_dataset_role(context, dataset.owner_org, dataset.id, "editor")
    ):
        raise NotAuthorized(
            f"{group.name} にデータセットを追加・削除する権限がありません "
            f"(User not authorized to edit group {group.id})"
        )
    return group


def _in_group(context: Context, group: Group, dataset: Dataset) -> bool:
    return (
        context.session.scalar(
            select(dataset_group.c.dataset_id).where(
                dataset_group.c.dataset_id == dataset.id, dataset_group.c.group_id == group.id
            )
        )
        is not None
    )


# -- actions -------------------------------------------------------------------------------------


@action("member_create", write=True)
def member_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Make a user (``object_type`` user, ``capacity`` admin/editor/member) a member of a group or
    organisation, or put a dataset (``object_type`` package, ``capacity`` public) into a group.

    :param id: group or organisation id or name
    :param object: user or dataset id or name
    :param object_type: ``user`` or ``package``
    :param capacity: the role, or ``public`` for a dataset
    :returns: the membership: group_id, table_name, table_id, capacity, state
    """
    _require_fields(data, ("id", "object", "object_type", "capacity"))
    where = container(context, require_id(data))
    object_type = _object_type(data)
    ref = require_id(data, "object")
    if object_type == "user":
        user = _user(context, ref)
        require_admin_of(context, where)
        capacity = check_role(data.get("capacity"), "capacity")
        return set_user_role(context, where, user, capacity, field="object")
    dataset = _dataset(context, ref)
    group = _require_group_curation(context, where, dataset)
    if data.get("capacity") != PACKAGE_IN_GROUP:
        raise ValidationError(
            {"capacity": [f"データセットの capacity は {PACKAGE_IN_GROUP} です (Must be public)"]}
        )
    # Calls adding one dataset to one group at once take turns on the dataset's row, so each
    # sees whether the others already added it (both inserting was a unique-key 500).
    lock_for_update(context.session, dataset)
    if not _in_group(context, group, dataset):
        dataset.groups.append(group)
        touch(context, dataset, "changed package")
    return member_dict(group, "package", dataset.id, PACKAGE_IN_GROUP)


@action("member_delete", write=True)
def member_delete(context: Context, data: dict[str, Any]) -> None:
    """Take a user out of a group or organisation, or a dataset out of a group (same rights as
    member_create).

    :param id: group or organisation id or name
    :param object: user or dataset id or name
    :param object_type: ``user`` or ``package``
    """
    _require_fields(data, ("id", "object", "object_type"))
    where = container(context, require_id(data))
    object_type = _object_type(data)
    ref = require_id(data, "object")
    if object_type == "user":
        user = _user(context, ref)
        require_admin_of(context, where)
        remove_user(context, where, user)
        return
    dataset = _dataset(context, ref)
    group = _require_group_curation(context, where, dataset)
    lock_for_update(context.session, dataset)  # as member_create: one remover at a time
    if _in_group(context, group, dataset):
        dataset.groups = [g for g in dataset.groups if g.id != group.id]
        touch(context, dataset, "changed package")


@action("member_list")
def member_list(context: Context, data: dict[str, Any]) -> list[list[str]]:
    """The members of a group or organisation as ``[id, type, capacity]``: the datasets the caller
    may read, and users (shown to members and sysadmins only).

    :param id: group or organisation id or name
    :param object_type: only ``user`` or only ``package`` (optional)
    :param capacity: only this capacity (optional)
    """
    where = container(context, require_id(data))
    object_type = data.get("object_type") or None
    if object_type is not None:
        object_type = _object_type(data)
    capacity = data.get("capacity") or None
    out: list[list[str]] = []
    if object_type in (None, "user"):
        # Who belongs to a group or organisation is shown to its members only.
        if has_role_in(context, where, "member"):
            out.extend(_users(context, where))
        elif object_type == "user":
            raise NotAuthorized(
                "メンバーの一覧はメンバーだけが見られます (Not authorized to list the members)"
            )
    if object_type in (None, "package"):
        out.extend(_packages(context, where))
    return [m for m in out if capacity is None or m[2] == capacity]


def _users(context: Context, where: Container) -> list[list[str]]:
    if isinstance(where, Organization):
        rows = context.session.execute(
            select(User.id, Membership.capacity)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id == where.id, User.state != "deleted")
            .order_by(User.name)
        )
    else:
        rows = context.session.execute(
            select(User.id, GroupMembership.capacity)
            .join(GroupMembership, GroupMembership.user_id == User.id)
            .where(GroupMembership.group_id == where.id, User.state != "deleted")
            .order_by(User.name)
        )
    return [[user_id, "user", cap] for user_id, cap in rows]


def _packages(context: Context, where: Container) -> list[list[str]]:
    """The datasets of the group or organisation that the caller may read."""
    stmt = select(Dataset).where(Dataset.state != "deleted").order_by(Dataset.name)
    if isinstance(where, Organization):
        stmt = stmt.where(Dataset.owner_org == where.id)
        capacity = PACKAGE_IN_ORGANIZATION
    else:
        stmt = stmt.join(dataset_group, dataset_group.c.dataset_id == Dataset.id).where(
            dataset_group.c.group_id == where.id
        )
        capacity = PACKAGE_IN_GROUP
    return [
        [d.id, "package", capacity]
        for d in context.session.scalars(stmt)
        if authz.can_read_dataset(context, d.owner_org, d.private, d.state, d.creator_user_id, d.id)
    ]


def _username(data: dict[str, Any]) -> str:
    username = data.get("username")
    if username is None:
        username = data.get("user_id")
    if not username or not isinstance(username, str):
        raise ValidationError({"username": ["必須項目です (Missing value)"]})
    return username


def _group(context: Context, ref: str) -> Group:
    group = context.session.scalar(select(Group).where(or_(Group.id == ref, Group.name == ref)))
    if group is None or group.state == "deleted":
        raise NotFound(f"グループが見つかりません: {ref} (Group not found)")
    return group


@action("group_member_create", write=True)
def group_member_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Make a user a member of a group, or change their role (group admins and sysadmins).

    :param id: group id or name
    :param username: user name or id
    :param role: ``admin``, ``editor`` or ``member``
    :returns: the membership
    """
    group = _group(context, require_id(data))
    require_admin_of(context, group)
    username = _username(data)
    errors: dict[str, list[str]] = {}
    if data.get("role") not in authz.ROLE_RANK:
        errors["role"] = [
            "admin, editor, member のいずれかを指定してください (role does not exist.)"
        ]
    user = user_by_ref(context, username)
    if user is None:
        errors["username"] = [f"ユーザーが見つかりません: {username} (Not found: User)"]
    require(errors)
    assert user is not None
    return set_user_role(context, group, user, str(data["role"]))


@action("group_member_delete", write=True)
def group_member_delete(context: Context, data: dict[str, Any]) -> None:
    """Remove a user from a group (group admins and sysadmins).

    :param id: group id or name
    :param username: user name or id
    """
    group = _group(context, require_id(data))
    require_admin_of(context, group)
    remove_user(context, group, _user(context, _username(data)))
