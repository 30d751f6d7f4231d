"""status_show, help_show, get_site_user and site_read."""

from __future__ import annotations

from typing import Any

from tsunagu import __version__
from tsunagu.accounts.models import User
from tsunagu.catalog import authz, site_options
from tsunagu.catalog.lookup import require_id
from tsunagu.context import Context
from tsunagu.registry import action
from tsunagu.storage.upsert import get_or_create

# The CKAN version whose Action API we follow; clients use it to pick features.
CKAN_API_COMPATIBLE = "2.11.5"
# The account CKAN's get_site_user names: the site itself, as a sysadmin nobody can sign in as.
SITE_USER = "tsunagu-site"


@action("status_show")
def status_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """What this site is: title and description (as config_option_update last set them), URL,
    the CKAN API version it follows, default language and extensions.

    :rtype: dictionary
    """
    options = site_options.site_options(context.session, context.settings)
    return {
        "site_title": options.title,
        "site_description": options.description,
        "site_url": context.settings.site_url,
        "ckan_version": CKAN_API_COMPATIBLE,
        "tsunagu_version": __version__,
        "error_emails_to": None,
        "locale_default": "ja",
        "extensions": ["tsunagu", "datastore", "activity"],
    }


def _generated_help(name: str) -> str:
    from tsunagu.registry import is_write_action  # the registry imports this module

    method = "POST" if is_write_action(name) else "GET または POST (GET or POST)"
    return (
        f"{name}: CKAN 2.11 の同名のアクションと同じ引数・権限・結果です。呼び出しは {method}。"
        f"詳しくは API ガイド（/api-guide）を参照してください。\n"
        f"({name}: the same parameters, rights and result as CKAN 2.11's action of this name; "
        f"call it with {'POST' if is_write_action(name) else 'GET or POST'}.)"
    )


@action("help_show")
def help_show(context: Context, data: dict[str, Any]) -> str:
    """The documentation of an action, as CKAN's help links expect.

    :param name: the action's name
    :returns: its documentation (every action has some)
    :rtype: string
    """
    from tsunagu.registry import get_action  # the registry imports this module

    name = require_id(data, "name")
    return (get_action(name).__doc__ or "").strip() or _generated_help(name)


@action("get_site_user")
def get_site_user(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The site's own account, made on first use (sysadmins only, as in CKAN). It is a
    sysadmin with no password, so nobody can sign in as it. Tsunagu has no legacy API keys:
    ``apikey`` is always null; make a token with ``api_token_create`` if one is needed.

    :returns: ``{"name": …, "apikey": null}``
    """
    authz.require_sysadmin(context)
    # INSERT … ON CONFLICT: first calls made at once make one account, not a unique-key 500.
    user = get_or_create(
        context.session,
        User,
        {"name": SITE_USER},
        {"fullname": "サイト (site)", "sysadmin": True, "password_hash": ""},
    )
    return {"name": user.name, "apikey": None}


@action("site_read")
def site_read(context: Context, data: dict[str, Any]) -> bool:
    """Whether the site may be read (always true).

    :rtype: bool
    """
    return True
