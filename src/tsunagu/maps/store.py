"""Each process's copy of the built layers, and the ETags it answers conditional requests with.

`LayerStore.etag(name)` is a dictionary lookup: a request carrying the current ETag is answered
304 without a database query. The dictionary is kept current by `refresh()`, which reads the
small columns of `map_layer_build` (layer, etag) — the map worker calls it every second, so a
layer built by any process is served by every process within about a second. A build made by
this process is put in memory at once (`put`). The bytes of a layer are read from the database
the first time a full answer is needed after its ETag changed, and kept with the features parsed
for the points query (`LoadedLayer.features`), so a full answer costs no query either.

Other capabilities (災害モード) read layers here too and may `subscribe` to be told, with the
layer's name, whenever a layer's ETag changes in this process.
"""

from __future__ import annotations

import gzip
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import undefer

from tsunagu.context import Services
from tsunagu.maps import feature_ids
from tsunagu.maps.models import MapLayerBuild

log = logging.getLogger(__name__)

Listener = Callable[[str], None]


# eq=False: identity is equality, so a layer can key the search indexes (search.py).
@dataclass(eq=False)
class LoadedLayer:
    name: str
    etag: str
    points: int
    summary: dict[str, Any]
    geojson_gzip: bytes
    geojson_br: bytes
    csv_gzip: bytes
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def geojson(self) -> bytes:
        """The uncompressed body, for the few clients that take no compression."""
        return gzip.decompress(self.geojson_gzip)

    @cached_property
    def document(self) -> dict[str, Any]:
        """The parsed FeatureCollection (features, fields, sources, municipalities)."""
        with self._lock:
            document = dict(orjson.loads(self.geojson))
            feature_ids.restore(document)
            return document

    @property
    def features(self) -> list[dict[str, Any]]:
        return list(self.document["features"])

    @cached_property
    def csv(self) -> bytes:
        return gzip.decompress(self.csv_gzip)


class LayerStore:
    def __init__(self, services: Services) -> None:
        self._sessions = services.sessions
        self._etags: dict[str, str] = {}
        self._loaded: dict[str, LoadedLayer] = {}
        self._lock = threading.Lock()
        # Held from reading the ETags to keeping them, and by put(): a read taken just before
        # a build commits must not land after the building process has put the new layer.
        self._refreshing = threading.Lock()
        self._listeners: list[Listener] = []
        self.refreshed = False

    # -- what requests read (no database) ------------------------------------------------------

    def etag(self, name: str) -> str | None:
        """The current ETag of a built layer, as this process last saw it."""
        return self._etags.get(name)

    def names(self) -> list[str]:
        return list(self._etags)

    # -- keeping current -----------------------------------------------------------------------

    def refresh(self) -> list[str]:
        """Read every layer's ETag; returns the layers whose ETag changed (or that went)."""
        with self._refreshing:
            with self._sessions() as session:
                rows = session.execute(select(MapLayerBuild.layer, MapLayerBuild.etag)).all()
            changed = self._replace(dict(rows))
        self.refreshed = True
        return changed

    def _replace(self, current: dict[str, str]) -> list[str]:
        with self._lock:
            before = self._etags
            changed = sorted(
                name for name in set(before) | set(current) if before.get(name) != current.get(name)
            )
            self._etags = current
            for name in changed:
                loaded = self._loaded.get(name)
                if loaded is not None and loaded.etag != current.get(name):
                    del self._loaded[name]
        self._tell(changed)
        return changed

    def put(self, loaded: LoadedLayer) -> None:
        """A layer this process just built: served at once, before the next refresh."""
        with self._refreshing, self._lock:
            changed = self._etags.get(loaded.name) != loaded.etag
            self._etags = {**self._etags, loaded.name: loaded.etag}
            self._loaded[loaded.name] = loaded
        if changed:
            self._tell([loaded.name])

    def subscribe(self, listener: Listener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def _tell(self, names: list[str]) -> None:
        for name in names:
            for listener in self._listeners:
                try:
                    listener(name)
                except Exception:
                    log.exception("map layer listener %s failed for %s", listener, name)

    # -- the bytes -----------------------------------------------------------------------------

    def layer(self, name: str) -> LoadedLayer | None:
        """The layer as currently built (read from the database once per ETag)."""
        etag = self._etags.get(name)
        loaded = self._loaded.get(name)
        if loaded is not None and (etag is None or loaded.etag == etag):
            return loaded
        with self._sessions() as session:
            row = session.scalar(
                select(MapLayerBuild)
                .where(MapLayerBuild.layer == name)
                .options(
                    undefer(MapLayerBuild.summary),
                    undefer(MapLayerBuild.geojson_gzip),
                    undefer(MapLayerBuild.geojson_br),
                    undefer(MapLayerBuild.csv_gzip),
                )
            )
            if row is None:
                return None
            loaded = LoadedLayer(
                name=row.layer,
                etag=row.etag,
                points=row.points,
                summary=dict(row.summary or {}),
                geojson_gzip=bytes(row.geojson_gzip),
                geojson_br=bytes(row.geojson_br),
                csv_gzip=bytes(row.csv_gzip),
            )
        with self._lock:
            # What the database holds now is at least as new as what the last refresh saw.
            changed = self._etags.get(name) != loaded.etag
            self._etags = {**self._etags, name: loaded.etag}
            self._loaded[name] = loaded
        if changed:
            self._tell([name])
        return loaded


_stores: weakref.WeakKeyDictionary[Engine, LayerStore] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def layer_store(services: Services) -> LayerStore:
    """The store of this process for this database (one per engine, so test servers on
    SQLite and PostgreSQL in one process keep apart)."""
    with _stores_lock:
        found = _stores.get(services.engine)
        if found is None:
            found = _stores[services.engine] = LayerStore(services)
        return found
