"""The thread each process runs for 災害モード: once a second (or at once when told of a change)
it reads the switch, lets the load switch the mode on or keep it on (load.py), and renders the
pages again when their key moved (cache.py). Requests only ever read what it keeps."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import OperationalError

from tsunagu.context import Services
from tsunagu.disaster.load import next_until, should_extend
from tsunagu.disaster.runtime import disaster_of
from tsunagu.disaster.state import extend_automatic, read_state
from tsunagu.storage.database import transaction
from tsunagu.storage.types import utcnow

log = logging.getLogger(__name__)

ROUND_SECONDS = 1.0


class DisasterWorker:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.runtime = disaster_of(services)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="disaster-mode", daemon=True)
        self._was_on: bool | None = None

    def start(self) -> None:
        try:
            self.runtime.mode.refresh()
        except Exception:
            log.exception("could not read the disaster mode")
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self.runtime.changed.set()
        self._thread.join(timeout=timeout)

    def check_load(self) -> None:
        settings = self.services.settings
        mode = self.runtime.mode
        state, now = mode.state, utcnow()
        rate = self.runtime.load.rate(settings.disaster_auto_window_seconds)
        if (
            not should_extend(rate, state, now, settings)
            or next_until(state, now, settings) is None
        ):
            return
        with transaction(self.services.sessions) as session:
            # Decide again on the rows as they are now: a sysadmin may have switched the mode
            # off (or load off) since this process last read them, and that switch wins.
            state = read_state(session)
            until = next_until(state, now, settings)
            if until is None or not should_extend(rate, state, now, settings):
                return
            extend_automatic(session, until)
        if not state.automatic(now):
            log.warning(
                "災害モード switched on by load: %.1f requests/s over %d s (threshold %g)",
                rate,
                settings.disaster_auto_window_seconds,
                settings.disaster_auto_rps,
            )
        mode.refresh()

    def round(self) -> None:
        self.runtime.mode.refresh()
        self.check_load()
        on = self.runtime.mode.on()
        if self._was_on is not None and on != self._was_on:
            log.warning("災害モード is now %s", "on" if on else "off")
        self._was_on = on
        if self.runtime.pages.stale():
            self.runtime.pages.rebuild()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.runtime.changed.clear()
            try:
                self.round()
            except OperationalError as error:  # SQLite busy with a long write: next round
                log.warning("disaster mode worker: %s", error.orig)
            except Exception:
                log.exception("disaster mode worker")
            self.runtime.changed.wait(ROUND_SECONDS)
