"""Who is calling: an API token in the Authorization header (as CKAN clients send it)."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request

from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import user_for_token
from tsunagu.errors import NotAuthorized


def token_from(request: Request) -> str:
    return request.headers.get("authorization") or request.headers.get("x-ckan-api-key") or ""


def resolve_user(session: Session, token: str) -> User | None:
    if not token:
        return None
    user = user_for_token(session, token)
    if user is None:
        raise NotAuthorized("API トークンが無効です (Invalid API token)")
    return user
