"""Exact facet counts over the matched documents, in one pass over their values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from tsunagu.errors import SearchQueryError
from tsunagu.search.interface import FACET_FIELDS
from tsunagu.search.postgres.rows import SEP
from tsunagu.search.postgres.translate import Condition

# Facets whose keys are slugs get a human title in search_facets, as CKAN gives them.
_TITLED = {"organization", "groups"}


def check_fields(fields: list[str]) -> None:
    for name in fields:
        if name not in FACET_FIELDS and not name.startswith(("extras_", "vocab_")):
            raise SearchQueryError(f"集計できない項目です (Field cannot be faceted): {name}")


def statement(cond: Condition, where: str, fields: list[str]) -> str:
    """One pass over the matched documents' values: (field, display value, documents) for every
    normalised value of the wanted fields. Values are counted per normalised value and shown in
    one display form (as the embedded engine merges "AED" and "aed"); min() picks it the same
    way on every host."""
    wanted = cond.terms(list(dict.fromkeys(fields)))
    return (
        'SELECT split_part(v, chr(31), 1), min(s COLLATE "C"), count(*)'
        " FROM (SELECT unnest(vals) AS v, unnest(shown) AS s"
        f" FROM search_document WHERE {where}) AS matched"
        f" WHERE split_part(v, chr(31), 1) = ANY({wanted})"
        " GROUP BY v"
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
    for name, shown, n in rows:
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


__all__ = ["SEP", "check_fields", "statement", "tally"]
