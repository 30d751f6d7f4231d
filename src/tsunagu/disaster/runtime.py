"""The parts of 災害モード each process keeps: the switch's copy, the load meter and the pages.

One set per database engine (as maps/store.py keeps its layers), so test servers on SQLite and
PostgreSQL in one process keep apart. The pages are told to rebuild when the shelter layer's
ETag or the switch changes: the worker wakes at once instead of on its next round.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from tsunagu.context import Services
from tsunagu.disaster.cache import PageCache
from tsunagu.disaster.load import LoadMeter
from tsunagu.disaster.state import DisasterState, ModeHolder, mode_holder
from tsunagu.maps.registry import SHELTERS
from tsunagu.maps.store import layer_store


@dataclass(eq=False)
class Disaster:
    services: Services
    mode: ModeHolder
    load: LoadMeter
    pages: PageCache
    # Set when the pages may need rendering again; the worker waits on it.
    changed: threading.Event = field(default_factory=threading.Event)

    def _layer_changed(self, name: str) -> None:
        if name == SHELTERS:
            self.changed.set()

    def _mode_changed(self, _state: DisasterState) -> None:
        self.changed.set()


_runtimes: weakref.WeakKeyDictionary[Engine, Disaster] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def disaster_of(services: Services) -> Disaster:
    with _lock:
        found = _runtimes.get(services.engine)
        if found is None:
            mode = mode_holder(services)
            found = Disaster(
                services=services,
                mode=mode,
                load=LoadMeter(),
                pages=PageCache(services, mode),
            )
            layer_store(services).subscribe(found._layer_changed)
            mode.subscribe(found._mode_changed)
            _runtimes[services.engine] = found
        return found
