"""Whether 災害モード is on: the sysadmin's switch and the automatic one, kept in `system_info`
so that every process sees them.

Two rows: ``tsunagu.disaster_mode`` (JSON: the sysadmin's switch, its message, when and by
whom it was last set, and whether load may switch the mode on) and
``tsunagu.disaster_auto_until`` (until when load keeps the mode on; a process over the load
threshold moves it later, see load.py). The mode is on while the sysadmin's switch is on or
that time is still to come.

Requests never read these rows: each process keeps a copy (`ModeHolder`), read again every
second by its `DisasterWorker` and at once by the process that changed it, after the commit.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tsunagu.catalog.models import SystemInfo
from tsunagu.catalog.site_options import TITLE
from tsunagu.context import Services
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import upsert

log = logging.getLogger(__name__)

MODE_KEY = "tsunagu.disaster_mode"
AUTO_KEY = "tsunagu.disaster_auto_until"
MAX_MESSAGE = 500


@dataclass(frozen=True)
class DisasterState:
    manual: bool = False  # the sysadmin's switch
    message: str = ""
    since: datetime | None = None  # when the sysadmin last set it
    by: str = ""  # who did (a user name; "" for the system)
    automatic_allowed: bool = True  # whether load may switch the mode on
    auto_until: datetime | None = None
    # The site's title (ckan.site_title) as stored, "" for the configured one: the pages
    # show it, and it lives in the same table, so it is read with the switch.
    site_title: str = ""

    def automatic(self, now: datetime) -> bool:
        return self.automatic_allowed and self.auto_until is not None and now < self.auto_until

    def on(self, now: datetime) -> bool:
        return self.manual or self.automatic(now)

    def as_dict(self, now: datetime) -> dict[str, Any]:
        automatic = self.automatic(now)
        return {
            "on": self.manual or automatic,
            "manual": self.manual,
            "automatic": automatic,
            "automatic_allowed": self.automatic_allowed,
            "message": self.message,
            "since": _iso(self.since),
            "updated_by": self.by or None,
            "automatic_until": _iso(self.auto_until) if automatic else None,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def read_state(session: Session) -> DisasterState:
    rows = dict(
        session.execute(
            select(SystemInfo.key, SystemInfo.value).where(
                SystemInfo.key.in_((MODE_KEY, AUTO_KEY, TITLE))
            )
        ).all()
    )
    try:
        mode = json.loads(rows.get(MODE_KEY) or "{}")
    except ValueError:
        log.warning("system_info %s is not JSON; disaster mode read as off", MODE_KEY)
        mode = {}
    if not isinstance(mode, dict):
        mode = {}
    return DisasterState(
        manual=bool(mode.get("on")),
        message=str(mode.get("message") or ""),
        since=_time(mode.get("since")),
        by=str(mode.get("by") or ""),
        automatic_allowed=bool(mode.get("automatic", True)),
        auto_until=_time(rows.get(AUTO_KEY)),
        site_title=str(rows.get(TITLE) or ""),
    )


def _put(session: Session, key: str, value: str) -> None:
    upsert(
        session,
        SystemInfo,
        {"key": key, "value": value, "updated": utcnow()},
        ["key"],
        ["value", "updated"],
    )


def save_switch(session: Session, *, on: bool, message: str, by: str, automatic: bool) -> None:
    """The sysadmin's switch. Switching off also ends the current automatic period (load over
    the threshold switches it on again unless ``automatic`` is false)."""
    value = {
        "on": on,
        "message": message,
        "since": _iso(utcnow()),
        "by": by,
        "automatic": automatic,
    }
    _put(session, MODE_KEY, json.dumps(value, ensure_ascii=False))
    if not on:
        _put(session, AUTO_KEY, "")


def extend_automatic(session: Session, until: datetime) -> None:
    """Keep the mode on until ``until`` at least (a later time another process wrote stays)."""
    stored = _time(session.scalar(select(SystemInfo.value).where(SystemInfo.key == AUTO_KEY)))
    if stored is None or stored < until:
        _put(session, AUTO_KEY, _iso(until) or "")


Listener = Callable[[DisasterState], None]


class ModeHolder:
    """This process's copy of the switch: what requests read."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self.state = DisasterState()
        self.loaded = False
        self._listeners: list[Listener] = []
        # Held from reading the rows to keeping them (and telling the listeners): the worker's
        # read taken just before a switch commits must not land after the switching request's
        # own, newer read.
        self._lock = threading.Lock()

    def on(self) -> bool:
        return self.state.on(utcnow())

    def banner(self) -> DisasterState | None:
        """The state when the mode is on (for the banner every page shows), else None."""
        state = self.state
        return state if state.on(utcnow()) else None

    def refresh(self) -> bool:
        """Read the rows again; True when something changed."""
        with self._lock:
            with self._sessions() as session:
                found = read_state(session)
            changed = found != self.state
            self.state = found
            self.loaded = True
            if changed:
                for listener in list(self._listeners):
                    try:
                        listener(found)
                    except Exception:
                        log.exception("disaster mode listener %s failed", listener)
            return changed

    def subscribe(self, listener: Listener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def refresh_after_commit(self, session: Session) -> None:
        """Read the rows again once ``session`` commits: the process that switched shows it
        on its very next request, without waiting for its worker."""

        def committed(_session: Session) -> None:
            try:
                self.refresh()
            except Exception:  # the worker reads it within a second anyway
                log.exception("could not read the disaster mode after a change")

        event.listen(session, "after_commit", committed, once=True)


_holders: weakref.WeakKeyDictionary[Engine, ModeHolder] = weakref.WeakKeyDictionary()
_holders_lock = threading.Lock()


def mode_holder(services: Services) -> ModeHolder:
    """This process's copy for this database (one per engine, as maps/store.py keeps its
    layers, so test servers on SQLite and PostgreSQL in one process keep apart)."""
    with _holders_lock:
        found = _holders.get(services.engine)
        if found is None:
            found = _holders[services.engine] = ModeHolder(services.sessions)
        return found
