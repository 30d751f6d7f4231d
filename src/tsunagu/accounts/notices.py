"""Telling people that their password or e-mail address changed (ASVS 2.2.3, 2.5.5).

Whoever made the change — the user, a reset link, a sysadmin — the account's address hears of
it, and when the address itself changes, the old address too: if someone else made the change,
the owner learns of it where the intruder cannot intercept it.

The mails go out only once the change is committed (a change that is rolled back announces
nothing), from the same request, after the database work is done. A notice that cannot be sent
(no relay configured, or the relay fails) is logged and does not undo the change: the change was
legitimate or not regardless of the mail, and refusing it would let a broken relay lock people
out of changing a stolen password.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from tsunagu.accounts.mails import Mail, address_changed_mail, password_changed_mail
from tsunagu.accounts.models import User
from tsunagu.config import Settings
from tsunagu.mail.sender import mail_configured, send_mail
from tsunagu.storage.types import utcnow

log = logging.getLogger(__name__)

_PENDING = "tsunagu.account_notices"


@dataclass(frozen=True)
class _Notice:
    settings: Settings
    to: str
    mail: Mail


def _send_pending(session: Session) -> None:
    for notice in session.info.pop(_PENDING, []):
        try:
            send_mail(notice.settings, notice.to, notice.mail.subject, notice.mail.body)
        except Exception:  # the change stands: see the module's docstring
            log.warning("account notice to %s could not be sent", notice.to, exc_info=True)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _after_commit(session: Session, settings: Settings, to: str, mail: Mail) -> None:
    if not to or not mail_configured(settings):
        return
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        if not event.contains(session, "after_commit", _send_pending):
            event.listen(session, "after_commit", _send_pending)
            event.listen(session, "after_rollback", _drop_pending)
    pending.append(_Notice(settings, to, mail))


def notify_credential_change(
    session: Session,
    settings: Settings,
    user: User,
    *,
    password: bool,
    old_email: str,
    by: str,
) -> None:
    """Queue the notices for a change to ``user`` (already applied): ``password`` if it was set,
    ``old_email`` the address before (equal to ``user.email`` if that did not change). ``by``:
    ``self``, ``reset`` or ``admin``."""
    when = utcnow()
    new_email = user.email
    email_changed = old_email.strip().lower() != new_email.strip().lower()
    if email_changed:
        for to, is_new in ((old_email, False), (new_email, True)):
            mail = address_changed_mail(settings, user, when, by, new=is_new, password=password)
            _after_commit(session, settings, to, mail)
    elif password:
        _after_commit(session, settings, new_email, password_changed_mail(settings, user, when, by))
