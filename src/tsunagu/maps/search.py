"""The points query: filters, name search and "近くの…" by distance.

Everything here works on a layer as built (store.py), in memory: no request reads a datastore
table. A typed place is found without any outside geocoder: among the layer's own points first
(an exact 名称, then names and addresses containing the words, trying shorter and shorter
beginnings of the text, so 「下関市竹崎町4丁目1-1」 still finds 竹崎町), then among the names of
the municipalities (quality/areas.csv).
"""

from __future__ import annotations

import math
import threading
import unicodedata
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from tsunagu.maps.store import LoadedLayer
from tsunagu.quality.areas import all_areas

EARTH_RADIUS_M = 6_371_008.8
MIN_PLACE_CHARS = 2
# The attributes each feature is found by.
_NAME_KEYS = ("名称", "名前", "施設名", "name")
_ADDRESS_KEYS = ("所在地_連結表記", "住所", "所在地", "address")


def normalize(text: str) -> str:
    """For matching typed text: NFKC (全角 → 半角), no spaces, case-folded; 丁目 and
    番地 punctuation left as typed."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


@dataclass
class Index:
    """What the query needs of one built layer, made once per ETag."""

    features: list[dict[str, Any]]
    lats: np.ndarray
    lons: np.ndarray
    names: list[str]  # normalised
    addresses: list[str]
    codes: list[str]
    haystack: str  # names and addresses, one line per feature, for str.find


def _first(properties: dict[str, Any], keys: tuple[str, ...]) -> str:
    return next((str(properties[k]) for k in keys if properties.get(k) not in (None, "")), "")


def _build_index(layer: LoadedLayer) -> Index:
    features = layer.features
    names = [normalize(_first(f["properties"], _NAME_KEYS)) for f in features]
    addresses = [normalize(_first(f["properties"], _ADDRESS_KEYS)) for f in features]
    return Index(
        features=features,
        lats=np.array([f["geometry"]["coordinates"][1] for f in features], dtype=float),
        lons=np.array([f["geometry"]["coordinates"][0] for f in features], dtype=float),
        names=names,
        addresses=addresses,
        codes=[str(f["properties"].get("_m", "")) for f in features],
        haystack="\n".join(f"{n}\t{a}" for n, a in zip(names, addresses, strict=True)),
    )


_indexes: weakref.WeakKeyDictionary[LoadedLayer, Index] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def index_of(layer: LoadedLayer) -> Index:
    with _indexes_lock:
        found = _indexes.get(layer)
    if found is None:
        found = _build_index(layer)
        with _indexes_lock:
            _indexes[layer] = found
    return found


@dataclass(frozen=True)
class PointQuery:
    municipalities: frozenset[str] = frozenset()
    filters: tuple[tuple[str, str], ...] = ()  # (field, value)
    q: str = ""


def matching(index: Index, query: PointQuery) -> list[int]:
    """Indexes of the features that pass every filter, in the layer's order."""
    words = [normalize(w) for w in query.q.split() if w.strip()]
    out: list[int] = []
    for i, feature in enumerate(index.features):
        properties = feature["properties"]
        if query.municipalities and index.codes[i] not in query.municipalities:
            continue
        if any(str(properties.get(field, "")) != value for field, value in query.filters):
            continue
        if words and not all(w in index.names[i] or w in index.addresses[i] for w in words):
            continue
        out.append(i)
    return out


def distances(index: Index, lat: float, lon: float, which: list[int]) -> np.ndarray:
    """Great-circle distances in metres (haversine) from (lat, lon) to the features `which`."""
    if not which:
        return np.zeros(0)
    chosen = np.asarray(which)
    phi1, phi2 = math.radians(lat), np.radians(index.lats[chosen])
    dphi = phi2 - phi1
    dlambda = np.radians(index.lons[chosen] - lon)
    a = np.sin(dphi / 2) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1))))


@dataclass(frozen=True)
class Origin:
    lat: float
    lon: float
    label: str
    matched: str  # location / point / points / municipality
    matches: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "label": self.label,
            "matched": self.matched,
            "matches": self.matches,
        }


def _centre(index: Index, which: list[int]) -> tuple[float, float]:
    chosen = np.asarray(which)
    return float(index.lats[chosen].mean()), float(index.lons[chosen].mean())


def _feature_name(index: Index, i: int) -> str:
    return _first(index.features[i]["properties"], _NAME_KEYS)


def _lines_with(index: Index, text: str) -> list[int]:
    """Features whose name or address contains `text`: str.find over one joined string, so a
    miss costs one pass in C rather than a Python loop."""
    haystack = index.haystack
    if haystack.find(text) < 0:
        return []
    return [
        i
        for i, (n, a) in enumerate(zip(index.names, index.addresses, strict=True))
        if text in n or text in a
    ]


def find_place(text: str, indexes: list[Index]) -> Origin | None:
    """Where a typed address, 町名 or facility name is, from the points' own fields and the
    municipality list; None when nothing matches."""
    wanted = normalize(text)
    if len(wanted) < MIN_PLACE_CHARS:
        return None
    for index in indexes:
        exact = [i for i, name in enumerate(index.names) if name == wanted]
        if exact:
            lat, lon = _centre(index, exact[:1])
            return Origin(lat, lon, _feature_name(index, exact[0]), "point")
    for length in range(len(wanted), MIN_PLACE_CHARS - 1, -1):
        prefix = wanted[:length]
        for index in indexes:
            found = _lines_with(index, prefix)
            if found:
                lat, lon = _centre(index, found)
                if len(found) == 1:
                    return Origin(lat, lon, _feature_name(index, found[0]), "point")
                return Origin(lat, lon, prefix, "points", len(found))
        area = _municipality(prefix)
        if area is not None:
            return _municipality_origin(area, indexes)
    return None


def _municipality(text: str) -> tuple[str, str, tuple[float, float]] | None:
    """(code, name, box centre) of the municipality named exactly (下関市, 山口県下関市)."""
    for found in all_areas():
        name = normalize(found.name)
        if text == name or (text.endswith(name) and len(text) - len(name) <= 4):
            box = found.bbox
            centre = ((box.min_lat + box.max_lat) / 2, (box.min_lon + box.max_lon) / 2)
            return found.code, found.name, centre
    return None


def _municipality_origin(
    area: tuple[str, str, tuple[float, float]], indexes: list[Index]
) -> Origin:
    """The middle of the municipality's own points, or of its box when it has none (a box's
    centre may fall in the sea)."""
    code, name, centre = area
    for index in indexes:
        which = [i for i, c in enumerate(index.codes) if c == code]
        if which:
            lat, lon = _centre(index, which)
            return Origin(lat, lon, name, "municipality", len(which))
    return Origin(centre[0], centre[1], name, "municipality", 0)
