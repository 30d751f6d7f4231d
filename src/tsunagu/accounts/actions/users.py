"""user_* and api_token_* actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from tsunagu.accounts.models import ApiToken, User
from tsunagu.accounts.passwords import MIN_LENGTH, hash_password
from tsunagu.accounts.tokens import issue_token
from tsunagu.catalog import authz, validation
from tsunagu.catalog.dictize import iso
from tsunagu.catalog.lookup import require_id
from tsunagu.catalog.models import Dataset
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, require
from tsunagu.registry import action


def find_user(context: Context, ref: str) -> User:
    user = context.session.scalar(select(User).where(or_(User.id == ref, User.name == ref)))
    if user is None or (user.state == "deleted" and not context.is_sysadmin):
        raise NotFound(f"ユーザーが見つかりません (User not found): {ref}")
    return user


def user_dict(context: Context, user: User) -> dict[str, Any]:
    own = context.is_sysadmin or (context.user is not None and context.user.id == user.id)
    data: dict[str, Any] = {
        "id": user.id,
        "name": user.name,
        "fullname": user.fullname,
        "display_name": user.fullname or user.name,
        "about": user.about,
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
    if own:
        data["email"] = user.email
    return data


@action("user_show")
def user_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    ref = data.get("id") or data.get("user_id")
    if not ref and context.user is not None:
        ref = context.user.id
    if not ref:
        require_id(data)
    return user_dict(context, find_user(context, str(ref)))


@action("user_list")
def user_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    authz.require_login(context)
    users = context.session.scalars(select(User).where(User.state == "active").order_by(User.name))
    return [user_dict(context, u) for u in users]


@action("user_create", write=True)
def user_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    authz.require_sysadmin(context)
    errors: validation.Errors = {}
    name = validation.check_name(data.get("name"), "name", errors)
    email = validation.check_email(validation.as_text(data, "email", errors), "email", errors)
    password = data.get("password")
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        validation.add(
            errors,
            "password",
            f"パスワードは {MIN_LENGTH} 文字以上にしてください "
            f"(Must be at least {MIN_LENGTH} characters)",
        )
    if name and context.session.scalar(select(User.id).where(User.name == name)):
        validation.add(
            errors, "name", "このユーザー名は既に使われています (That login name is not available)"
        )
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
    context.session.flush()
    return user_dict(context, user)


def _token_owner(context: Context, data: dict[str, Any]) -> User:
    authz.require_login(context)
    ref = str(data.get("user") or data.get("user_id") or (context.user.id if context.user else ""))
    user = find_user(context, ref)
    if not context.is_sysadmin and (context.user is None or context.user.id != user.id):
        raise NotAuthorized("他のユーザーのトークンは操作できません (Not your token)")
    return user


@action("api_token_create", write=True)
def api_token_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    user = _token_owner(context, data)
    errors: validation.Errors = {}
    name = validation.as_text(data, "name", errors, limit=200)
    if not name:
        validation.add(errors, "name", "必須項目です (Missing value)")
    require(errors)
    token, secret = issue_token(context.session, user, name)
    return {"token": secret, "id": token.id, "name": token.name}


@action("api_token_list")
def api_token_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    user = _token_owner(context, data)
    return [
        {
            "id": t.id,
            "name": t.name,
            "user_id": t.user_id,
            "created_at": iso(t.created),
            "last_access": iso(t.last_access),
        }
        for t in context.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))
    ]


@action("api_token_revoke", write=True)
def api_token_revoke(context: Context, data: dict[str, Any]) -> None:
    authz.require_login(context)
    token = context.session.get(ApiToken, str(data.get("jti") or data.get("id") or ""))
    if token is None:
        raise NotFound("トークンが見つかりません (Token not found)")
    if not context.is_sysadmin and (context.user is None or context.user.id != token.user_id):
        raise NotAuthorized("他のユーザーのトークンは操作できません (Not your token)")
    context.session.delete(token)


@action("member_roles_list")
def member_roles_list(context: Context, data: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"value": "admin", "text": "管理者 (Admin)"},
        {"value": "editor", "text": "編集者 (Editor)"},
        {"value": "member", "text": "メンバー (Member)"},
    ]
