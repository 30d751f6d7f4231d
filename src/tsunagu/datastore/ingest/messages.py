"""How a cell is quoted in the parsers' error messages."""

from __future__ import annotations

import datetime as dt

from tsunagu.datastore.ingest.model import Cell


def _show(cell: Cell) -> str:
    """A value quoted for an error message, shortened so one bad cell cannot flood a report."""
    if isinstance(cell, bool):
        text = "TRUE" if cell else "FALSE"
    elif isinstance(cell, dt.date | dt.time):
        text = cell.isoformat()
    else:
        text = str(cell).strip().replace("\r", "").replace("\n", "⏎")
    if len(text) > 30:
        text = text[:30] + "…"
    return f'"{text}"'
