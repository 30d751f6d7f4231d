"""disaster_mode_show and disaster_mode_update: 災害モード's switch (see state.py).

Anyone may see whether the mode is on and its message (every page shows them while it is on);
only sysadmins switch it, and only they see the automatic switch's settings.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from tsunagu.catalog import authz
from tsunagu.catalog.validation import add, as_bool, as_text
from tsunagu.context import Context
from tsunagu.disaster.pages import PREFIX
from tsunagu.disaster.runtime import disaster_of
from tsunagu.disaster.state import MAX_MESSAGE, read_state, save_switch
from tsunagu.errors import ValidationError
from tsunagu.registry import action
from tsunagu.storage.types import utcnow

log = logging.getLogger(__name__)


def _shown(context: Context) -> dict[str, Any]:
    state = read_state(context.session)
    shown = {**state.as_dict(utcnow()), "page": PREFIX}
    if not context.is_sysadmin:
        shown.pop("updated_by")
        return shown
    settings = context.settings
    shown["automatic_settings"] = {
        "requests_per_second": settings.disaster_auto_rps,
        "window_seconds": settings.disaster_auto_window_seconds,
        "off_ratio": settings.disaster_auto_off_ratio,
        "calm_seconds": settings.disaster_auto_calm_seconds,
    }
    return shown


@action("disaster_mode_show")
def disaster_mode_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Whether 災害モード is on, why (``manual``: a sysadmin switched it on; ``automatic``: load
    did, until ``automatic_until`` unless load goes on), its message and the page it leads to.
    Sysadmins also see who switched it and the automatic switch's settings.

    :rtype: dictionary
    """
    return _shown(context)


def _message(data: dict[str, Any], errors: dict[str, list[str]]) -> str:
    text = as_text(data, "message", errors, limit=MAX_MESSAGE)
    if any(unicodedata.category(c) == "Cc" for c in text):
        add(errors, "message", "改行や制御文字は使えません (No line breaks or control characters)")
    return text


@action("disaster_mode_update", write=True)
def disaster_mode_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Switch 災害モード on or off for every process (sysadmins only). While it is on, the home
    page and the map lead to the 避難場所 page and every page shows the message.

    Switching off also ends a period the load switched on; load over the threshold switches it
    on again unless ``automatic`` is false.

    :param on: true or false (required)
    :param message: what every page says while the mode is on, e.g.
        「台風第10号に伴い避難所を開設しています」 (plain text, at most 500 characters)
    :param automatic: whether load may switch the mode on (default: as before, initially true)
    :returns: the mode as ``disaster_mode_show`` gives it
    :rtype: dictionary
    """
    authz.require_sysadmin(context)
    errors: dict[str, list[str]] = {}
    if data.get("on") in (None, ""):
        add(errors, "on", "必須項目です (Missing value)")
    on = as_bool(data, "on", errors)
    message = _message(data, errors)
    current = read_state(context.session)
    automatic = as_bool(data, "automatic", errors, default=current.automatic_allowed)
    if errors:
        raise ValidationError(errors)
    by = context.user.name if context.user is not None else ""
    save_switch(context.session, on=on, message=message, by=by, automatic=automatic)
    disaster_of(context.services).mode.refresh_after_commit(context.session)
    log.warning("災害モード switched %s by %s", "on" if on else "off", by or "the system")
    return _shown(context)
