"""Password reset by e-mail.

Asking for a reset answers the same way whether or not the account exists (CKAN does the same):
the page never says which names or addresses are registered. Requests are counted per name or
address typed and per client address (``count_reset_request``), so the form cannot be used to
send a known address mail after mail. The link in the mail works once,
for ``settings.reset_token_hours``, and stops working when a newer one is sent or the password
changes by any other way."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tsunagu.accounts import throttle
from tsunagu.accounts.links import RESET, InvalidLink, find_link, issue_link, use_link
from tsunagu.accounts.mails import reset_mail
from tsunagu.accounts.models import User
from tsunagu.accounts.notices import notify_credential_change
from tsunagu.accounts.passwords import MISMATCH, password_problem, set_password
from tsunagu.catalog import validation
from tsunagu.context import Context, Services
from tsunagu.errors import require
from tsunagu.mail.sender import MailNotConfigured, check_relay, mail_configured, send_mail
from tsunagu.storage.database import transaction
from tsunagu.storage.types import utcnow


def _accounts(context: Context, ref: str) -> list[User]:
    """Active accounts with an address that ``ref`` names: a user name, or an e-mail address
    (then every account with it, as in CKAN: user names cannot contain "@")."""
    stmt = select(User).where(User.state == "active", User.email != "")
    if "@" in ref:
        stmt = stmt.where(func.lower(User.email) == ref.lower())
    else:
        stmt = stmt.where(User.name == ref)
    return list(context.session.scalars(stmt.order_by(User.name)))


def count_reset_request(services: Services, ref: str, address: str) -> int:
    """Count one reset request for ``ref`` (a name or address, known or not) from the client
    ``address``, in its own transaction so that the count stays even if the mail then fails.
    Returns the seconds to wait when the request must be refused (0: go ahead). Each allows
    ``reset_max_requests`` / ``reset_address_max_requests`` in the sign-in window, then blocks
    for the sign-in block time."""
    settings = services.settings
    limits = throttle.Limits.from_settings(settings)
    keys = [throttle.reset_key(ref), throttle.reset_address_key(address)]
    now = utcnow()
    with transaction(services.sessions) as session:
        wait = throttle.seconds_blocked(session, keys, now)
        if wait:
            return wait
        throttle.record_failure(session, keys[0], settings.reset_max_requests, limits, now)
        throttle.record_failure(session, keys[1], settings.reset_address_max_requests, limits, now)
    return 0


def request_reset(context: Context, ref: str) -> None:
    """Mail a reset link to the accounts ``ref`` names. Raises MailNotConfigured or MailFailed
    (then the caller rolls back, so no link exists that was not mailed)."""
    settings = context.settings
    if not mail_configured(settings):
        raise MailNotConfigured()
    users = _accounts(context, ref.strip()) if ref.strip() else []
    if not users:
        check_relay(settings)
        return
    for user in users:
        secret = issue_link(
            context.session, user, RESET, timedelta(hours=settings.reset_token_hours)
        )
        mail = reset_mail(settings, user, secret)
        send_mail(settings, user.email, mail.subject, mail.body)


def reset_account(context: Context, secret: str) -> User:
    """The account a live reset link is for; InvalidLink otherwise."""
    token = find_link(context.session, secret, RESET)
    user = context.session.get(User, token.user_id) if token is not None else None
    if user is None or user.state != "active":
        raise InvalidLink()
    return user


def perform_reset(context: Context, secret: str, password: str, password2: str) -> User:
    user = reset_account(context, secret)
    errors: validation.Errors = {}
    if problem := password_problem(password):
        validation.add(errors, "password", problem)
    elif password != password2:
        validation.add(errors, "password2", MISMATCH)
    require(errors)
    token = find_link(context.session, secret, RESET)
    if token is None or not use_link(context.session, token):
        raise InvalidLink()  # another request used it a moment ago
    set_password(context.session, user, password)
    notify_credential_change(
        context.session, context.settings, user, password=True, old_email=user.email, by="reset"
    )
    return user
