"""The e-mail digest: send_email_notifications (CKAN's action, run by a timer through
``tsunagu mail digest``).

Each user who opted in (``activity_streams_email_notifications``) and has an address gets one
mail listing the changes to what they follow since their last digest, or since they last read
their dashboard if that is later (as CKAN), leaving out their own changes and anything they may
not read. A user who never had a digest gets the last two days (CKAN's
``ckan.email_notifications_since`` default).

The work is done in three steps so that the database is not held while mail is on the wire
(on SQLite a write would lock out every other writer meanwhile): every digest is put together
first, reading only; then the mails are sent; then the users whose mail went out (or who had
nothing new) get the time recorded, in the caller's transaction. A failed mail is logged and
counted, the others still go, and that user's time is left as it was, so the next run tries
their changes again. Run one digest at a time (one timer): two at once would both send.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from tsunagu.accounts.models import User
from tsunagu.catalog import authz
from tsunagu.catalog.models import Activity
from tsunagu.context import Context
from tsunagu.follows.dashboard import new_entries
from tsunagu.follows.digest_text import Mail, compose
from tsunagu.mail.sender import MailNotConfigured, mail_configured, send_mail
from tsunagu.registry import action
from tsunagu.storage.types import utcnow

log = logging.getLogger(__name__)

FIRST_DIGEST_SINCE = timedelta(days=2)
# At most this many changes are listed in one mail; the rest are counted and linked.
MAX_LISTED = 50


@dataclass(frozen=True)
class Digest:
    user_id: str
    user_name: str
    address: str
    mail: Mail | None  # None: nothing new


def _since(user: User, now: datetime) -> datetime:
    since = user.digest_sent or now - FIRST_DIGEST_SINCE
    if user.dashboard_viewed is not None and user.dashboard_viewed > since:
        since = user.dashboard_viewed
    return since


def digest_for(context: Context, user: User, now: datetime) -> Digest:
    """What ``user`` should be told, judged with ``user``'s own rights."""
    reader = Context(services=context.services, session=context.session, user=user)
    stmt = new_entries(reader, user, _since(user, now)).where(Activity.timestamp <= now)
    entries = list(
        context.session.scalars(stmt.order_by(Activity.timestamp, Activity.id).limit(MAX_LISTED))
    )
    mail = None
    if entries:
        total = len(entries)
        if total == MAX_LISTED:
            counted = select(func.count()).select_from(stmt.subquery())
            total = int(context.session.scalar(counted) or 0)
        settings = context.settings
        mail = compose(
            context.session, settings.site_url, settings.site_title, user, entries, total
        )
    return Digest(user.id, user.name, user.email, mail)


def _subscribers(context: Context) -> list[User]:
    return list(
        context.session.scalars(
            select(User)
            .where(User.email_notifications.is_(True), User.state == "active", User.email != "")
            .order_by(User.name)
        )
    )


@action("send_email_notifications", write=True)
def send_email_notifications(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Send the pending digests. Returns how many mails went out and whose failed."""
    authz.require_sysadmin(context)
    settings = context.settings
    if not mail_configured(settings):
        raise MailNotConfigured()
    now = utcnow()
    digests = [digest_for(context, user, now) for user in _subscribers(context)]
    done: list[str] = []
    failed: list[str] = []
    for digest in digests:
        if digest.mail is None:
            done.append(digest.user_id)
            continue
        try:
            send_mail(settings, digest.address, digest.mail.subject, digest.mail.body)
        except Exception:  # one bad address or relay hiccup must not stop the others
            log.exception("digest mail to user %s failed", digest.user_name)
            failed.append(digest.user_name)
            continue
        done.append(digest.user_id)
    for user in context.session.scalars(select(User).where(User.id.in_(done))):
        user.digest_sent = now
    sent = sum(1 for d in digests if d.mail is not None) - len(failed)
    return {"sent": sent, "failed": failed}
