"""tag_list and license_list."""

from __future__ import annotations

from typing import Any

from tsunagu.catalog import validation
from tsunagu.catalog.licenses import LICENSES
from tsunagu.catalog.search_params import search_query
from tsunagu.context import Context
from tsunagu.errors import require
from tsunagu.registry import action
from tsunagu.search.normalize import normalize_text


@action("tag_list")
def tag_list(context: Context, data: dict[str, Any]) -> list[Any]:
    """Tags of public datasets (as CKAN: tags only reachable through private data stay hidden)."""
    errors: validation.Errors = {}
    query_text = normalize_text(validation.as_text(data, "query", errors, limit=100))
    all_fields = validation.as_bool(data, "all_fields", errors)
    require(errors)
    query = search_query(context, {"rows": 0, "facet.field": ["tags"], "facet.limit": -1})
    context.services.search.refresh(context.session)
    counts = context.services.search.search(query).facets.get("tags", {})
    names = sorted(name for name in counts if query_text in normalize_text(name))
    if all_fields:
        return [
            {
                "id": name,
                "name": name,
                "display_name": name,
                "vocabulary_id": None,
                "count": counts[name],
            }
            for name in names
        ]
    return names


@action("license_list")
def license_list(context: Context, data: dict[str, Any]) -> list[dict[str, object]]:
    return [lic.as_dict() for lic in LICENSES]
