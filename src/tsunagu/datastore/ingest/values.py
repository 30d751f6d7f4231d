"""Parsing one cell the way Japanese public-sector tables write values.

A cell is ``str`` (CSV), an already-typed spreadsheet value (int, float, bool, date, datetime,
time) or None. Every parser returns None for a missing value and raises ValueError, with a short
Japanese message naming the value and what was expected, for anything it cannot read.

These run on every cell of every ingested table (tens of millions), so regexes are compiled once
and each parser checks the cheap common cases (plain ASCII digits, typed cells) first.

What counts as missing (strict for text, wide for typed values) is described in
:mod:`tsunagu.datastore.ingest.missing`.

The parsers live in one small module per kind (numbers, dates with 和暦, times, booleans,
text); this module is the stable place to import them from.
"""

from __future__ import annotations

from tsunagu.datastore.ingest.booleans import parse_bool
from tsunagu.datastore.ingest.dates import parse_date, parse_timestamp, parse_year_month
from tsunagu.datastore.ingest.halfwidth import to_halfwidth
from tsunagu.datastore.ingest.missing import is_missing
from tsunagu.datastore.ingest.numbers import parse_int, parse_numeric
from tsunagu.datastore.ingest.text import normalize_text
from tsunagu.datastore.ingest.times import parse_time

__all__ = [
    "is_missing",
    "normalize_text",
    "parse_bool",
    "parse_date",
    "parse_int",
    "parse_numeric",
    "parse_time",
    "parse_timestamp",
    "parse_year_month",
    "to_halfwidth",
]
