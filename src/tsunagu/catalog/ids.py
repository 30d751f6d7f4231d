"""Ids chosen by the caller when an object is created, as CKAN allows them.

A migration (``ckanapi load``) and a harvester keep the ids of the site they copy: datasets name
their organisation by id, and a resource's id is its datastore table's name. CKAN's rules:

* organisations, groups, datasets and users: only a sysadmin may give ``id`` (anyone else gets
  CKAN's "The input field id was not expected."), it must be a UUID and unused;
* resources: anyone who may edit the dataset may give one (CKAN's resource schema has no
  sysadmin rule), a UUID not used by another dataset's resource.

CKAN keeps organisations and groups in one table, so an id is unused only if neither holds it;
Tsunagu refuses the same, which keeps ``member_create``'s lookup by id unambiguous.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from tsunagu.accounts.models import User
from tsunagu.catalog import validation
from tsunagu.catalog.models import Dataset, Group, Organization, Resource
from tsunagu.catalog.resources import new_resource
from tsunagu.context import Context
from tsunagu.errors import ValidationError, require

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NOT_EXPECTED = "id を指定できるのはシステム管理者だけです (The input field id was not expected.)"
INVALID = "id は小文字の UUID で指定してください (Invalid id provided)"
TAKEN = {
    "dataset": "この id は既に使われています (Dataset id already exists)",
    "organization": "この id は既に使われています (Id already exists)",
    "group": "この id は既に使われています (Id already exists)",
    "user": "この id は既に使われています (Id already exists)",
}
RESOURCE_TAKEN = "この id は既に使われています (Resource id already exists.)"

_MODELS: dict[str, tuple[Any, ...]] = {
    "dataset": (Dataset,),
    "organization": (Organization, Group),
    "group": (Organization, Group),
    "user": (User,),
}


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and bool(_UUID.match(value))


def chosen_id(context: Context, data: dict[str, Any], kind: str) -> str | None:
    """The ``id`` a create call asks for, checked (see the module's rules); None when none was
    given. Raises ValidationError (409) naming the field."""
    errors: validation.Errors = {}
    value = data.get("id")
    if value in (None, ""):
        return None
    if not context.is_sysadmin:
        validation.add(errors, "id", NOT_EXPECTED)
    elif not is_uuid(value):
        validation.add(errors, "id", INVALID)
    elif any(context.session.get(model, value) is not None for model in _MODELS[kind]):
        validation.add(errors, "id", TAKEN[kind])
    require(errors)
    return str(value)


def free_resource_id(context: Context, dataset: Dataset, value: object) -> str | None:
    """Why a resource id asked for in ``dataset`` cannot be used, or None when it can: a UUID
    that no other dataset's resource holds (one of this dataset's own, even deleted, may be
    used again)."""
    if not is_uuid(value):
        return INVALID
    owner = context.session.scalar(select(Resource.dataset_id).where(Resource.id == value))
    if owner is not None and owner != dataset.id:
        return RESOURCE_TAKEN
    return None


def resource_with_id(context: Context, dataset: Dataset, value: object, field: str) -> Resource:
    """A new resource of ``dataset``, with the id asked for when one was (``field`` names it in
    a 409). One of the dataset's own deleted resources asked for by id comes back."""
    if value in (None, ""):
        return new_resource(dataset)
    problem = free_resource_id(context, dataset, value)
    if problem:
        raise ValidationError({field: [problem]})
    existing = context.session.get(Resource, value)
    if existing is not None:
        existing.state = "active"
        return existing
    resource = new_resource(dataset)
    resource.id = str(value)
    return resource
