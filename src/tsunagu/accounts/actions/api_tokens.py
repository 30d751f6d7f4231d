"""api_token_* actions: personal API tokens, shown once and stored as a digest."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tsunagu.accounts.actions.users import find_user
from tsunagu.accounts.models import ApiToken, User
from tsunagu.accounts.tokens import issue_token
from tsunagu.catalog import authz, validation
from tsunagu.catalog.dictize import iso
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, require
from tsunagu.registry import action


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
    if user.state != "active":  # a token would not work anyway; say so instead
        validation.add(
            errors,
            "user",
            "有効なユーザーではありません（招待の受諾前か削除済み） (User is not active)",
        )
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
