"""Fixtures shared by the datastore tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tsunagu.datastore import postings_lookup, postings_sqlite


@pytest.fixture
def used(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether each search's total came from the postings (True) or not (False)."""
    calls: list[bool] = []

    def counting(lookup: Any) -> Any:
        def counted(*args: Any) -> Any:
            found = lookup(*args)
            calls.append(found is not None)
            return found

        return counted

    for module in (postings_lookup, postings_sqlite):
        monkeypatch.setattr(module, "lookup", counting(module.lookup))
    yield calls
