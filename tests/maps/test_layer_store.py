"""The process's copy of the layer ETags (maps/store.py) under concurrent keeping: a refresh
whose read was taken before a build committed must not undo the build this process put."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from tsunagu.maps.models import MapLayerBuild
from tsunagu.maps.store import LayerStore, LoadedLayer


def _layer(name: str, etag: str) -> LoadedLayer:
    return LoadedLayer(
        name=name, etag=etag, points=0, summary={}, geojson_gzip=b"", geojson_br=b"", csv_gzip=b""
    )


def test_a_refresh_read_before_a_build_does_not_undo_the_put_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'layers.db'}")
    MapLayerBuild.__table__.create(engine)  # type: ignore[attr-defined]
    store = LayerStore(cast(Any, SimpleNamespace(sessions=sessionmaker(engine))))
    read, go_on = threading.Event(), threading.Event()
    real_replace = store._replace

    def slow_for_the_worker(current: dict[str, str]) -> list[str]:
        if threading.current_thread().name == "stale-reader":
            read.set()
            go_on.wait(10)
        return real_replace(current)

    monkeypatch.setattr(store, "_replace", slow_for_the_worker)
    stale = threading.Thread(target=store.refresh, name="stale-reader")
    stale.start()
    assert read.wait(10)  # it has read the ETags: no layer built yet
    built = threading.Thread(target=store.put, args=(_layer("shelters", "new"),))
    built.start()
    built.join(0.5)  # the build's commit and put, as maps/jobs.py makes them
    go_on.set()
    stale.join(10)
    built.join(10)
    assert store.etag("shelters") == "new"
    engine.dispose()
