"""Keeping spam out of what the public posts: a per-client limit, and no links from anonymous
posters (the portal's forms add a honeypot field, web/views/community_forms.py).

Data requests are public as soon as they are posted, so an anonymous request may not carry a
link at all: a request containing one is refused with a message saying so, rather than shown
with the link made inert, because a link in text is what spam is for and a refused post costs the
spammer a visit while an inert one still advertises the address. Everything posted is shown as
plain text anyway (HTML and script stay inert on every page).

The limit counts posts per client address (anonymous callers) or per user (signed-in callers
who are not staff) in the ``login_throttle`` table (accounts/throttle.py), so every process and
machine shares one count. Staff and sysadmins are not counted: they type in requests taken by
telephone and at the counter.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import timedelta

from tsunagu.accounts import throttle
from tsunagu.api.rate_limits import RateLimited
from tsunagu.catalog import authz
from tsunagu.context import Context
from tsunagu.storage.types import utcnow

WINDOW = timedelta(hours=1)
# A URL scheme (http://, ftp://, mailto:, javascript: …), www., an HTML anchor, a host name
# followed by a path (example.com/…) or a bare host under a common top-level domain, after NFKC
# folds full-width letters (ｈｔｔｐ：／／).
_LINK = re.compile(
    r"(?:\b[a-z][a-z0-9+.\-]*://|\b(?:mailto|javascript|data|vbscript):|\bwww\.|<\s*a\b|"
    r"\bhref\s*=|\b[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}/|"
    r"\b[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:com|net|org|info|biz|xyz|top|ru|cn|jp|io|co|me|"
    r"site|online|shop|click|link)\b)",
    re.IGNORECASE,
)

NO_LINKS = (
    "ログインしていない方の投稿には URL（リンク）を書けません。URL を除いて、サイトの名前など"
    "を文字で書いてください (Links are not allowed in posts from visitors who are not signed "
    "in)"
)


def has_link(text: str) -> bool:
    return bool(_LINK.search(unicodedata.normalize("NFKC", text)))


def is_staff(context: Context) -> bool:
    """Sysadmins, trusted callers and members of any organisation."""
    return context.is_sysadmin or bool(authz.member_organization_ids(context))


def supporter_key(context: Context) -> str | None:
    """Who supports: the signed-in user, else the portal visitor's browser (hashed); None
    for an anonymous API caller, who has no browser to count."""
    if context.user is not None:
        return f"user:{context.user.id}"
    if context.browser_id:
        digest = hashlib.sha256(context.browser_id.encode()).hexdigest()
        return f"browser:{digest}"
    return None


def _client_key(context: Context, kind: str) -> str:
    who = (
        f"user:{context.user.id}"
        if context.user is not None
        else f"addr:{context.client_address or 'unknown'}"
    )
    return f"community-{kind}:{who}"


def count_post(context: Context, kind: str = "post") -> None:
    """Count one post (``post``: a request or use case; ``support``) for the caller, refusing
    it with 429 once the hour's limit is used up."""
    if context.ignore_auth or is_staff(context):
        return
    settings = context.settings
    limit = settings.community_max_supports if kind == "support" else settings.community_max_posts
    if limit <= 0:
        return
    key = _client_key(context, kind)
    now = utcnow()
    wait = throttle.seconds_blocked(context.session, [key], now)
    if wait:
        raise RateLimited(
            "短い時間に多くの投稿がありました。しばらく待ってからもう一度お試しください "
            "(Too many posts from this client; try again later)",
            retry_after=wait,
        )
    limits = throttle.Limits(
        account_failures=limit, address_failures=limit, window=WINDOW, block=WINDOW
    )
    throttle.record_failure(context.session, key, limit, limits, now)
