"""status_show and site_read."""

from __future__ import annotations

from typing import Any

from tsunagu import __version__
from tsunagu.catalog.lookup import require_id
from tsunagu.context import Context
from tsunagu.registry import action

# The CKAN version whose Action API we follow; clients use it to pick features.
CKAN_API_COMPATIBLE = "2.10.4"


@action("status_show")
def status_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "site_title": context.settings.site_title,
        "site_description": "都道府県と市町村の共同オープンデータカタログ",
        "site_url": context.settings.site_url,
        "ckan_version": CKAN_API_COMPATIBLE,
        "tsunagu_version": __version__,
        "error_emails_to": None,
        "locale_default": "ja",
        "extensions": ["tsunagu"],
    }


@action("help_show")
def help_show(context: Context, data: dict[str, Any]) -> str:
    """The documentation of an action, as CKAN's help links expect."""
    from tsunagu.registry import get_action  # the registry imports this module

    return (get_action(require_id(data, "name")).__doc__ or "").strip()


@action("site_read")
def site_read(context: Context, data: dict[str, Any]) -> bool:
    return True
