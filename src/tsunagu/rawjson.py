"""A package dict kept as the JSON bytes it was indexed as.

The API writes it out as-is (no decode, no re-encode: the hot path of package_search and
package_show); pages and Python callers read it like a read-only dict, decoded on first use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson


class RawJSON(Mapping[str, Any]):
    __slots__ = ("_decoded", "raw")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._decoded: dict[str, Any] | None = None

    def _data(self) -> dict[str, Any]:
        if self._decoded is None:
            self._decoded = orjson.loads(self.raw)
        return self._decoded

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __repr__(self) -> str:
        return f"RawJSON({self.raw[:60]!r}…)"


def serialise_default(value: Any) -> Any:
    """orjson ``default`` hook: RawJSON goes out as its bytes."""
    if isinstance(value, RawJSON):
        return orjson.Fragment(value.raw)
    raise TypeError(f"cannot serialise {type(value).__name__}")
