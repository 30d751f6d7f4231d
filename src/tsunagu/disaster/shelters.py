"""The shelters of the 指定緊急避難場所 map layer, grouped by municipality for the 避難場所 pages.

Read from the layer as maps/ built it (public resources only; its points checked), never from
the tables: the layer's ETag says when this must be read again. A shelter's municipality is the
layer's (the 所在地 code of the row, else the publisher's); 開設状況 is the column some
municipalities add to their files (maps/registry.py `EXTRA_FIELDS`), shown as written, and
counted as open for the usual ways of writing "open" (開設, 開設中, ○, 1 …).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tsunagu.maps.registry import SHELTERS, standard_layer
from tsunagu.maps.store import LoadedLayer

# The standard's hazard flags (災害種別_洪水 …), in its order; the pages give each a short label.
HAZARD_GROUP = "災害種別"


@cache
def hazard_fields() -> tuple[str, ...]:
    spec = standard_layer(SHELTERS)
    if spec is None:
        return ()
    return tuple(f.field for f in spec.filters if f.is_flag and f.group == HAZARD_GROUP)


STATUS_FIELD = "開設状況"
OPEN_VALUES = frozenset(
    {
        "開設",
        "開設中",
        "開設済",
        "開設済み",
        "開",
        "open",
        "opened",
        "○",
        "〇",
        "◯",
        "1",
        "true",
        "有",
    }
)
ADDRESS_PARTS = (
    "所在地_都道府県",
    "所在地_市区町村",
    "所在地_町字",
    "所在地_番地以下",
    "建物名等(方書)",
)
# The group of shelters whose municipality is unknown (a publisher without a code).
OTHER = "other"


def is_open(status: str) -> bool:
    return unicodedata.normalize("NFKC", status).strip().casefold() in OPEN_VALUES


@dataclass(frozen=True)
class Shelter:
    name: str
    address: str
    hazards: tuple[str, ...]  # the hazard flags set (災害種別_洪水 …), in the standard's order
    status: str  # 開設状況 as written; "" when the file has none
    is_open: bool


@dataclass(frozen=True)
class Municipality:
    code: str  # 全国地方公共団体コード, or OTHER
    name: str  # "" for OTHER
    shelters: tuple[Shelter, ...]  # the open ones first, then as published
    sources: tuple[dict[str, Any], ...]  # the datasets its shelters come from

    @property
    def count(self) -> int:
        return len(self.shelters)

    @property
    def opened(self) -> int:
        return sum(1 for s in self.shelters if s.is_open)


@dataclass(frozen=True)
class ShelterList:
    etag: str | None  # the layer's ETag; None while it has not been built
    municipalities: tuple[Municipality, ...] = ()
    sources: tuple[dict[str, Any], ...] = ()
    has_status: bool = False  # some file gives 開設状況
    _by_code: dict[str, Municipality] = field(default_factory=dict, compare=False, repr=False)

    @property
    def built(self) -> bool:
        return self.etag is not None

    @property
    def total(self) -> int:
        return sum(m.count for m in self.municipalities)

    @property
    def opened(self) -> int:
        return sum(m.opened for m in self.municipalities)

    def municipality(self, code: str) -> Municipality | None:
        return self._by_code.get(code)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _address(properties: dict[str, Any]) -> str:
    joined = _text(properties.get("所在地_連結表記"))
    if joined:
        return joined
    return "".join(_text(properties.get(part)) for part in ADDRESS_PARTS)


def shelter(properties: dict[str, Any]) -> Shelter:
    status = _text(properties.get(STATUS_FIELD))
    return Shelter(
        name=_text(properties.get("名称")),
        address=_address(properties),
        hazards=tuple(name for name in hazard_fields() if properties.get(name) == "1"),
        status=status,
        is_open=bool(status) and is_open(status),
    )


def shelter_list(layer: LoadedLayer | None) -> ShelterList:
    if layer is None:
        return ShelterList(etag=None)
    document = layer.document
    names: dict[str, str] = document.get("municipalities") or {}
    sources: list[dict[str, Any]] = document.get("sources") or []
    groups: dict[str, list[Shelter]] = {}
    group_sources: dict[str, dict[int, None]] = {}
    for feature in document.get("features") or []:
        properties = feature.get("properties") or {}
        code = str(properties.get("_m") or OTHER)
        groups.setdefault(code, []).append(shelter(properties))
        index = properties.get("_s")
        if isinstance(index, int) and 0 <= index < len(sources):
            group_sources.setdefault(code, {})[index] = None
    municipalities = []
    # By code (the prefecture's order, then each municipality's), the unknown ones last.
    for code in sorted(groups, key=lambda c: (c == OTHER, c)):
        found = groups[code]
        ordered = [s for s in found if s.is_open] + [s for s in found if not s.is_open]
        municipalities.append(
            Municipality(
                code=code,
                name="" if code == OTHER else names.get(code, code),
                shelters=tuple(ordered),
                sources=tuple(sources[i] for i in group_sources.get(code, {})),
            )
        )
    return ShelterList(
        etag=layer.etag,
        municipalities=tuple(municipalities),
        sources=tuple(sources),
        has_status=any(s.status for m in municipalities for s in m.shelters),
        _by_code={m.code: m for m in municipalities},
    )
