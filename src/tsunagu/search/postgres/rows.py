"""An index document (search/documents.py, shared with the embedded engine) as a table row."""

from __future__ import annotations

from typing import Any

from tsunagu.search.documents import IndexDocument
from tsunagu.search.normalize import normalize_text

# Separates a field's name from its normalised value in ``vals`` (never in a field name).
SEP = "\x1f"
# The facets a portal asks for on every search, each with a column of its own ``vals`` entries,
# so that counting them reads no other value and filters none out.
FACET_COLUMNS = {
    "organization": "f_organization",
    "groups": "f_groups",
    "tags": "f_tags",
    "res_format": "f_res_format",
    "license_id": "f_license_id",
}


def value_key(field: str, value: str) -> str:
    """The ``vals`` entry of one exact-match value, as a query looks it up."""
    return f"{field}{SEP}{normalize_text(value)}"


def document_row(doc: IndexDocument, seq: int) -> dict[str, Any]:
    vals: dict[str, str] = {}
    for field, values in doc.values.items():
        for value in values:
            # One entry per normalised value: "AED" and "aed" in one document count once.
            vals.setdefault(value_key(field, value), value)
    texts = {field: text for field, text in doc.texts.items() if field != "text"}
    facet_columns = {
        column: [key for key in vals if key.startswith(field + SEP)]
        for field, column in FACET_COLUMNS.items()
    }
    return {
        **facet_columns,
        "id": doc.id,
        "seq": seq,
        "name": doc.name,
        "owner_org": doc.owner_org,
        "private": doc.private,
        "state": doc.state,
        "creator_user_id": doc.creator_user_id,
        "raw": doc.raw,
        "title_sort": doc.title_sort,
        "metadata_modified": doc.metadata_modified,
        "metadata_created": doc.metadata_created,
        "next_update_due": doc.next_update_due,
        # Datasets without a due date sort after every date ascending (ranking._sort_value).
        "next_update_sort": doc.next_update_due or "~",
        "num_resources": doc.num_resources,
        "num_tags": doc.num_tags,
        "quality_stars": doc.quality_stars,
        "quality_score": doc.quality_score,
        "title_terms": list(doc.title_terms),
        "body_terms": list(doc.body_terms),
        "all_terms": list(dict.fromkeys((*doc.title_terms, *doc.body_terms))),
        "title_only": title_only(doc.title_terms, doc.body_terms),
        "chars": list(doc.chars),
        "reading_terms": list(doc.reading_terms),
        "reading": doc.reading,
        "vals": list(vals),
        "shown": list(vals.values()),
        "text_all": doc.texts.get("text", ""),
        "texts": texts,
    }


def title_only(title_terms: tuple[str, ...], body_terms: tuple[str, ...]) -> list[str]:
    """The title's terms that are not in the body: with ``all_terms``, whether a term is in the
    body, without reading the body's long array."""
    body = set(body_terms)
    return [term for term in title_terms if term not in body]


def facet_titles(doc: IndexDocument) -> list[dict[str, str]]:
    return [
        {"field": field, "value": value, "title": title}
        for field, titles in doc.titles.items()
        for value, title in titles.items()
    ]
