"""Organisation hierarchy: an organisation's parent (a prefecture above its departments), named
by ``parent`` (Tsunagu) or by ``groups`` (CKAN with ckanext-hierarchy lists the parent there with
capacity ``parent``).

A migration loads organisations in the order the old site lists them, so a child may come before
its parent. A sysadmin may therefore name a parent that does not exist yet: it is kept as
pending (``parent_pending`` in the organisation's dict) and linked the moment an organisation
with that id or name is created. Anyone else naming an unknown parent gets the 409 as before,
and a loop is refused whenever it would close.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from tsunagu.catalog import validation
from tsunagu.catalog.models import Organization
from tsunagu.catalog.revision import bump_revision
from tsunagu.context import Context
from tsunagu.errors import ValidationError

NOT_FOUND = "親組織が見つかりません (Parent organization not found)"
LOOP = "親組織が循環しています (Parent would create a loop)"


def parent_reference(data: dict[str, Any], errors: validation.Errors) -> str | None:
    """The parent an organisation dict names: ``parent``, else the first of ``groups``."""
    parent = data.get("parent")
    if parent not in (None, ""):
        if not isinstance(parent, str):
            validation.add(errors, "parent", "名前か ID で指定してください (Must be a name or id)")
            return None
        return parent.strip() or None
    refs = validation.ref_names(data, "groups", errors) or []
    return refs[0] if refs else None


def resolve(
    context: Context, ref: str | None, errors: validation.Errors, pending: str | None = None
) -> tuple[str | None, str | None]:
    """(parent_id, pending reference) for a named parent. An unknown parent is pending for a
    sysadmin and a field error for anyone else, except the one already ``pending`` (an
    organisation admin editing their organisation keeps what a sysadmin set)."""
    if ref is None:
        return None, None
    found = context.session.scalar(
        select(Organization).where(or_(Organization.id == ref, Organization.name == ref))
    )
    if found is not None and found.state != "deleted":
        return found.id, None
    if found is None and (context.is_sysadmin or ref == pending):
        return None, ref
    validation.add(errors, "parent", NOT_FOUND)
    return None, None


def check_no_loop(context: Context, org_id: str, parent_id: str | None) -> None:
    """An organisation may not sit below itself, directly or through its parents."""
    seen = {org_id}
    while parent_id is not None:
        if parent_id in seen:
            raise ValidationError({"parent": [LOOP]})
        seen.add(parent_id)
        parent = context.session.get(Organization, parent_id)
        parent_id = parent.parent_id if parent else None


def adopt_waiting_children(context: Context, org: Organization) -> list[Organization]:
    """Link the organisations that named ``org`` (by id or name) as their pending parent."""
    waiting = list(
        context.session.scalars(
            select(Organization).where(Organization.parent_ref.in_([org.id, org.name]))
        )
    )
    if not waiting:
        return []
    revision = bump_revision(context.session)
    for child in waiting:
        # The new parent is new: it can only close a loop through its own parent chain.
        check_no_loop(context, child.id, org.id)
        child.parent_id = org.id
        child.parent_ref = None
        child.revision = revision
    return waiting
