"""Site settings sysadmins change at run time (CKAN's runtime-editable config options), kept in
`system_info` and read on every page, so every process shows a change at once.

Each option is checked before it is stored. The custom CSS is served as a same-origin
stylesheet (/site/custom.css), never inlined, so the CSP's ``style-src 'self'`` holds and no
markup can be smuggled in; text with ``<`` is refused to keep it that way, and the CSP's
``img-src``/``font-src`` keep CSS from loading anything from elsewhere. The logo must be an
address on this site (the CSP allows images only from here).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.catalog.models import SystemInfo
from tsunagu.config import Settings
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import upsert

TITLE = "ckan.site_title"
DESCRIPTION = "ckan.site_description"
ABOUT = "ckan.site_about"
INTRO = "ckan.site_intro_text"
LOGO = "ckan.site_logo"
CSS = "ckan.site_custom_css"
DEFAULT_DESCRIPTION = "都道府県と市町村の共同オープンデータカタログ"
# The longest value each option takes.
LIMITS = {
    TITLE: 200,
    DESCRIPTION: 2000,
    ABOUT: 50_000,
    INTRO: 20_000,
    LOGO: 2000,
    CSS: 100_000,
}
EDITABLE = tuple(LIMITS)


@dataclass(frozen=True)
class SiteOptions:
    title: str
    description: str
    about: str
    intro_text: str
    logo: str
    custom_css: str

    @property
    def css_version(self) -> str:
        """Changes with the CSS, so browsers fetch a new stylesheet at once."""
        return hashlib.sha256(self.custom_css.encode()).hexdigest()[:12]


def defaults(settings: Settings) -> dict[str, str]:
    return {
        TITLE: settings.site_title,
        DESCRIPTION: DEFAULT_DESCRIPTION,
        ABOUT: "",
        INTRO: "",
        LOGO: "",
        CSS: "",
    }


def stored(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(SystemInfo.key, SystemInfo.value).where(SystemInfo.key.in_(EDITABLE))
    )
    return {key: value for key, value in rows}


def values(session: Session, settings: Settings) -> dict[str, str]:
    return {**defaults(settings), **stored(session)}


def site_options(session: Session, settings: Settings) -> SiteOptions:
    return _options(values(session, settings), settings)


def default_site_options(settings: Settings) -> SiteOptions:
    return _options(defaults(settings), settings)


def _options(current: dict[str, str], settings: Settings) -> SiteOptions:
    return SiteOptions(
        title=current[TITLE] or settings.site_title,
        description=current[DESCRIPTION],
        about=current[ABOUT],
        intro_text=current[INTRO],
        logo=current[LOGO],
        custom_css=current[CSS],
    )


def check(key: str, value: Any, settings: Settings) -> tuple[str, str | None]:
    """The value as it will be stored, and the reason it is refused (or None)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", "文字列で指定してください (Must be a string)"
    value = value.replace("\r\n", "\n").strip()
    if "\x00" in value:
        return "", "使えない文字が含まれています (Invalid character)"
    if len(value) > LIMITS[key]:
        return "", f"{LIMITS[key]} 文字以内にしてください (Longer than {LIMITS[key]} characters)"
    if key == TITLE and not value:
        return "", "必須項目です (Missing value)"
    if key == LOGO and value and not _own_address(value, settings.site_url):
        return "", (
            "このサイトのパス（/ で始まる）か、このサイトの URL を指定してください "
            "(The logo must be an address on this site)"
        )
    if key == CSS and "<" in value:
        return "", "CSS に < は使えません (The custom CSS cannot contain <)"
    return value, None


def _own_address(value: str, site_url: str) -> bool:
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return True
    return bool(site_url) and value.startswith(site_url.rstrip("/") + "/")


def save(session: Session, changes: dict[str, str]) -> None:
    now = utcnow()
    # INSERT … ON CONFLICT DO UPDATE: a key set for the first time by several requests at once is
    # one row, the last writer's (a look-up first let them all insert: a unique-key 500).
    for key, value in sorted(changes.items()):
        upsert(
            session,
            SystemInfo,
            {"key": key, "value": value, "updated": now},
            keys=["key"],
            update=["value", "updated"],
        )
