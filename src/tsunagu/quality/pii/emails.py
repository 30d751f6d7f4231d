"""E-mail addresses in cell text and what kind of mailbox their domain is.

"personal" domains are those people get for themselves: free mail, mobile carriers and
consumer ISPs. "public" domains belong to public bodies and schools (lg.jp, go.jp, ed.jp,
ac.jp). Everything else is "other": usually an organisation's own domain.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

DomainKind = Literal["personal", "public", "other"]

_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")

# Matched against the domain and each of its parent domains (x.ocn.ne.jp → ocn.ne.jp).
PERSONAL_DOMAINS = frozenset(
    {
        # free mail
        "gmail.com", "googlemail.com", "yahoo.co.jp", "ymail.ne.jp", "yahoo.com", "ybb.ne.jp",
        "icloud.com", "me.com", "mac.com", "outlook.com", "outlook.jp", "hotmail.com",
        "hotmail.co.jp", "live.jp", "live.com", "msn.com", "aol.com", "aol.jp", "excite.co.jp",
        "infoseek.jp", "goo.jp", "mail.goo.ne.jp", "proton.me", "protonmail.com", "zoho.com",
        # mobile carriers (携帯メール)
        "docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp",
        "disney.ne.jp", "ymobile.ne.jp", "y-mobile.ne.jp", "emobile.ne.jp", "willcom.com",
        "pdx.ne.jp", "rakumail.jp", "uqmobile.jp", "vodafone.ne.jp",
        # consumer ISPs
        "nifty.com", "nifty.ne.jp", "biglobe.ne.jp", "ocn.ne.jp", "so-net.ne.jp",
        "plala.or.jp", "dion.ne.jp", "odn.ne.jp", "home.ne.jp", "zaq.ne.jp", "eonet.ne.jp",
        "commufa.jp", "bb.excite.co.jp", "tiki.ne.jp", "hi-ho.ne.jp", "asahi-net.or.jp",
        "kcn.ne.jp", "tnc.ne.jp", "ctt.ne.jp", "mopera.net", "spmode.ne.jp",
    }
)  # fmt: skip
PUBLIC_SUFFIXES = (".lg.jp", ".go.jp", ".ed.jp", ".ac.jp")


class Email(NamedTuple):
    address: str
    domain: str
    kind: DomainKind


def domain_kind(domain: str) -> DomainKind:
    domain = domain.lower().rstrip(".")
    if ("." + domain).endswith(PUBLIC_SUFFIXES):
        return "public"
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        if ".".join(labels[i:]) in PERSONAL_DOMAINS:
            return "personal"
    return "other"


def find_emails(folded: str) -> list[Email]:
    return [
        Email(m.group(), m.group(1).lower(), domain_kind(m.group(1)))
        for m in _EMAIL_RE.finditer(folded)
    ]


def mask_email(address: str) -> str:
    """ya***@gmail.com: two characters of the mailbox, the domain in full."""
    local, _, domain = address.partition("@")
    keep = 2 if len(local) > 3 else 1
    return f"{local[:keep]}***@{domain}"
