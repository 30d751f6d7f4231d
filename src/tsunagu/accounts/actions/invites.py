"""user_invite: bring a new member into an organisation by e-mail.

As in CKAN, this makes a *pending* user with the membership and mails them a link; the invited
person picks their user name and password on the link's page (``accounts/invitations.py``), and
only then can they sign in. Until then the account cannot sign in, hold working tokens, or be
found by user_autocomplete.

If the mail cannot be sent, the action fails and the caller's transaction is rolled back (every
caller — API, pages, CLI — rolls back on an error), so neither the pending user, nor the
membership, nor a link without a mail remains. CKAN deletes the pending user instead; rolling
back leaves no deleted account behind."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from tsunagu.accounts.actions.users import check_new_email, user_dict
from tsunagu.accounts.links import INVITE, issue_link
from tsunagu.accounts.mails import invite_mail
from tsunagu.accounts.models import User
from tsunagu.catalog import authz, validation
from tsunagu.catalog.actions.members import set_user_role
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Organization
from tsunagu.context import Context
from tsunagu.errors import require
from tsunagu.mail.sender import MailFailed, MailNotConfigured, mail_configured, send_mail
from tsunagu.registry import action


def _name_from_email(context: Context, email: str) -> str:
    """A free user name from the address's local part plus a random number (as CKAN does); the
    invited person may choose another one when accepting."""
    base = re.sub(r"[^a-z0-9_-]+", "-", email.partition("@")[0].lower()).strip("-")[:80] or "user"
    for _ in range(100):
        name = f"{base}-{secrets.randbelow(10000)}"
        if context.session.scalar(select(User.id).where(User.name == name)) is None:
            return name
    return f"{base}-{secrets.token_hex(8)}"


@action("user_invite", write=True)
def user_invite(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Invite a new user into an organisation by e-mail (admins of that organisation and
    sysadmins): a pending account with the membership, and a mail with a link where the person
    chooses a user name and password. Inviting an address that has a pending account again sends
    it a new link. If the mail cannot be sent, nothing is created.

    :param email: the address to invite; no active account may have it (required)
    :param group_id: the organisation's id or name (required)
    :param role: admin, editor or member (required)
    :returns: the new (pending) user dict
    """
    authz.require_login(context)
    org = by_id_or_name(context.session, Organization, require_id(data, "group_id"), deleted=False)
    # CKAN's rule: whoever may add members to the organisation may invite.
    authz.require_role(context, org.id, "admin")
    errors: validation.Errors = {}
    email = check_new_email(context, data, errors)
    if not email and "email" not in errors:
        validation.add(errors, "email", "必須項目です (Missing value)")
    role = str(data.get("role") or "")
    if role not in authz.ROLE_RANK:
        validation.add(
            errors, "role", "admin, editor, member のいずれかを指定してください (Invalid role)"
        )
    require(errors)
    settings = context.settings
    if not mail_configured(settings):
        raise MailNotConfigured()  # before anything is written
    # Inviting an address that already has a pending account sends a fresh link to it (the
    # older link stops working) instead of making a second account.
    user = context.session.scalar(
        select(User)
        .where(func.lower(User.email) == email.lower(), User.state == "pending")
        .order_by(User.created)
        .limit(1)
    )
    if user is None:
        user = User(name=_name_from_email(context, email), email=email, state="pending")
        context.session.add(user)
        context.session.flush()
    # The one way a pending account is given a role (organization_member_create refuses it).
    set_user_role(context, org, user, role, invitation=True)
    secret = issue_link(context.session, user, INVITE, timedelta(days=settings.invite_token_days))
    inviter = (context.user.fullname or context.user.name) if context.user else "システム管理者"
    mail = invite_mail(settings, secret, org.title or org.name, role, inviter)
    try:
        send_mail(settings, email, mail.subject, mail.body)
    except MailFailed as error:
        cause = type(error.__cause__ or error).__name__
        raise MailFailed(
            "招待メールを送信できなかったため、招待は取り消されました（ユーザーは作成されて"
            "いません）。しばらくしてからもう一度お試しください "
            f"(Error sending the invite email, the user was not created: {cause})"
        ) from error
    return user_dict(context, user)
