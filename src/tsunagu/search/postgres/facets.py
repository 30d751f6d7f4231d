"""Exact facet counts over the matched documents: the common facets from their seqs
(facet_cache.py), any other field in one pass over their values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from tsunagu.errors import SearchQueryError
from tsunagu.search.interface import FACET_FIELDS
from tsunagu.search.postgres.rows import FACET_COLUMNS, SEP
from tsunagu.search.postgres.sync import INDEXED
from tsunagu.search.postgres.translate import Condition

# Facets whose keys are slugs get a human title in search_facets, as CKAN gives them.
_TITLED = {"organization", "groups"}


def check_fields(fields: list[str]) -> None:
    for name in fields:
        if name not in FACET_FIELDS and not name.startswith(("extras_", "vocab_")):
            raise SearchQueryError(f"集計できない項目です (Field cannot be faceted): {name}")


def matched_columns(fields: list[str]) -> list[str]:
    """The columns the ``matched`` rows must carry to count these facets: the common facets
    are counted by each process from the matches' seqs (facet_cache.py), any other from
    ``vals``."""
    return ["vals"] if any(name not in FACET_COLUMNS for name in fields) else []


def common(fields: list[str]) -> list[str]:
    """The wanted facets that are counted from the matches' seqs."""
    return [name for name in dict.fromkeys(fields) if name in FACET_COLUMNS]


def matched_seqs() -> str:
    """The ``seq`` of every match as one bytea of big-endian int8s: a hundred thousand cost
    PostgreSQL a few milliseconds to send, where counting their values cost it 0.3 µs each."""
    return "SELECT string_agg(int8send(id_seq), ''::bytea) FROM matched"


def over_matched(cond: Condition, fields: list[str]) -> str:
    """(normalised value, documents) for every value of the wanted fields that are not common
    facets among the ``matched`` rows of the combined search statement (backend.plan), from
    their ``vals``; "" when every wanted field is a common facet."""
    others = [name for name in dict.fromkeys(fields) if name not in FACET_COLUMNS]
    if not others:
        return ""
    return (
        "SELECT v, count(*) AS n FROM matched, unnest(matched.vals) AS v"
        f" WHERE split_part(v, chr(31), 1) = ANY({cond.terms(others)}) GROUP BY v"
    )


def stored(cond: Condition, scope: int, fields: list[str]) -> str:
    """(field, normalised value, documents) kept up to date for a whole scope (a search
    without q or fq)."""
    wanted = cond.terms(list(dict.fromkeys(fields)))
    return (
        "SELECT split_part(key, chr(31), 1), key, n FROM search_facet_count"
        f" WHERE scope = {int(scope)} AND key <> '' AND split_part(key, chr(31), 1) = ANY({wanted})"
    )


def tally(
    connection: Connection,
    rows: list[Any],
    fields: list[str],
    limit: int,
    mincount: int,
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, Any]]]:
    """The facets and search_facets of package_search from the statement's rows."""
    counts: dict[str, dict[str, int]] = {name: {} for name in fields}
    display = _display(connection, [key for _, key, _ in rows])
    for name, key, n in rows:
        shown = display.get(key, key.partition(SEP)[2])
        counts[name][shown] = counts[name].get(shown, 0) + int(n)
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, dict[str, Any]] = {}
    for name in fields:
        items = sorted(
            ((n, value) for value, n in counts[name].items() if n >= max(mincount, 1)),
            key=lambda item: (-item[0], item[1]),
        )
        if limit >= 0:
            items = items[:limit]
        facets[name] = {value: n for n, value in items}
        titles = _titles(connection, name, [v for _, v in items]) if name in _TITLED else {}
        search_facets[name] = {
            "title": name,
            "items": [
                {"name": value, "display_name": titles.get(value, value), "count": n}
                for n, value in items
            ],
        }
    return facets, search_facets


def _display(connection: Connection, keys: list[str]) -> dict[str, str]:
    """Each value's display form: the one it was first indexed with ("CSV" for csv)."""
    if not keys:
        return {}
    rows = connection.execute(
        text(
            "SELECT key, shown FROM search_facet_count"
            f" WHERE scope = {INDEXED} AND key = ANY(CAST(:keys AS text[]))"
        ),
        {"keys": keys},
    ).all()
    return {key: shown for key, shown in rows}


def _titles(connection: Connection, name: str, values: list[str]) -> dict[str, str]:
    if not values:
        return {}
    rows = connection.execute(
        text(
            "SELECT value, title FROM search_facet_title"
            " WHERE field = :field AND value = ANY(CAST(:values AS text[]))"
        ),
        {"field": name, "values": values},
    ).all()
    return {value: title for value, title in rows}


__all__ = [
    "check_fields",
    "common",
    "matched_columns",
    "matched_seqs",
    "over_matched",
    "stored",
    "tally",
]
