"""Records sent through the API, checked and converted to their columns' types."""

from __future__ import annotations

from typing import Any

import orjson

from tsunagu.datastore.ingest.infer import converter
from tsunagu.errors import ValidationError

MAX_RECORDS = 100_000


def parse_records(raw: Any) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ValidationError(
                {"records": ["JSON の配列で指定してください (Must be a list)"]}
            ) from None
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise ValidationError(
            {"records": ["オブジェクトの配列で指定してください (Must be a list of objects)"]}
        )
    if len(raw) > MAX_RECORDS:
        raise ValidationError({"records": [f"一度に {MAX_RECORDS} 件までです (Too many records)"]})
    return raw


def convert_records(
    records: list[dict[str, Any]], fields: list[dict[str, Any]], *, allow_id: bool = False
) -> list[dict[str, Any]]:
    types = {str(f["id"]): str(f["type"]) for f in fields}
    converters = {name: converter(kind) for name, kind in types.items()}  # type: ignore[arg-type]
    errors: list[str] = []
    out = []
    for number, record in enumerate(records, start=1):
        row: dict[str, Any] = {}
        for key, value in record.items():
            if key == "_id" and allow_id:
                row["_id"] = value
                continue
            if key not in converters:
                errors.append(
                    f'{number} 件目: 列「{key}」はありません (field "{key}" not in table)'
                )
                continue
            try:
                row[key] = converters[key](value)
            except ValueError as exc:
                errors.append(f"{number} 件目、列「{key}」: {exc}")
        out.append(row)
        if len(errors) >= 20:
            break
    if errors:
        raise ValidationError({"records": errors})
    return out
