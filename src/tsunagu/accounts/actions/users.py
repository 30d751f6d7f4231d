"""user_* actions: show, list, autocomplete, create, update, patch, delete.

As in CKAN, a user may change their own account and a sysadmin any account; e-mail addresses are
shown only to the user themself and to sysadmins. Changing one's own password or e-mail address
needs the current password (``old_password``), as CKAN's profile form asks for it: an API token
or a borrowed browser session alone must not be enough to take the account over."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tsunagu.accounts.links import revoke_links
from tsunagu.accounts.models import ApiToken, User
from tsunagu.accounts.passwords import (
    hash_password,
    password_problem,
    set_password,
    verify_password,
)
from tsunagu.catalog import authz, validation
from tsunagu.catalog.dictize import iso
from tsunagu.catalog.lookup import require_id
from tsunagu.catalog.models import Dataset, GroupMembership, Membership, PackageCollaborator
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, require
from tsunagu.registry import action, call_action
from tsunagu.storage.upsert import flush_or_conflict

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
    return user_dict(context, find_user(context, str(ref)))


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
    authz.require_login(context)
    errors: validation.Errors = {}
    q = validation.as_text(data, "q", errors)
    email = validation.as_text(data, "email", errors)
    all_fields = validation.as_bool(data, "all_fields", errors, default=True)
    limit, offset = validation.paging(data, errors)
    require(errors)
    if email and not context.is_sysadmin:
        raise NotAuthorized(
            "メールアドレスで絞り込めるのはシステム管理者だけです "
            "(Only sysadmins can filter users by email)"
        )
    stmt = select(User).where(User.state != "deleted")
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
    """Active users whose name or full name contains ``q`` (and e-mail, for sysadmins). Pending
    users are left out: they cannot be given work until they accept their invitation."""
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
    errors: validation.Errors = {}
    name = validation.check_name(data.get("name"), "name", errors)
    email = check_new_email(context, data, errors)
    password = data.get("password")
    if problem := password_problem(password):
        validation.add(errors, "password", problem)
    if name and context.session.scalar(select(User.id).where(User.name == name)):
        validation.add(errors, "name", NAME_TAKEN)
    require(errors)
    user = User(
        name=name,
        email=email,
        fullname=validation.as_text(data, "fullname", errors),
        about=validation.as_text(data, "about", errors),
        password_hash=hash_password(str(password)),
        sysadmin=validation.as_bool(data, "sysadmin", errors) and context.is_sysadmin,
    )
    context.session.add(user)
    # Another request may have taken the name since the check above: a 409, not a 500.
    flush_or_conflict(
        context.session, User, field="name", value=name, own_id=None, message=NAME_TAKEN
    )
    return user_dict(context, user)


def _require_self_or_sysadmin(context: Context, user: User) -> None:
    authz.require_login(context)
    if not (context.is_sysadmin or is_self(context, user)):
        raise NotAuthorized(
            f"他のユーザーは編集できません (User not authorized to edit user {user.name})"
        )


def _check_old_password(data: dict[str, Any], user: User, errors: validation.Errors) -> None:
    old = data.get("old_password")
    if not isinstance(old, str) or not verify_password(user.password_hash, old):
        validation.add(
            errors,
            "old_password",
            "現在のパスワードが正しくありません (Password entered was incorrect)",
        )


@action("user_update", write=True)
def user_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change the fields given; fields left out keep their values (as CKAN's user schema
    ignores missing fields)."""
    user = find_user(context, require_id(data))
    _require_self_or_sysadmin(context, user)
    own = is_self(context, user)
    errors: validation.Errors = {}
    changes: dict[str, Any] = {}
    if "name" in data:
        name = validation.check_name(data.get("name"), "name", errors)
        if name and name != user.name:
            if not context.is_sysadmin:
                validation.add(
                    errors,
                    "name",
                    "ユーザー名を変えられるのはシステム管理者だけです "
                    "(Only sysadmins can change user names)",
                )
            elif context.session.scalar(select(User.id).where(User.name == name)):
                validation.add(errors, "name", NAME_TAKEN)
            changes["name"] = name
    needs_old_password = False
    if "email" in data:
        email = check_new_email(context, data, errors, user.id)
        if email != user.email:
            changes["email"] = email
            needs_old_password = own
    password = data.get("password")
    if password not in (None, ""):
        if problem := password_problem(password):
            validation.add(errors, "password", problem)
        needs_old_password = needs_old_password or own
    for field in ("fullname", "about", "image_url"):
        if field in data:
            changes[field] = validation.as_text(data, field, errors)
    if "activity_streams_email_notifications" in data:
        changes["email_notifications"] = validation.as_bool(
            data, "activity_streams_email_notifications", errors
        )
    if context.is_sysadmin:  # ignored for others, as CKAN's ignore_not_sysadmin does
        if "sysadmin" in data:
            changes["sysadmin"] = validation.as_bool(data, "sysadmin", errors)
        if "state" in data:
            state = str(data.get("state") or "")
            if state not in STATES:
                validation.add(errors, "state", "active, pending, deleted のいずれかです")
            changes["state"] = state
    if needs_old_password:
        _check_old_password(data, user, errors)
    require(errors)
    for field, value in changes.items():
        setattr(user, field, value)
    if changes.get("state") == "deleted":
        _remove_access(context, user)  # the same as user_delete, not a softer back door
    if password not in (None, ""):
        set_password(context.session, user, str(password))
    flush_or_conflict(
        context.session, User, field="name", value=user.name, own_id=user.id, message=NAME_TAKEN
    )
    return user_dict(context, user)


@action("user_patch", write=True)
def user_patch(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """CKAN's patch: the given fields change, the others stay. user_update already leaves out
    fields unchanged, so this checks the caller the same way and hands over."""
    user = find_user(context, require_id(data))
    _require_self_or_sysadmin(context, user)
    return dict(call_action("user_update", context, {**data, "id": user.id}))


@action("user_delete", write=True)
def user_delete(context: Context, data: dict[str, Any]) -> None:
    """Mark the user deleted and take away what lets them act: organisation and group
    memberships, dataset collaborations (as CKAN does), API tokens and e-mailed links. A deleted
    user cannot sign in, and their open browser sessions stop working."""
    authz.require_sysadmin(context)
    user = find_user(context, require_id(data))
    _remove_access(context, user)
    context.session.flush()


def _remove_access(context: Context, user: User) -> None:
    user.state = "deleted"
    for model in (Membership, GroupMembership, PackageCollaborator, ApiToken):
        context.session.execute(
            delete(model)
            .where(model.user_id == user.id)
            .execution_options(synchronize_session=False)
        )
    revoke_links(context.session, user.id)
    context.capacities.clear()


@action("member_roles_list")
def member_roles_list(context: Context, data: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"value": "admin", "text": "管理者 (Admin)"},
        {"value": "editor", "text": "編集者 (Editor)"},
        {"value": "member", "text": "メンバー (Member)"},
    ]
