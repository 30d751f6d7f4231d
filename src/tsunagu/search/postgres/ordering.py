"""ORDER BY for a search: relevance computed as the embedded engine computes it, then CKAN's sort
fields, then the order of indexing.

Relevance (search/ranking.py): for every query term, in order, a document gains
TITLE_WEIGHT × idf when the term is in its title and BODY_WEIGHT × idf when in its body, with
idf = log(1 + documents / (documents holding the term there + 1)). The weights are computed here
in Python with the same float arithmetic and added in SQL in the same order, so equal documents
get bit-for-bit equal scores and ties fall to the next key exactly as in the embedded engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Connection, text

from tsunagu.search.normalize import normalize_text, query_terms
from tsunagu.search.postgres import sync
from tsunagu.search.postgres.translate import Condition
from tsunagu.search.ranking import BODY_WEIGHT, TITLE_WEIGHT, parse_sort

# Sort field → column (all C-collated text or integers, so SQL orders as Python does).
COLUMNS = {
    "metadata_modified": "metadata_modified",
    "metadata_created": "metadata_created",
    "title_string": "title_sort",
    "name": "name",
    "num_resources": "num_resources",
    "num_tags": "num_tags",
    "quality_stars": "quality_stars",
    "quality_score": "quality_score",
    "next_update_due": "next_update_sort",
}


# Added to a bound's slack so that float rounding (sums taken in another order) never leaves out
# a document that ranks on the page.
_ROUNDING = 1e-6


@dataclass(frozen=True)
class Bound:
    """A lower bound of the first ORDER BY key (relevance, descending) that reads only short
    arrays, and by how much (a bound parameter) a document's relevance can exceed it: the terms
    some matches lack are looked up in ``all_terms`` only for the documents whose bound leaves
    them a chance of the page (backend._bounded_top)."""

    lower: str
    slack: str


def order_by(
    cond: Condition,
    connection: Connection,
    sort: str,
    words: list[str],
    required: frozenset[str] = frozenset(),
) -> tuple[list[tuple[str, str]], Bound | None]:
    """The ORDER BY keys as (expression, ASC/DESC), the order of indexing last, and a Bound of
    the first key when it is a relevance that reads ``all_terms``. ``required`` are the terms
    every match holds in its title or body (translate.required_terms)."""
    parts: list[tuple[str, str]] = []
    bound: Bound | None = None
    for field, descending in parse_sort(sort):
        if field == "score":
            score = _score(cond, connection, words, required) if words else None
            if score is None:
                continue  # every document scores 0: the next key decides
            if not parts and descending and score[1] is not None:
                bound = score[1]
            parts.append((score[0], "DESC" if descending else "ASC"))
        else:
            parts.append((COLUMNS[field], "DESC" if descending else "ASC"))
    parts.append(("seq", "ASC"))
    return parts, bound


def gains(connection: Connection, words: list[str]) -> list[tuple[str, bool, float]]:
    """What each query term adds to a document's relevance, in the order the gains are summed:
    (term, in the title or else in the body, gain), as search/ranking.py computes them."""
    terms = [term for word in words for term in query_terms(normalize_text(word))]
    if not terms:
        return []
    rows = connection.execute(
        text(
            "SELECT term, title_df, body_df FROM search_term WHERE term = ANY(CAST(:t AS text[]))"
        ),
        {"t": sorted(set(terms))},
    ).all()
    df = {term: (title_df, body_df) for term, title_df, body_df in rows}
    total = max(sync.document_count(connection), 1)
    found = []
    for term in terms:
        title_df, body_df = df.get(term, (0, 0))
        for in_title, weight, count in (
            (True, TITLE_WEIGHT, title_df),
            (False, BODY_WEIGHT, body_df),
        ):
            if count > 0:
                found.append((term, in_title, weight * math.log(1 + total / (count + 1))))
    return found


def _score(
    cond: Condition, connection: Connection, words: list[str], required: frozenset[str]
) -> tuple[str, Bound | None] | None:
    """The relevance expression, and its Bound if it reads ``all_terms``. A term of
    ``all_terms`` is in the body unless it is in the title only (``title_only``, a few entries
    kept in the row): reading the body's own array (about 90 terms, out of line) for each match
    cost most of a broad search's time. A term every match holds (``required``) needs no
    ``all_terms`` lookup at all."""
    added: list[str] = []
    # The bound: the gains told from the short arrays, and the sum of those that are not.
    cheap: list[str] = []
    slack = 0.0
    for term, in_title, gain in gains(connection, words):
        array = cond.terms([term])
        reads_all_terms = not in_title and term not in required
        if in_title:
            holds = f"title_terms @> {array}"
        elif reads_all_terms:
            holds = f"(all_terms @> {array} AND NOT title_only @> {array})"
        else:
            holds = f"NOT title_only @> {array}"
        case = (
            f"CASE WHEN {holds} THEN CAST({cond.bind(gain)} AS float8) ELSE CAST(0 AS float8) END"
        )
        added.append(case)
        if reads_all_terms:
            slack += gain
        else:
            cheap.append(case)
    if not added:
        return None
    score = "(CAST(0 AS float8) + " + " + ".join(added) + ")"
    if not slack:
        return score, None
    lower = "(CAST(0 AS float8) + " + " + ".join(cheap or ["CAST(0 AS float8)"]) + ")"
    return score, Bound(lower, f"CAST({cond.bind(slack + _ROUNDING)} AS float8)")
