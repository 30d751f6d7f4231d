"""config_option_list, config_option_show, config_option_update: the site settings sysadmins
change at run time (see catalog/site_options.py). Sysadmins only, as in CKAN."""

from __future__ import annotations

from typing import Any

from tsunagu.catalog import authz, site_options
from tsunagu.catalog.lookup import require_id
from tsunagu.context import Context
from tsunagu.errors import ValidationError
from tsunagu.registry import action


@action("config_option_list")
def config_option_list(context: Context, data: dict[str, Any]) -> list[str]:
    """The keys of the options ``config_option_update`` can change (sysadmins only):
    ckan.site_title, ckan.site_description, ckan.site_about, ckan.site_intro_text,
    ckan.site_logo, ckan.site_custom_css.

    :rtype: list of strings
    """
    authz.require_sysadmin(context)
    return list(site_options.EDITABLE)


@action("config_option_show")
def config_option_show(context: Context, data: dict[str, Any]) -> str:
    """The current value of one editable option (sysadmins only).

    :param key: the option's key, e.g. ``ckan.site_title``
    :rtype: string
    """
    authz.require_sysadmin(context)
    key = require_id(data, "key")
    if key not in site_options.EDITABLE:
        raise ValidationError(
            {
                "message": [
                    f"この設定は表示できません (Configuration option '{key}' can not be shown)"
                ]
            }
        )
    return site_options.values(context.session, context.settings)[key]


@action("config_option_update", write=True)
def config_option_update(context: Context, data: dict[str, Any]) -> dict[str, str]:
    """Change editable options (sysadmins only); every process shows the new values on its
    next page. Keys outside ``config_option_list`` are refused (409) and nothing changes.

    The logo must be an address on this site; the custom CSS is served as a stylesheet of its
    own and may not contain ``<``.

    :param ckan.site_title: (and any other key of ``config_option_list``) the new value
    :returns: the options set
    :rtype: dictionary
    """
    authz.require_sysadmin(context)
    unknown = sorted(k for k in data if k not in site_options.EDITABLE)
    if unknown:
        raise ValidationError(
            {
                "message": [
                    f"変更できない設定です: {' '.join(unknown)} "
                    f"(Configuration option(s) '{' '.join(unknown)}' can not be updated)"
                ]
            }
        )
    changes: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        checked, problem = site_options.check(key, value, context.settings)
        if problem:
            errors[key] = [problem]
        changes[key] = checked
    if errors:
        raise ValidationError(errors)
    site_options.save(context.session, changes)
    return changes
