"""Names of datastore tables and columns, checked so they are safe on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tsunagu.errors import ValidationError

RESERVED = {"_id", "_full_text"}
# PostgreSQL truncates identifiers beyond 63 bytes; longer names would silently collide.
MAX_NAME_BYTES = 63
_BAD = re.compile(r'["\x00-\x1f]')


def table_name(resource_id: str, suffix: str = "") -> str:
    return "ds_" + resource_id.replace("-", "") + suffix


def check_column_names(names: list[str]) -> None:
    errors: list[str] = []
    seen: set[str] = set()
    for name in names:
        if not name or not name.strip():
            errors.append("列名が空です (Empty column name)")
        elif name in RESERVED or name.startswith("_"):
            errors.append(f"「{name}」は予約されています (Names starting with _ are reserved)")
        elif _BAD.search(name):
            errors.append(f"「{name}」に使えない文字があります (Invalid character in column name)")
        elif len(name.encode()) > MAX_NAME_BYTES:
            errors.append(
                f"「{name}」が長すぎます（UTF-8 で 63 バイトまで） (Column name too long)"
            )
        elif name in seen:
            errors.append(f"「{name}」が重複しています (Duplicate column name)")
        seen.add(name)
    if errors:
        raise ValidationError({"fields": errors})


def shorten(name: str, taken: set[str]) -> str:
    """A name within the byte limit that is not yet taken (for names read from files)."""
    base = name
    while len(base.encode()) > MAX_NAME_BYTES - 4:
        base = base[:-1]
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}_{n}"
        n += 1
    return candidate
