"""The ``users`` list of an organisation or group dict: who holds which role there.

CKAN's group_create/update save this list as the members (ckanapi load relies on it, and dumps
it with ``-U``). Tsunagu follows, with two differences that keep data safe:

* the list is applied only when the key is sent: an update that leaves it out keeps the
  members (in CKAN an update without ``users`` removes them all);
* a listed user who does not exist is a 409 naming them, not silently skipped: a migration
  loads users first (``ckanapi load users``), and a missing one means a member would be lost.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tsunagu.accounts.models import User
from tsunagu.catalog import authz, validation
from tsunagu.catalog.actions import members
from tsunagu.catalog.models import GroupMembership, Membership, Organization
from tsunagu.context import Context

Roster = list[tuple[User, str]]


def read_roster(context: Context, data: dict[str, Any], errors: validation.Errors) -> Roster | None:
    """The users and roles a dict lists, checked; None when it has no ``users``."""
    raw = data.get("users")
    if raw is None:
        return None
    if not isinstance(raw, list):
        validation.add(errors, "users", "ユーザーのリストで指定してください (Must be a list)")
        return []
    roster: Roster = []
    for item in raw:
        ref = (item.get("id") or item.get("name")) if isinstance(item, dict) else item
        capacity = (item.get("capacity") if isinstance(item, dict) else None) or "member"
        if not isinstance(ref, str) or not ref:
            validation.add(
                errors, "users", "名前か ID で指定してください (Must be given by name or id)"
            )
            continue
        if capacity not in authz.ROLE_RANK:
            validation.add(
                errors,
                "users",
                f"{ref}: admin, editor, member のいずれかを指定してください (role does not exist.)",
            )
            continue
        user = members.user_by_ref(context, ref)
        if user is None and isinstance(item, dict) and item.get("name") and item.get("id"):
            user = members.user_by_ref(context, str(item["name"]))
        if user is None:
            validation.add(errors, "users", f"ユーザーが見つかりません: {ref} (User not found)")
            continue
        if all(user.id != listed.id for listed, _ in roster):
            roster.append((user, str(capacity)))
    return roster


def apply_roster(context: Context, where: members.Container, roster: Roster | None) -> None:
    """Make the members exactly those listed (nothing changes when no list was sent)."""
    if roster is None:
        return
    wanted = {user.id: (user, capacity) for user, capacity in roster}
    for user, capacity in roster:
        if members.capacity_in(context, where, user.id) != capacity:
            # An invited account copied from another site holds its role as the invitation gave
            # it there; no link to it exists here until user_invite sends one, so a sysadmin
            # loading the site may give it (elsewhere a pending account gets roles only by
            # invitation, which whoever holds the link would take).
            invited = user.state == "pending" and context.is_sysadmin
            members.set_user_role(context, where, user, capacity, field="users", invitation=invited)
    for user in _current_members(context, where):
        if user.id not in wanted:
            members.remove_user(context, where, user)


def _current_members(context: Context, where: members.Container) -> list[User]:
    if isinstance(where, Organization):
        stmt = select(User).join(Membership, Membership.user_id == User.id)
        stmt = stmt.where(Membership.organization_id == where.id)
    else:
        stmt = select(User).join(GroupMembership, GroupMembership.user_id == User.id)
        stmt = stmt.where(GroupMembership.group_id == where.id)
    return list(context.session.scalars(stmt))
