"""Mail that goes out only once the change it announces is committed.

A change that is rolled back announces nothing; a mail that cannot be sent (no relay configured,
or the relay fails) is logged and does not undo the change, which stands on its own. The same
pattern as accounts/notices.py, for any capability's notices (data requests use it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from tsunagu.config import Settings
from tsunagu.mail.sender import mail_configured, send_mail

log = logging.getLogger(__name__)

_PENDING = "tsunagu.mail_after_commit"


@dataclass(frozen=True)
class _Pending:
    settings: Settings
    to: str
    subject: str
    body: str


def _send_pending(session: Session) -> None:
    for mail in session.info.pop(_PENDING, []):
        try:
            send_mail(mail.settings, mail.to, mail.subject, mail.body)
        except Exception:  # the change stands: see the module's docstring
            log.warning("notice to %s could not be sent", mail.to, exc_info=True)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def send_after_commit(
    session: Session, settings: Settings, to: str, subject: str, body: str
) -> None:
    """Queue one message, sent when ``session`` commits (dropped if it rolls back)."""
    if not to or not mail_configured(settings):
        return
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        if not event.contains(session, "after_commit", _send_pending):
            event.listen(session, "after_commit", _send_pending)
            event.listen(session, "after_rollback", _drop_pending)
    pending.append(_Pending(settings, to, subject, body))
