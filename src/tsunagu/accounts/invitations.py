"""Accepting an invitation: the invited person picks a user name and a password on the page the
mailed link opens, and the pending account becomes active (see actions/invites.py for the
sending side)."""

from __future__ import annotations

from sqlalchemy import select

from tsunagu.accounts.actions.users import NAME_TAKEN
from tsunagu.accounts.links import INVITE, InvalidLink, find_link, revoke_links, use_link
from tsunagu.accounts.models import User
from tsunagu.accounts.passwords import MISMATCH, password_problem, set_password
from tsunagu.catalog import validation
from tsunagu.context import Context
from tsunagu.errors import require


def invited_account(context: Context, secret: str) -> User:
    """The pending account a live invitation link is for; InvalidLink otherwise."""
    token = find_link(context.session, secret, INVITE)
    user = context.session.get(User, token.user_id) if token is not None else None
    if user is None or user.state != "pending":
        raise InvalidLink()
    return user


def accept_invitation(
    context: Context, secret: str, name: str, fullname: str, password: str, password2: str
) -> User:
    user = invited_account(context, secret)
    errors: validation.Errors = {}
    name = validation.check_name(name, "name", errors)
    taken = select(User.id).where(User.name == name, User.id != user.id)
    if name and context.session.scalar(taken) is not None:
        validation.add(errors, "name", NAME_TAKEN)
    fullname = validation.as_text({"fullname": fullname}, "fullname", errors, limit=200)
    if problem := password_problem(password):
        validation.add(errors, "password", problem)
    elif password != password2:
        validation.add(errors, "password2", MISMATCH)
    require(errors)
    token = find_link(context.session, secret, INVITE)
    if token is None or not use_link(context.session, token):
        raise InvalidLink()
    user.name = name
    user.fullname = fullname
    user.state = "active"
    set_password(context.session, user, password)
    revoke_links(context.session, user.id, INVITE)
    context.session.flush()
    return user
