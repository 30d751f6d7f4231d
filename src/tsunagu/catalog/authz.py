"""Who may do what. Every action calls one of these before touching data."""

from __future__ import annotations

from sqlalchemy import select

from tsunagu.catalog.models import Membership
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


def can_read_dataset(
    context: Context,
    owner_org: str | None,
    private: bool,
    state: str,
    creator_user_id: str | None = None,
) -> bool:
    if context.is_sysadmin:
        return True
    if state == "deleted":
        return False
    if state == "draft":
        if context.user is not None and context.user.id == creator_user_id:
            return True
        return has_role(context, owner_org, "editor")
    if private:
        return has_role(context, owner_org, "member")
    return True
