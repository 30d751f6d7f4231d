"""The vendored municipal boundaries: which codes have a shape, and each prefecture's file.

The GeoJSON files and ``index.json`` beside this module are built by
``scripts/build_boundaries.py``; README.md names their source, terms and processing. Only the
index is read by the server (to match codes); the browser fetches a prefecture's file itself,
from ``/maps/boundaries/{prefecture}.geojson`` (web/views/choropleth.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Boundary:
    code5: str
    prefecture: str
    name: str
    level: str  # "municipality" or "ward" (京都市・広島市 only)
    parent: str | None  # a ward's city, 6-digit
    bbox: tuple[float, float, float, float]


@cache
def index() -> dict[str, Boundary]:
    raw = json.loads((HERE / "index.json").read_text(encoding="utf-8"))
    return {
        code5: Boundary(
            code5,
            item["prefecture"],
            item["name"],
            item["level"],
            item.get("parent"),
            tuple(item["bbox"]),  # type: ignore[arg-type]
        )
        for code5, item in raw.items()
    }


def boundary(code5: str) -> Boundary | None:
    return index().get(code5)


def prefecture_file(prefecture: str) -> Path | None:
    """The GeoJSON file of a two-digit prefecture code, if there is one."""
    if len(prefecture) != 2 or not prefecture.isdigit():
        return None
    path = HERE / f"{prefecture}.geojson"
    return path if path.is_file() else None


@cache
def prefecture_bytes(prefecture: str) -> tuple[bytes, str] | None:
    """A prefecture file's bytes and a strong ETag (the files change only with a release)."""
    path = prefecture_file(prefecture)
    if path is None:
        return None
    data = path.read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
