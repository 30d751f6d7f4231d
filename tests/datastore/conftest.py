"""Fixtures shared by the datastore tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tsunagu.datastore import postings


@pytest.fixture
def used(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether each search's total came from the postings (True) or not (False)."""
    calls: list[bool] = []
    lookup = postings.lookup

    def counted(*args: Any) -> Any:
        found = lookup(*args)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(postings, "lookup", counted)
    yield calls
