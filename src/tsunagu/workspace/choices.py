"""What the staff table's forms offer: the caller's organisations (to filter by, and to move
datasets into) and the categories.

Read straight from the two small tables in one query each: the table page shows them on every
view, and the organisation and group list actions also count followers and datasets, which
these menus do not need (a few milliseconds a page at 100,000 datasets).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tsunagu.catalog import authz
from tsunagu.catalog.models import Group, Membership, Organization
from tsunagu.context import Context


@dataclass(frozen=True)
class Choice:
    name: str
    title: str
    # The caller's role there (organisations; "admin" for a sysadmin), "" for a category.
    capacity: str = ""


def organisations(context: Context) -> list[Choice]:
    """The caller's organisations with their role, by title; every organisation for a sysadmin."""
    if context.is_sysadmin:
        rows = context.session.execute(
            select(Organization.name, Organization.title).where(Organization.state == "active")
        )
        found = [Choice(name, title or name, "admin") for name, title in rows]
    elif context.user is None:
        return []
    else:
        rows = context.session.execute(
            select(Organization.name, Organization.title, Membership.capacity)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == context.user.id, Organization.state == "active")
        )
        found = [Choice(name, title or name, capacity) for name, title, capacity in rows]
    return sorted(found, key=lambda c: (c.title, c.name))


def move_targets(choices: list[Choice]) -> list[Choice]:
    """Where the caller may move datasets to: organisations where they are at least an editor."""
    return [c for c in choices if authz.ROLE_RANK.get(c.capacity, 0) >= authz.ROLE_RANK["editor"]]


def categories(context: Context) -> list[Choice]:
    rows = context.session.execute(select(Group.name, Group.title).where(Group.state == "active"))
    return sorted((Choice(name, title or name) for name, title in rows), key=lambda c: c.title)
