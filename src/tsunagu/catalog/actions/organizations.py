"""organization_* actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tsunagu.accounts.models import User
from tsunagu.catalog import authz, foreign_fields, hierarchy, ids, rosters, validation
from tsunagu.catalog.actions import members
from tsunagu.catalog.activity import record_activity
from tsunagu.catalog.autocomplete import autocomplete
from tsunagu.catalog.dictize import organization_dict, with_follower_counts
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Dataset, Membership, Organization
from tsunagu.catalog.revision import bump_revision
from tsunagu.catalog.search_params import search_query
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError, require
from tsunagu.registry import action
from tsunagu.search.interface import SearchResult
from tsunagu.storage.types import new_id
from tsunagu.storage.upsert import begin_write, flush_or_conflict

_SORTS = {"name": Organization.name, "title": Organization.title}
NAME_IN_USE = "この名前は既に使われています (Group name already exists in database)"


def _clean(context: Context, data: dict[str, Any], current: Organization | None) -> dict[str, Any]:
    errors: validation.Errors = {}
    values: dict[str, Any] = {"name": validation.check_name(data.get("name"), "name", errors)}
    for field in ("title", "description", "image_url", "contact_email", "contact_phone", "url"):
        values[field] = validation.as_text(data, field, errors)
    if not values["title"]:
        validation.add(errors, "title", "必須項目です (Missing value)")
    values["image_url"] = logo_url(values["image_url"], data)
    validation.check_email(values["contact_email"], "contact_email", errors)
    validation.check_url(values["url"], "url", errors)
    values["extras"] = foreign_fields.container_extras(
        data, current.extras if current is not None else None, errors
    )
    code_text = validation.as_text(data, "local_gov_code", errors)
    kind = validation.as_text(data, "kind", errors)
    # Another CKAN keeps the 全国地方公共団体コード in an extra: it becomes the organisation's code.
    found_code = (
        None if code_text or kind else foreign_fields.local_code_from_extras(values["extras"])
    )
    if found_code:
        code_text = found_code
        kind = "prefecture" if found_code[2:5] == "000" else "municipality"
    kind = kind or "other"
    if kind not in validation.ORG_KINDS:
        validation.add(
            errors, "kind", f"次のいずれかを指定してください: {', '.join(validation.ORG_KINDS)}"
        )
    values["kind"] = kind
    values["local_gov_code"] = validation.check_local_gov_code(code_text, errors)
    if kind in ("prefecture", "municipality") and not values["local_gov_code"]:
        validation.add(
            errors,
            "local_gov_code",
            "都道府県・市区町村には全国地方公共団体コードが必要です "
            "(Required for prefectures and municipalities)",
        )
    for field in ("latitude", "longitude"):
        raw = data.get(field)
        values[field] = None
        if raw not in (None, ""):
            try:
                values[field] = float(raw)
            except (TypeError, ValueError):
                validation.add(errors, field, "数値で指定してください (Must be a number)")
    values["parent_id"], values["parent_ref"] = hierarchy.resolve(
        context,
        hierarchy.parent_reference(data, errors),
        errors,
        current.parent_ref if current is not None else None,
    )
    if values["name"]:
        clash = context.session.scalar(
            select(Organization.id).where(Organization.name == values["name"])
        )
        if clash and (current is None or clash != current.id):
            validation.add(errors, "name", NAME_IN_USE)
    require(errors)
    return values


def _save_name(context: Context, org: Organization, own_id: str | None) -> None:
    """Flush; a name another request took since _clean checked it is a 409, not a 500."""
    flush_or_conflict(
        context.session,
        Organization,
        field="name",
        value=org.name,
        own_id=own_id,
        message=NAME_IN_USE,
    )


def _datasets(context: Context, org: Organization, rows: int) -> SearchResult:
    """The organisation's datasets that the caller may see."""
    query = search_query(
        context,
        {
            "fq": f'owner_org:"{org.id}"',
            "rows": rows,
            "sort": "title_string asc",
            "include_private": True,
        },
    )
    context.services.search.refresh(context.session)
    return context.services.search.search(query)


def _public_counts(context: Context) -> dict[str, int]:
    query = search_query(context, {"rows": 0, "facet.field": ["organization"], "facet.limit": -1})
    context.services.search.refresh(context.session)
    return context.services.search.search(query).facets.get("organization", {})


def logo_url(image_url: str, data: dict[str, Any]) -> str:
    """A CKAN site's uploaded logo is a bare file name in ``image_url``; its address is in
    ``image_display_url``, which is what another site can show."""
    display = data.get("image_display_url")
    if image_url and "://" not in image_url and isinstance(display, str) and "://" in display:
        return display
    return image_url


def _as_dict(context: Context, org: Organization) -> dict[str, Any]:
    parent = context.session.get(Organization, org.parent_id) if org.parent_id else None
    data = organization_dict(org, parent.name if parent else None)
    data["parent_pending"] = org.parent_ref
    data["package_count"] = _datasets(context, org, 0).count
    return with_follower_counts(context.session, [data])[0]


@action("organization_create", write=True)
def organization_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    authz.require_sysadmin(context)
    # Creates take turns (the revision counter's row lock; SQLite's write lock) before reading
    # anything: a child and the parent it waits for, loaded at once by `ckanapi load -p 4`,
    # then always see each other, whichever commits first.
    begin_write(context.session)
    revision = bump_revision(context.session)
    org_id = ids.chosen_id(context, data, "organization") or new_id()
    errors: validation.Errors = {}
    roster = rosters.read_roster(context, data, errors)
    values = _clean(context, data, None)
    require(errors)
    org = Organization(id=org_id, **values, revision=revision)
    context.session.add(org)
    _save_name(context, org, None)
    hierarchy.adopt_waiting_children(context, org)
    rosters.apply_roster(context, org, roster)
    result = _as_dict(context, org)
    record_activity(context, org.id, "new organization", result)
    return result


@action("organization_update", write=True)
def organization_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    org = by_id_or_name(context.session, Organization, require_id(data), deleted=False)
    authz.require_role(context, org.id, "admin")
    errors: validation.Errors = {}
    roster = rosters.read_roster(context, data, errors)
    values = _clean(context, {**data, "name": data.get("name", org.name)}, org)
    require(errors)
    hierarchy.check_no_loop(context, org.id, values["parent_id"])
    for key, value in values.items():
        setattr(org, key, value)
    _save_name(context, org, org.id)
    # Renamed to a name a child is waiting for: link it.
    hierarchy.adopt_waiting_children(context, org)
    rosters.apply_roster(context, org, roster)
    # Package dicts embed the organisation (title, kind, code …): reindex its datasets. Their
    # rows are locked before the revision counter, the order every dataset write takes, so this
    # cannot deadlock with one of them (PostgreSQL).
    datasets = context.session.scalars(
        select(Dataset).where(Dataset.owner_org == org.id).order_by(Dataset.id).with_for_update()
    ).all()
    org.revision = bump_revision(context.session)
    for dataset in datasets:
        dataset.revision = org.revision
    result = _as_dict(context, org)
    record_activity(context, org.id, "changed organization", result)
    return result


@action("organization_patch", write=True)
def organization_patch(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    org = by_id_or_name(context.session, Organization, require_id(data), deleted=False)
    current = organization_dict(org)
    current["parent"] = data.get("parent", org.parent_id or org.parent_ref)
    return organization_update(context, {**current, **data, "id": org.id})


@action("organization_delete", write=True)
def organization_delete(context: Context, data: dict[str, Any]) -> None:
    org = by_id_or_name(context.session, Organization, require_id(data), deleted=False)
    authz.require_sysadmin(context)
    active = context.session.scalar(
        select(func.count())
        .select_from(Dataset)
        .where(Dataset.owner_org == org.id, Dataset.state != "deleted")
    )
    if active:
        raise ValidationError(
            {
                "id": [
                    f"データセットが {active} 件残っているため削除できません "
                    "(Organization still has datasets)"
                ]
            }
        )
    org.state = "deleted"
    org.revision = bump_revision(context.session)
    record_activity(context, org.id, "deleted organization", organization_dict(org))


@action("organization_show")
def organization_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    org = by_id_or_name(context.session, Organization, require_id(data), deleted=False)
    result = _as_dict(context, org)
    if validation.as_bool(data, "include_datasets", {}, default=False):
        result["packages"] = _datasets(context, org, 1000).results
    if validation.as_bool(data, "include_users", {}, default=False):
        # Who belongs to an organisation is shown to its members (and sysadmins) only.
        result["users"] = []
        if authz.has_role(context, org.id, "member"):
            rows = context.session.execute(
                select(User, Membership.capacity)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.organization_id == org.id)
                .order_by(User.name)
            )
            result["users"] = [
                {"id": u.id, "name": u.name, "fullname": u.fullname, "capacity": cap}
                for u, cap in rows
            ]
    return result


@action("organization_list")
def organization_list(context: Context, data: dict[str, Any]) -> list[Any]:
    errors: validation.Errors = {}
    all_fields = validation.as_bool(data, "all_fields", errors)
    sort = str(data.get("sort") or "title asc")
    sort_field, _, direction = sort.partition(" ")
    if sort_field not in _SORTS and sort_field != "package_count":
        validation.add(errors, "sort", "name, title, package_count のいずれかで並べ替えてください")
    limit, offset = validation.paging(data, errors)
    require(errors)
    stmt = select(Organization).where(Organization.state == "active")
    wanted = data.get("organizations")
    if wanted:
        names = wanted if isinstance(wanted, list) else str(wanted).split(",")
        stmt = stmt.where(Organization.name.in_(names))
    orgs = list(context.session.scalars(stmt))
    counts = _public_counts(context)
    key_fn = {
        "name": lambda o: o.name,
        "title": lambda o: o.title or o.name,
        "package_count": lambda o: counts.get(o.name, 0),
    }[sort_field if sort_field in _SORTS or sort_field == "package_count" else "title"]
    orgs.sort(key=key_fn, reverse=direction.strip().lower() == "desc")
    orgs = orgs[offset : offset + limit if limit is not None else None]
    if not all_fields:
        return [o.name for o in orgs]
    parents = {o.id: o.name for o in context.session.scalars(select(Organization))}
    out = []
    for org in orgs:
        item = organization_dict(org, parents.get(org.parent_id or ""))
        item["package_count"] = counts.get(org.name, 0)
        out.append(item)
    return with_follower_counts(context.session, out)


# CKAN's permissions per role; "admin" holds every permission.
_ROLE_PERMISSIONS = {
    "admin": ("admin", "membership"),
    "editor": ("read", "delete_dataset", "create_dataset", "update_dataset", "manage_group"),
    "member": ("read", "manage_group"),
}


def roles_with_permission(permission: str) -> list[str]:
    return [
        role
        for role, permissions in _ROLE_PERMISSIONS.items()
        if permission in permissions or "admin" in permissions
    ]


@action("organization_list_for_user")
def organization_list_for_user(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The organisations where a user holds a permission (default ``manage_group``, which every
    role holds: all the organisations the user belongs to), each with the user's ``capacity``."""
    errors: validation.Errors = {}
    with_counts = validation.as_bool(data, "include_dataset_count", errors)
    with_members = validation.as_bool(data, "include_member_count", errors)
    require(errors)
    user = context.user
    if data.get("id"):
        ref = str(data["id"])
        user = context.session.scalar(select(User).where((User.id == ref) | (User.name == ref)))
        if user is None:
            raise NotFound(f"ユーザーが見つかりません: {ref} (User not found)")
        # Which organisations someone belongs to is shown to them and to sysadmins only.
        if not context.is_sysadmin and (context.user is None or context.user.id != user.id):
            raise NotAuthorized()
    if user is None:
        if not context.ignore_auth:
            return []
        return _for_user_dicts(context, _with_capacity(context, "admin"), with_counts, with_members)
    if user.sysadmin:
        return _for_user_dicts(context, _with_capacity(context, "admin"), with_counts, with_members)
    roles = roles_with_permission(str(data.get("permission") or "manage_group"))
    rows = context.session.execute(
        select(Organization, Membership.capacity)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(
            Membership.user_id == user.id,
            Membership.capacity.in_(roles),
            Organization.state == "active",
        )
    )
    pairs = [(org, capacity) for org, capacity in rows]
    return _for_user_dicts(context, pairs, with_counts, with_members)


def _with_capacity(context: Context, capacity: str) -> list[tuple[Organization, str]]:
    orgs = context.session.scalars(select(Organization).where(Organization.state == "active"))
    return [(org, capacity) for org in orgs]


def _for_user_dicts(
    context: Context,
    rows: list[tuple[Organization, str]],
    with_counts: bool,
    with_members: bool,
) -> list[dict[str, Any]]:
    counts = _public_counts(context) if with_counts else {}
    members: dict[str, int] = {}
    if with_members:
        counted = context.session.execute(
            select(Membership.organization_id, func.count()).group_by(Membership.organization_id)
        )
        members = {org_id: count for org_id, count in counted}
    out = []
    for org, capacity in rows:
        item = {**organization_dict(org), "capacity": capacity}
        if with_counts:
            item["package_count"] = counts.get(org.name, 0)
        if with_members:
            item["member_count"] = members.get(org.id, 0)
        out.append(item)
    with_follower_counts(context.session, out)
    return sorted(out, key=lambda o: o["display_name"])


@action("organization_autocomplete")
def organization_autocomplete(context: Context, data: dict[str, Any]) -> list[dict[str, str]]:
    """Active organisations whose name or title contains ``q``, as ``{id, name, title}``.

    :param q: the text to look for
    :param limit: at most this many (default 20)
    """
    return autocomplete(context, Organization, data)


@action("organization_member_create", write=True)
def organization_member_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Make a user a member of an organisation, or change their role (its admins, sysadmins).

    :param id: organisation id or name
    :param username: user name or id
    :param role: ``admin``, ``editor`` or ``member``
    """
    org = by_id_or_name(context.session, Organization, require_id(data), deleted=False)
    authz.require_role(context, org.id, "admin")
    errors: validation.Errors = {}
    role = str(data.get("role") or "")
    if role not in authz.ROLE_RANK:
        validation.add(errors, "role", "admin, editor, member のいずれかを指定してください")
    username = str(data.get("username") or "")
    user = members.user_by_ref(context, username)
    if user is None:
        validation.add(errors, "username", f"ユーザーが見つかりません: {username} (User not found)")
    require(errors)
    assert user is not None
    return members.set_user_role(context, org, user, role)


@action("organization_member_delete", write=True)
def organization_member_delete(context: Context, data: dict[str, Any]) -> None:
    """Remove a user from an organisation (its admins, sysadmins).

    :param id: organisation id or name
    :param username: user name or id
    """
    org = by_id_or_name(context.session, Organization, require_id(data), deleted=False)
    authz.require_role(context, org.id, "admin")
    username = str(data.get("username") or data.get("user_id") or "")
    user = members.user_by_ref(context, username)
    if user is None:
        raise NotFound(f"ユーザーが見つかりません: {username} (User not found)")
    members.remove_user(context, org, user)
