"""Read actions behind the dataset form: a URL name from a title, and whether a name is free."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.lookup import by_id_or_name
from tsunagu.catalog.metadata import names
from tsunagu.catalog.models import Dataset, Organization
from tsunagu.context import Context
from tsunagu.errors import NotFound, require
from tsunagu.registry import action


def _own_id(context: Context, data: dict[str, Any]) -> str | None:
    """The dataset being edited (its own name counts as free); unknown ids are ignored, so the
    answer never tells whether some private dataset exists."""
    ref = data.get("id")
    if not isinstance(ref, str) or not ref.strip():
        return None
    return context.session.scalar(
        select(Dataset.id).where(or_(Dataset.id == ref.strip(), Dataset.name == ref.strip()))
    )


@action("package_name_suggest")
def package_name_suggest(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A free URL name (``name``) for a dataset title: the title in romaji as a slug by CKAN's
    name rules, the organisation's name first when ``owner_org`` is given and the title does not
    start with it, and -2, -3 … when taken. Signed-in users only.

    :param title: the dataset's title (Japanese is read in romaji)
    :param owner_org: optional organisation id or name
    :param id: optional id or name of the dataset being edited (its own name counts as free)
    :returns: ``{"name": suggestion, "title": title}``
    """
    authz.require_login(context)
    errors: validation.Errors = {}
    title = validation.as_text(data, "title", errors, limit=1000)
    if not title and "title" not in errors:
        validation.add(errors, "title", "必須項目です (Missing value)")
    org_name = None
    if ref := validation.as_text(data, "owner_org", errors):
        try:
            org_name = by_id_or_name(context.session, Organization, ref, deleted=False).name
        except NotFound:
            validation.add(
                errors, "owner_org", f"組織が見つかりません: {ref} (Organization does not exist)"
            )
    require(errors)
    suggestion = names.suggest(context.session, title, org_name, _own_id(context, data))
    return {"name": suggestion, "title": title}


@action("package_name_check")
def package_name_check(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Whether ``name`` can be a dataset's URL name, and why not. Signed-in users only.

    :param name: the URL name to check
    :param id: optional id or name of the dataset being edited (its own name counts as free)
    :returns: ``{"name", "valid", "available", "reason", "suggestion"}``: ``valid`` is the
        format (CKAN's name rules), ``available`` that no dataset (in any state) has it,
        ``reason`` a message when it cannot be used, ``suggestion`` a free name close to it
        (null when the name itself is free)
    """
    authz.require_login(context)
    errors: validation.Errors = {}
    name = validation.as_text(data, "name", errors, limit=200)
    require(errors)
    own_id = _own_id(context, data)
    checked = names.check(context.session, name, own_id)
    suggestion = None
    if checked.valid and not checked.available:
        suggestion = names.unique_name(context.session, checked.name, own_id)
    elif not checked.valid and checked.name:
        slug = names.slug_from_title(checked.name)
        suggestion = names.unique_name(context.session, slug, own_id) if len(slug) >= 2 else None
    return {
        "name": checked.name,
        "valid": checked.valid,
        "available": checked.available,
        "reason": checked.reason,
        "suggestion": suggestion,
    }
