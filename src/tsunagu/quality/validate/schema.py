"""A standard dataset's columns against the file's: missing, misnamed, extra, out of order,
and what each matched column expects (type, pattern, allowed values)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tsunagu.quality.validate.sink import Sink
from tsunagu.quality.validate.typed import Expectation, expectation_for_field


class FieldLike(Protocol):
    name: str
    type: str
    required: bool
    pattern: str | None
    enum: list[str] | None


class StandardLike(Protocol):
    id: str
    title: str
    schema: dict[str, Any]
    fields: list[Any]


def _matcher(standard: Any) -> Callable[[str], str | None]:
    """The standards package's column matcher (widths, brackets, separators, known aliases);
    a plain key comparison for a standard that is not in the registry (tests, custom ones)."""
    from tsunagu.quality.standards import column_key, match_column

    try:
        match_column("", standard)
    except (StopIteration, LookupError, AttributeError):
        keys = {column_key(f.name): f.name for f in standard.fields}
        return lambda column: keys.get(column_key(column))
    return lambda column: match_column(column, standard)


@dataclass
class SchemaMatch:
    field_of: dict[str, Any] = field(default_factory=dict)  # file column → standard field
    misnamed: dict[str, str] = field(default_factory=dict)  # file column → standard name
    missing: list[Any] = field(default_factory=list)  # standard fields without a column
    extra: list[str] = field(default_factory=list)  # file columns not in the standard


def match_columns(columns: list[str], standard: Any) -> SchemaMatch:
    """Pair file columns with the standard's fields: exact names first, then near matches
    (名称（カナ） for 名称_カナ, 住所 for 所在地_連結表記 …); a field goes to one column only."""
    fields = list(standard.fields)
    match = SchemaMatch()
    by_name = {f.name: f for f in fields}
    taken: set[str] = set()
    for column in columns:
        if column in by_name and column not in taken:
            match.field_of[column] = by_name[column]
            taken.add(column)
    near = _matcher(standard)
    for column in columns:
        if column in match.field_of:
            continue
        name = near(column)
        if name in by_name and name not in taken:
            match.field_of[column] = by_name[name]
            taken.add(name)
    match.misnamed = {c: f.name for c, f in match.field_of.items() if c != f.name}
    match.missing = [f for f in fields if f.name not in taken]
    match.extra = [c for c in columns if c not in match.field_of]
    return match


def report_columns(
    match: SchemaMatch, columns: list[str], fields: list[Any], shown: dict[str, str], sink: Sink
) -> None:
    for f in match.missing:
        rule = "schema.missing_required_column" if f.required else "schema.missing_column"
        sink.emit(rule, column=f.name)
    for column, name in match.misnamed.items():
        sink.emit("schema.misnamed_column", column=shown.get(column, column), detail=name)
    for column in match.extra:
        sink.emit("schema.extra_column", column=shown.get(column, column))
    order = {f.name: n for n, f in enumerate(fields)}
    placed = [
        (column, order[match.field_of[column].name])
        for column in columns
        if column in match.field_of
    ]
    for (before, a), (after, b) in itertools.pairwise(placed):
        if a > b:
            detail = (
                f"「{match.field_of[after].name}」は「{match.field_of[before].name}」より前の列です"
            )
            sink.emit("schema.column_order", detail=detail)
            break


def field_formats(standard: StandardLike) -> dict[str, str]:
    fields = (standard.schema or {}).get("fields", []) if isinstance(standard.schema, dict) else []
    return {f["name"]: f["format"] for f in fields if isinstance(f, dict) and f.get("format")}


def expectation(f: Any, formats: dict[str, str]) -> Expectation:
    fmt = getattr(f, "format", None) or formats.get(f.name)
    return expectation_for_field(
        getattr(f, "type", "string") or "string",
        getattr(f, "pattern", None),
        getattr(f, "enum", None),
        fmt if isinstance(fmt, str) else None,
    )
