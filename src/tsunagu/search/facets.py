"""Exact facet counts over the matched documents."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pyroaring import BitMap

from tsunagu.errors import SearchQueryError
from tsunagu.search.index_view import IndexView
from tsunagu.search.interface import FACET_FIELDS
from tsunagu.search.normalize import normalize_text

# Facets whose keys are slugs get a human title in search_facets, as CKAN gives them.
_TITLED = {"organization", "groups"}


def count(
    index: IndexView, matched: BitMap, fields: list[str], limit: int, mincount: int
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, Any]]]:
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, dict[str, Any]] = {}
    for field in fields:
        if field not in FACET_FIELDS and not field.startswith(("extras_", "vocab_")):
            raise SearchQueryError(f"集計できない項目です (Field cannot be faceted): {field}")
        counts = _count_field(index, matched, field)
        items = sorted(
            ((n, value) for value, n in counts.items() if n >= max(mincount, 1)),
            key=lambda item: (-item[0], item[1]),
        )
        if limit >= 0:
            items = items[:limit]
        facets[field] = {value: n for n, value in items}
        titles = _titles(index, field) if field in _TITLED else {}
        search_facets[field] = {
            "title": field,
            "items": [
                {"name": value, "display_name": titles.get(value, value), "count": n}
                for n, value in items
            ],
        }
    return facets, search_facets


def _count_field(index: IndexView, matched: BitMap, field: str) -> dict[str, int]:
    postings = index.field_postings.get(field, {})
    display = index.display.get(field, {})
    # Walk the matched documents when they are fewer than the distinct values, else intersect.
    if len(matched) * 4 < len(postings):
        counter: Counter[str] = Counter()
        for docid in matched:
            doc = index.docs[docid]
            if doc is not None:
                counter.update(
                    {display.get(normalize_text(v), v) for v in doc.values.get(field, ())}
                )
        return dict(counter)
    return {
        display[key]: n
        for key, bitmap in postings.items()
        if (n := matched.intersection_cardinality(bitmap))
    }


def _titles(index: IndexView, field: str) -> dict[str, str]:
    cache = index.facet_titles.get(field)
    return cache if cache is not None else {}
