"""Which map layers exist: one per 自治体標準オープンデータセット with coordinates, plus the
layers staff added (`map_layer`).

A layer's name is its URL name: the standard's id (``evacuation_space``) or the staff layer's
own name, which may not take a standard's. Other capabilities read layers through
`layer_specs` / `find_layer` and the built data through `store.py`, never the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.maps.models import MapLayer
from tsunagu.quality.standards import Standard, StandardField, list_standards

STANDARD = "standard"
STAFF = "staff"

# The shelter layer 災害モード (disaster/) and "近くの避難場所" read.
SHELTERS = "evacuation_space"

# English names of the standard layers (the Agency gives none but the file stem).
_ENGLISH = {
    "public_facility": "Public facilities",
    "cultural_property": "Cultural properties",
    "evacuation_space": "Designated emergency evacuation sites",
    "preschool": "Childcare facilities",
    "public_wireless_lan": "Public Wi-Fi access points",
    "aed": "AED locations",
    "care_service": "Care service providers",
    "hospital": "Medical institutions",
    "tourism": "Tourist facilities",
    "event": "Events",
    "public_toilet": "Public toilets",
    "fire_hydrant": "Fire water sources",
    "food_business_all": "Food business permits",
}
# Columns that hold the point itself (kept out of the attributes).
COORDINATE_FIELDS = frozenset({"緯度", "経度"})
# Where a point's municipality is read from, in order (else the publisher's code).
MUNICIPALITY_FIELDS = ("所在地_全国地方公共団体コード", "全国地方公共団体コード")
# Where its name and address are read from (standard layers; staff layers guess by name).
NAME_FIELDS = ("名称", "名前", "施設名", "name")
ADDRESS_FIELDS = ("所在地_連結表記", "住所", "所在地", "address")
# Columns outside the standard a standard layer keeps, under the first name: 開設状況 (whether a
# shelter is open now), which municipalities add to their shelter files in a disaster and
# 災害モード (disaster/) shows.
EXTRA_FIELDS = {"開設状況": ("開設状況", "開設状態", "開設の有無")}


@dataclass(frozen=True)
class Filter:
    """An attribute the standard defines with a fixed set of values, offered as a filter:
    a flag (災害種別_洪水: "1" or empty) or a choice (一時預かりの有無: 有 / 無)."""

    field: str
    title: str
    values: tuple[str, ...]

    @property
    def is_flag(self) -> bool:
        return self.values == ("1",)

    @property
    def group(self) -> str:
        """災害種別 for 災害種別_洪水: flags sharing a prefix are shown together."""
        head, sep, _tail = self.title.partition("_")
        return head if sep and self.is_flag else ""

    @property
    def label(self) -> str:
        """洪水 for 災害種別_洪水 (within its group), else the whole title."""
        return self.title.partition("_")[2] if self.group else self.title

    def as_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "title": self.title,
            "label": self.label,
            "group": self.group,
            "values": list(self.values),
            "flag": self.is_flag,
        }


@dataclass(frozen=True)
class LayerSpec:
    name: str
    title: str
    title_en: str
    kind: str  # STANDARD or STAFF
    standard: Standard | None = None
    dataset_ids: tuple[str, ...] = ()
    owner_org: str | None = None
    description: str = ""
    id: str | None = None  # the map_layer row of a staff layer
    filters: tuple[Filter, ...] = field(default=())

    @property
    def fields(self) -> list[StandardField]:
        """The attributes a standard layer keeps, in the standard's order (no coordinates)."""
        if self.standard is None:
            return []
        return [f for f in self.standard.fields if f.name not in COORDINATE_FIELDS]

    def definition(self) -> str:
        """What the layer is made of, as text: part of its build signature, so a staff layer
        whose datasets change is built again."""
        if self.kind == STANDARD:
            return f"standard:{self.name}"
        return f"staff:{self.name}:{self.title}:{','.join(self.dataset_ids)}"


def has_points(standard: Standard) -> bool:
    return set(standard.field_names) >= COORDINATE_FIELDS


def _filters(standard: Standard) -> tuple[Filter, ...]:
    return tuple(
        Filter(f.name, f.title, tuple(f.enum))
        for f in standard.fields
        if f.enum and f.name not in COORDINATE_FIELDS
    )


@cache
def standard_layers() -> tuple[LayerSpec, ...]:
    """A layer for every standard data set with 緯度 and 経度, in the Agency's order."""
    return tuple(
        LayerSpec(
            name=s.id,
            title=s.title,
            title_en=_ENGLISH.get(s.id, s.english_name.replace("_", " ").capitalize()),
            kind=STANDARD,
            standard=s,
            filters=_filters(s),
        )
        for s in list_standards()
        if has_points(s)
    )


def standard_layer(name: str) -> LayerSpec | None:
    return next((spec for spec in standard_layers() if spec.name == name), None)


def _staff_spec(row: MapLayer) -> LayerSpec:
    return LayerSpec(
        name=row.name,
        title=row.title or row.name,
        title_en=row.title or row.name,
        kind=STAFF,
        dataset_ids=tuple(row.datasets or ()),
        owner_org=row.owner_org,
        description=row.description,
        id=row.id,
    )


def staff_layers(session: Session) -> list[LayerSpec]:
    rows = session.scalars(select(MapLayer).order_by(MapLayer.created, MapLayer.name))
    return [_staff_spec(row) for row in rows]


def layer_specs(session: Session) -> list[LayerSpec]:
    """Every layer: the standard ones first, then staff layers by age."""
    return [*standard_layers(), *staff_layers(session)]


def find_layer(session: Session, name: str) -> LayerSpec | None:
    found = standard_layer(name)
    if found is not None:
        return found
    row = session.scalar(select(MapLayer).where(MapLayer.name == name))
    return _staff_spec(row) if row is not None else None
