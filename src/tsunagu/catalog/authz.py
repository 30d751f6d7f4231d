"""Who may do what. Every action calls one of these before touching data."""

from __future__ import annotations

from sqlalchemy import select

from tsunagu.catalog.models import GroupMembership, Membership, PackageCollaborator
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized

# Higher number = more rights; an admin can do all an editor can, and so on.
ROLE_RANK = {"member": 1, "editor": 2, "admin": 3}


def capacity(context: Context, organization_id: str | None) -> str | None:
    """The caller's role in an organisation, or None."""
    if organization_id is None or context.user is None:
        return None
    if organization_id not in context.capacities:
        context.capacities[organization_id] = context.session.scalar(
            select(Membership.capacity).where(
                Membership.user_id == context.user.id,
                Membership.organization_id == organization_id,
            )
        )
    return context.capacities[organization_id]


def has_role(context: Context, organization_id: str | None, role: str) -> bool:
    if context.is_sysadmin:
        return True
    held = capacity(context, organization_id)
    return held is not None and ROLE_RANK[held] >= ROLE_RANK[role]


def require_role(context: Context, organization_id: str | None, role: str) -> None:
    if not has_role(context, organization_id, role):
        raise NotAuthorized()


def require_sysadmin(context: Context) -> None:
    if not context.is_sysadmin:
        raise NotAuthorized("システム管理者のみ実行できます (Only sysadmins can do this)")


def require_login(context: Context) -> None:
    if context.user is None and not context.ignore_auth:
        raise NotAuthorized("ログインが必要です (You must be logged in)")


def member_organization_ids(context: Context, role: str = "member") -> set[str]:
    """Organisations where the caller holds at least ``role`` (used to show private datasets)."""
    if context.user is None:
        return set()
    rows = context.session.execute(
        select(Membership.organization_id, Membership.capacity).where(
            Membership.user_id == context.user.id
        )
    )
    return {org for org, cap in rows if ROLE_RANK[cap] >= ROLE_RANK[role]}


# Roles a dataset collaborator may be given (CKAN's default; admin collaborators, who could
# manage other collaborators and override the personal-data guard, are not enabled).
COLLABORATOR_CAPACITIES = ("editor", "member")


def group_capacity(context: Context, group_id: str) -> str | None:
    """The caller's role in a group (category), or None."""
    if context.user is None:
        return None
    key = f"group:{group_id}"
    if key not in context.capacities:
        context.capacities[key] = context.session.scalar(
            select(GroupMembership.capacity).where(
                GroupMembership.user_id == context.user.id, GroupMembership.group_id == group_id
            )
        )
    return context.capacities[key]


def has_group_role(context: Context, group_id: str, role: str) -> bool:
    if context.is_sysadmin:
        return True
    held = group_capacity(context, group_id)
    return held is not None and ROLE_RANK[held] >= ROLE_RANK[role]


_COLLABORATIONS_LOADED = "dataset:*"


def _load_collaborations(context: Context) -> None:
    # A user collaborates on few datasets: one query answers every check of the request (a list
    # of thousands of datasets then costs no query per dataset).
    if _COLLABORATIONS_LOADED in context.capacities or context.user is None:
        return
    rows = context.session.execute(
        select(PackageCollaborator.dataset_id, PackageCollaborator.capacity).where(
            PackageCollaborator.user_id == context.user.id
        )
    )
    for dataset, cap in rows:
        context.capacities[f"dataset:{dataset}"] = cap
    context.capacities[_COLLABORATIONS_LOADED] = "loaded"


def collaborator_capacity(context: Context, dataset_id: str | None) -> str | None:
    """The caller's role as a collaborator on one dataset, or None."""
    if dataset_id is None or context.user is None:
        return None
    _load_collaborations(context)
    return context.capacities.get(f"dataset:{dataset_id}")


def forget_capacities(context: Context) -> None:
    """Drop the request's cached roles after changing someone's memberships."""
    context.capacities.clear()


def has_dataset_role(
    context: Context, owner_org: str | None, dataset_id: str | None, role: str
) -> bool:
    """At least ``role`` on one dataset: through its organisation, or as its collaborator."""
    if has_role(context, owner_org, role):
        return True
    held = collaborator_capacity(context, dataset_id)
    return held is not None and ROLE_RANK[held] >= ROLE_RANK[role]


def collaborations(context: Context, role: str = "member") -> set[str]:
    """Ids of the datasets where the caller is a collaborator holding at least ``role``."""
    if context.user is None:
        return set()
    _load_collaborations(context)
    return {
        key.removeprefix("dataset:")
        for key, cap in context.capacities.items()
        if key.startswith("dataset:")
        and key != _COLLABORATIONS_LOADED
        and cap is not None
        and ROLE_RANK[cap] >= ROLE_RANK[role]
    }


def can_read_dataset(
    context: Context,
    owner_org: str | None,
    private: bool,
    state: str,
    creator_user_id: str | None = None,
    dataset_id: str | None = None,
) -> bool:
    """Whether the caller may read a dataset. Pass ``dataset_id`` so that the dataset's
    collaborators are counted (a member-collaborator reads it while private, an
    editor-collaborator also as a draft, like the same roles in its organisation)."""
    if context.is_sysadmin:
        return True
    if state == "deleted":
        return False
    if state == "draft":
        if context.user is not None and context.user.id == creator_user_id:
            return True
        return has_dataset_role(context, owner_org, dataset_id, "editor")
    if private:
        return has_dataset_role(context, owner_org, dataset_id, "member")
    return True
