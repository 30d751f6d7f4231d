"""user_* actions that read or create accounts: show, list, autocomplete, create (changes are in
user_changes.py). E-mail addresses are shown only to the user themself and to sysadmins, and only
sysadmins may search by them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tsunagu.accounts.models import User
from tsunagu.accounts.passwords import (
    hash_password,
    imported_hash_problem,
    password_problem,
)
from tsunagu.catalog import authz, ids, validation
from tsunagu.catalog.actions.site import SITE_USER
from tsunagu.catalog.dictize import iso
from tsunagu.catalog.lookup import require_id
from tsunagu.catalog.models import Dataset
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, require
from tsunagu.registry import action
from tsunagu.storage.types import new_id
from tsunagu.storage.upsert import flush_or_conflict, take_turns

STATES = ("active", "pending", "deleted")
NAME_TAKEN = "このユーザー名は既に使われています (That login name is not available)"


def find_user(context: Context, ref: str) -> User:
    user = context.session.scalar(select(User).where(or_(User.id == ref, User.name == ref)))
    if user is None or (user.state == "deleted" and not context.is_sysadmin):
        raise NotFound(f"ユーザーが見つかりません (User not found): {ref}")
    return user


def is_self(context: Context, user: User) -> bool:
    return context.user is not None and context.user.id == user.id


def user_dict(context: Context, user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": user.id,
        "name": user.name,
        "fullname": user.fullname,
        "display_name": user.fullname or user.name,
        "about": user.about,
        "image_url": user.image_url,
        "created": iso(user.created),
        "sysadmin": user.sysadmin,
        "state": user.state,
        "number_created_packages": context.session.query(Dataset)
        .filter(
            Dataset.creator_user_id == user.id,
            Dataset.state == "active",
            Dataset.private.is_(False),
        )
        .count(),
    }
    if context.is_sysadmin or is_self(context, user):
        data["email"] = user.email
        data["activity_streams_email_notifications"] = user.email_notifications
    return data


def email_turn(email: str) -> str:
    """The name under which requests about one address take turns (storage.upsert.take_turns)."""
    return f"user-email:{email.lower()}"


def email_taken(context: Context, email: str, user_id: str | None = None) -> bool:
    """Another active account already has this address (CKAN's email_is_unique)."""
    if not email:
        return False
    stmt = select(User.id).where(func.lower(User.email) == email.lower(), User.state == "active")
    if user_id is not None:
        stmt = stmt.where(User.id != user_id)
    return context.session.scalar(stmt.limit(1)) is not None


def check_new_email(
    context: Context, data: dict[str, Any], errors: validation.Errors, user_id: str | None = None
) -> str:
    email = validation.check_email(validation.as_text(data, "email", errors), "email", errors)
    if email:
        # No unique index can say "one active account per address" (pending and deleted ones
        # may share it), so requests giving one address at once check and write it in turn.
        take_turns(context.session, email_turn(email))
    if email_taken(context, email, user_id):
        validation.add(
            errors,
            "email",
            "このメールアドレスは既に登録されています "
            "(The email address belongs to a registered user)",
        )
    return email


@action("user_show")
def user_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    ref = data.get("id") or data.get("user_id")
    if not ref and context.user is not None:
        ref = context.user.id
    if not ref:
        require_id(data)
    user = find_user(context, str(ref))
    result = user_dict(context, user)
    # As CKAN: a sysadmin may read the stored hash, which is how ``ckanapi dump users`` moves
    # accounts with their passwords to another site.
    if context.is_sysadmin and validation.as_bool(data, "include_password_hash", {}):
        result["password_hash"] = user.password_hash
    return result


_ORDERS: dict[str, Any] = {
    "name": User.name,
    "fullname": User.fullname,
    "created": User.created,
    "about": User.about,
    "sysadmin": User.sysadmin,
    "id": User.id,
}


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(context: Context, q: str) -> ColumnElement[bool]:
    pattern = _like(q)
    fields = [User.name.ilike(pattern, escape="\\"), User.fullname.ilike(pattern, escape="\\")]
    if context.is_sysadmin:  # only they may find people by their address
        fields.append(User.email.ilike(pattern, escape="\\"))
    return or_(*fields)


@action("user_list")
def user_list(context: Context, data: dict[str, Any]) -> list[Any]:
    """The site's user accounts, deleted ones left out (signed-in callers only).

    :param q: only users whose name or full name (or, for sysadmins, e-mail) contains this
    :param email: only users with this address (sysadmins only)
    :param order_by: display_name (default), name, fullname, created, about, sysadmin, id or
        number_created_packages
    :param all_fields: user dicts (default) or only names
    :param include_site_user: also list the site's own account (default false)
    :param limit, offset: paging
    :returns: a list of user dicts (or names)
    """
    authz.require_login(context)
    errors: validation.Errors = {}
    q = validation.as_text(data, "q", errors)
    email = validation.as_text(data, "email", errors)
    all_fields = validation.as_bool(data, "all_fields", errors, default=True)
    include_site_user = validation.as_bool(data, "include_site_user", errors)
    limit, offset = validation.paging(data, errors)
    require(errors)
    if email and not context.is_sysadmin:
        raise NotAuthorized(
            "メールアドレスで絞り込めるのはシステム管理者だけです "
            "(Only sysadmins can filter users by email)"
        )
    stmt = select(User).where(User.state != "deleted")
    if not include_site_user:
        stmt = stmt.where(User.name != SITE_USER)
    if q:
        stmt = stmt.where(_matches(context, q))
    if email:
        stmt = stmt.where(func.lower(User.email) == email.lower())
    order_by = str(data.get("order_by") or "display_name")
    display = case((User.fullname == "", User.name), else_=User.fullname)
    stmt = stmt.order_by(_ORDERS.get(order_by, display), User.name)
    users = list(context.session.scalars(stmt))
    if order_by == "number_created_packages":
        dicts = [user_dict(context, u) for u in users]
        dicts.sort(key=lambda d: (d["number_created_packages"], d["name"]))
        dicts = dicts[offset : offset + limit if limit is not None else None]
        return dicts if all_fields else [d["name"] for d in dicts]
    users = users[offset : offset + limit if limit is not None else None]
    return [user_dict(context, u) for u in users] if all_fields else [u.name for u in users]


@action("user_autocomplete")
def user_autocomplete(context: Context, data: dict[str, Any]) -> list[dict[str, str]]:
    """Active users whose name or full name contains ``q`` (or e-mail, for sysadmins), for
    choosing a person (signed-in callers only). Pending users are left out: they cannot be given
    work until they accept their invitation.

    :param q: the text to look for (required)
    :param limit: at most this many (default 20, at most 100)
    :param ignore_self: leave out the caller (default false)
    :returns: a list of ``{"id", "name", "fullname"}``, by name
    """
    authz.require_login(context)
    errors: validation.Errors = {}
    q = validation.as_text(data, "q", errors)
    if not q and "q" not in errors:
        validation.add(errors, "q", "必須項目です (Missing value)")
    limit, _offset = validation.paging(data, errors, default_limit=20, max_limit=100)
    ignore_self = validation.as_bool(data, "ignore_self", errors)
    require(errors)
    stmt = select(User).where(User.state == "active", _matches(context, q))
    if ignore_self and context.user is not None:
        stmt = stmt.where(User.id != context.user.id)
    users = context.session.scalars(stmt.order_by(User.name).limit(limit))
    return [{"id": u.id, "name": u.name, "fullname": u.fullname} for u in users]


@action("user_create", write=True)
def user_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    authz.require_sysadmin(context)
    user_id = ids.chosen_id(context, data, "user") or new_id()
    errors: validation.Errors = {}
    name = validation.check_name(data.get("name"), "name", errors)
    email = check_new_email(context, data, errors)
    password = data.get("password")
    stored_hash = data.get("password_hash")
    # Another Tsunagu's invited account (no password yet) comes across as one: its invitation
    # link does not, so user_invite sends a new one.
    invited = data.get("state") == "pending" and password in (None, "") and not stored_hash
    if password in (None, "") and stored_hash not in (None, ""):
        # A hash read from another site (CKAN's user_show include_password_hash): kept, so the
        # user signs in with the password they had there.
        if problem := imported_hash_problem(stored_hash):
            validation.add(errors, "password_hash", problem)
    elif not invited and (problem := password_problem(password)):
        validation.add(errors, "password", problem)
    if name and context.session.scalar(select(User.id).where(User.name == name)):
        validation.add(errors, "name", NAME_TAKEN)
    require(errors)
    user = User(
        id=user_id,
        name=name,
        email=email,
        fullname=validation.as_text(data, "fullname", errors),
        about=validation.as_text(data, "about", errors),
        image_url=validation.as_text(data, "image_url", errors),
        password_hash=hash_password(str(password))
        if password not in (None, "")
        else str(stored_hash or ""),
        sysadmin=validation.as_bool(data, "sysadmin", errors) and context.is_sysadmin,
        state="pending" if invited else "active",
    )
    context.session.add(user)
    # Another request may have taken the name since the check above: a 409, not a 500.
    flush_or_conflict(
        context.session, User, field="name", value=name, own_id=None, message=NAME_TAKEN
    )
    return user_dict(context, user)


@action("member_roles_list")
def member_roles_list(context: Context, data: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"value": "admin", "text": "管理者 (Admin)"},
        {"value": "editor", "text": "編集者 (Editor)"},
        {"value": "member", "text": "メンバー (Member)"},
    ]
