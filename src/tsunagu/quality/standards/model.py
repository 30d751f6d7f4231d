"""The standard data sets as loaded from `schemas/*.json` (Frictionless Table Schemas)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class StandardField:
    name: str
    type: str
    required: bool
    pattern: str | None
    enum: list[str] | None
    title: str
    description: str


# eq=False: one instance per set, so identity is equality and Standards stay hashable.
@dataclass(frozen=True, eq=False)
class Standard:
    id: str
    number: str
    title: str
    english_name: str
    source: dict[str, Any]
    schema: dict[str, Any]
    fields: list[StandardField]
    aliases: tuple[str, ...] = ()
    _by_name: dict[str, StandardField] = field(default_factory=dict, repr=False, compare=False)

    def field(self, name: str) -> StandardField | None:
        return self._by_name.get(name)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def verification(self) -> str:
        return str(self.source.get("verification", ""))

    @property
    def file_stem(self) -> str:
        """The file name after the organisation code, as the Agency names files."""
        return self.english_name


class UnknownStandard(LookupError):
    def __init__(self, standard_id: str) -> None:
        known = "、".join(f"{s.number} {s.id}" for s in list_standards())
        super().__init__(
            f"標準データセット「{standard_id}」は見つかりません。"
            f"番号（例: 03）または英語名（例: evacuation_space）で指定してください。"
            f"指定できるもの: {known}"
        )
        self.standard_id = standard_id


def _field(descriptor: dict[str, Any]) -> StandardField:
    constraints = descriptor.get("constraints", {})
    enum = constraints.get("enum")
    return StandardField(
        name=descriptor["name"],
        type=descriptor.get("type", "string"),
        required=bool(constraints.get("required", False)),
        pattern=constraints.get("pattern"),
        enum=[str(v) for v in enum] if enum is not None else None,
        title=descriptor.get("title", descriptor["name"]),
        description=descriptor.get("description", ""),
    )


def _standard(descriptor: dict[str, Any]) -> Standard:
    fields = [_field(f) for f in descriptor["fields"]]
    return Standard(
        id=descriptor["name"],
        number=descriptor["number"],
        title=descriptor["title"],
        english_name=descriptor["english_name"],
        source=descriptor["source"],
        schema=descriptor,
        fields=fields,
        aliases=tuple(descriptor.get("aliases", ())),
        _by_name={f.name: f for f in fields},
    )


@cache
def _loaded() -> tuple[Standard, ...]:
    folder = resources.files("tsunagu.quality.standards").joinpath("schemas")
    found = [
        _standard(json.loads(entry.read_text(encoding="utf-8")))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    return tuple(sorted(found, key=lambda s: s.number))


def list_standards() -> list[Standard]:
    """All standard data sets, sorted by the Agency's number. Treat them as read-only."""
    return list(_loaded())


@cache
def _index() -> dict[str, Standard]:
    index: dict[str, Standard] = {}
    for standard in _loaded():
        for key in (standard.id, standard.number, standard.title, *standard.aliases):
            index[key] = standard
    return index


def get_standard(standard_id: str) -> Standard:
    """By id ("evacuation_space"), number ("03" or "3"), Japanese title or a former name."""
    key = standard_id.strip()
    if key.isdigit():
        key = key.zfill(2)
    found = _index().get(key)
    if found is None:
        raise UnknownStandard(standard_id)
    return found
