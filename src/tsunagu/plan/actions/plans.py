"""plan_create, plan_update, plan_patch, plan_delete, plan_show, plan_list, plan_activity_list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from tsunagu.catalog import authz, validation
from tsunagu.catalog.activity_access import activity_dict
from tsunagu.catalog.activity_window import fetch, window
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Activity, Organization
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound, ValidationError, require
from tsunagu.plan import access, dashboard, dictize, fiscal, history, inputs
from tsunagu.plan.models import Plan, PlanRevision
from tsunagu.registry import action
from tsunagu.storage.types import new_id
from tsunagu.storage.upsert import flush_or_conflict

NAME_IN_USE = "この名前は既に使われています (That URL is already in use)"
# A plan's hierarchy when none is given: 山口県's, the demo's.
DEFAULT_LEVELS = ["基本目標", "施策の柱", "推進方策", "施策"]
REVISION_KINDS = ("策定", "改定", "更新")


def _owner(context: Context, ref: Any, errors: validation.Errors) -> Organization | None:
    if not ref or not isinstance(ref, str):
        validation.add(
            errors, "owner_org", "組織を指定してください (An organization must be provided)"
        )
        return None
    try:
        return by_id_or_name(context.session, Organization, ref, deleted=False)
    except NotFound:
        validation.add(
            errors, "owner_org", f"組織が見つかりません: {ref} (Organization does not exist)"
        )
        return None


def _levels(data: dict[str, Any], errors: validation.Errors) -> list[str] | None:
    if "level_names" not in data:
        return None
    raw = data["level_names"]
    names = inputs.text_list({"level_names": raw}, "level_names", errors)
    if names is None:
        return None
    if isinstance(raw, str):  # 「基本目標 → 施策の柱 → 施策」 or one name a line
        names = [p.strip() for p in raw.replace("→", "\n").replace(">", "\n").splitlines()]
        names = [n for n in names if n]
    if not 1 <= len(names) <= 6:
        validation.add(
            errors,
            "level_names",
            "階層の名前を 1〜6 個、上から順に指定してください（最後が施策の単位） "
            "(Give 1-6 level names, top down; the last names the measures)",
        )
    return names


def _revisions(data: dict[str, Any], errors: validation.Errors) -> list[PlanRevision] | None:
    if "revisions" not in data:
        return None
    raw = data["revisions"]
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        validation.add(errors, "revisions", "辞書のリストで指定してください (Must be a list)")
        return None
    found = []
    for item in raw:
        kind = item.get("kind") or "策定"
        if kind not in REVISION_KINDS:
            validation.add(
                errors,
                "revisions",
                f"版の種類は {'・'.join(REVISION_KINDS)} のどれかです (Unknown revision kind)",
            )
            continue
        sub: validation.Errors = {}
        day = inputs.iso_date(item.get("date"), "date", sub)
        label = validation.as_text(item, "date_label", sub, limit=inputs.MAX_LABEL)
        if day is None and label and not sub:
            try:
                period = fiscal.parse_period(label)
            except ValueError:
                period = None
            day = period.end if period and period.kind in ("day", "month") else None
        version = validation.as_text(item, "version", sub, limit=50)
        note = validation.as_text(item, "note", sub)
        for messages in sub.values():
            for message in messages:
                validation.add(errors, "revisions", message)
        found.append(
            PlanRevision(kind=kind, date=day, date_label=label, version=version, note=note)
        )
    return found


def _clean(context: Context, data: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
    errors: validation.Errors = {}
    values: dict[str, Any] = {}
    if plan is None or "name" in data:
        name = validation.check_name(data.get("name"), "name", errors)
        taken = context.session.scalar(select(Plan.id).where(Plan.name == name))
        if name and taken and (plan is None or taken != plan.id):
            validation.add(errors, "name", NAME_IN_USE)
        values["name"] = name
    for field, limit in (("title", 1000), ("description", validation.MAX_TEXT)):
        if plan is None or field in data:
            values[field] = validation.as_text(data, field, errors, limit=limit)
    if plan is None and not values.get("title"):
        validation.add(errors, "title", "必須項目です (Missing value)")
    for field in ("evaluation", "source_url"):
        if field in data:
            values[field] = validation.as_text(data, field, errors)
    if values.get("source_url"):
        validation.check_url(values["source_url"], "source_url", errors)
    if plan is None or "owner_org" in data:
        org = _owner(context, data.get("owner_org"), errors)
        if org is not None:
            values["owner_org"] = org.id
    for field in ("period_start", "period_end"):
        if field in data:
            values[field] = inputs.year(data, field, errors)
    start = values.get("period_start", plan.period_start if plan else None)
    end = values.get("period_end", plan.period_end if plan else None)
    if start is not None and end is not None and end < start:
        validation.add(
            errors, "period_end", "終了年度が開始年度より前です (Must not be before period_start)"
        )
    levels = _levels(data, errors)
    if levels is not None:
        values["level_names"] = levels
    elif plan is None:
        values["level_names"] = list(DEFAULT_LEVELS)
    if "published" in data:
        values["published"] = validation.as_bool(data, "published", errors)
    revisions = _revisions(data, errors)
    require(errors)
    if revisions is not None:
        values["revisions"] = revisions
    return values


def _set_revisions(context: Context, plan: Plan, revisions: list[PlanRevision]) -> None:
    context.session.execute(delete(PlanRevision).where(PlanRevision.plan_id == plan.id))
    for revision in revisions:
        revision.plan_id = plan.id
        context.session.add(revision)


@action("plan_create", write=True)
def plan_create(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Create a plan (sysadmins, or admins of the organisation that will own it).

    :param name: URL name (2–100 lowercase letters, digits, - and _)
    :param title: the plan's title (計画名)
    :param owner_org: the owning organisation (id or name)
    :param period_start: first fiscal year (2020, or 「令和2年度」)
    :param period_end: last fiscal year
    :param level_names: the hierarchy's level names top down, the last naming the measures
        (default 基本目標 → 施策の柱 → 推進方策 → 施策)
    :param revisions: its 版: ``[{"kind": "策定"|"改定", "date", "date_label", "version", "note"}]``
    :param description, evaluation, source_url: the plan's text, how it is reviewed, where it is
    :param published: whether the public may read it (default false)
    :returns: the plan (as ``plan_show``)
    """
    authz.require_login(context)
    values = _clean(context, data, None)
    if not authz.has_role(context, values["owner_org"], "admin"):
        raise NotAuthorized(
            "この組織の計画を作る権限がありません (User not authorized to create plans here)"
        )
    revisions = values.pop("revisions", [])
    plan = Plan(id=new_id(), creator_user_id=context.user.id if context.user else None, **values)
    context.session.add(plan)
    # Another request may have taken the name since _clean checked it: a 409, not a 500.
    flush_or_conflict(
        context.session, Plan, field="name", value=plan.name, own_id=plan.id, message=NAME_IN_USE
    )
    _set_revisions(context, plan, revisions)
    history.record(context, plan, "new plan", "plan_create", f"計画「{plan.title}」を作成")
    context.session.flush()
    return dictize.plan_dict(context, plan)


def _update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    plan = access.find_plan(context, require_id(data), lock=True)
    access.require_manager(context, plan)
    values = _clean(context, data, plan)
    if values.get("owner_org", plan.owner_org) != plan.owner_org and not authz.has_role(
        context, values["owner_org"], "admin"
    ):
        raise NotAuthorized(access.NO_PLAN_RIGHTS)
    revisions = values.pop("revisions", None)
    was_published = plan.published
    for key, value in values.items():
        setattr(plan, key, value)
    flush_or_conflict(  # a new name another request took meanwhile: a 409, not a 500
        context.session, Plan, field="name", value=plan.name, own_id=plan.id, message=NAME_IN_USE
    )
    if revisions is not None:
        _set_revisions(context, plan, revisions)
    summary = f"計画「{plan.title}」を更新"
    if plan.published != was_published:
        summary = f"計画「{plan.title}」を{'公開' if plan.published else '非公開に'}"
    history.changed(context, plan, "plan_update", summary, {"fields": sorted(values)})
    context.session.flush()
    return dictize.plan_dict(context, plan)


@action("plan_update", write=True)
def plan_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change a plan (its organisation's admins, sysadmins). Fields not sent keep their value;
    ``revisions`` sent replaces the list.

    :param id: the plan's id or name
    """
    return _update(context, data)


@action("plan_patch", write=True)
def plan_patch(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The same as ``plan_update`` (which already keeps what is not sent)."""
    return _update(context, data)


@action("plan_delete", write=True)
def plan_delete(context: Context, data: dict[str, Any]) -> None:
    """Delete a plan (its organisation's admins, sysadmins). It disappears for everyone but
    sysadmins; its history stays.

    :param id: the plan's id or name
    """
    plan = access.find_plan(context, require_id(data), lock=True)
    access.require_manager(context, plan)
    plan.state = "deleted"
    history.record(context, plan, "deleted plan", "plan_delete", f"計画「{plan.title}」を削除")
    context.session.flush()


@action("plan_show")
def plan_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A plan with its 版, hierarchy, measures, 工程表 and indicators, each indicator with its
    actual values and its progress (published plans: anyone; unpublished: see docs/api.md).

    :param id: the plan's id or name
    :param include_values: include every actual value (default true)
    """
    errors: validation.Errors = {}
    with_values = validation.as_bool(data, "include_values", errors, default=True)
    require(errors)
    plan = access.readable_plan(context, require_id(data))
    shown = dictize.plan_dict(context, plan, with_values=with_values)
    shown["can_edit"] = access.can_manage(context, plan)
    return shown


@action("plan_list")
def plan_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The plans the caller may read, newest period first.

    :param owner_org: only this organisation's (id or name)
    :param include_unpublished: also plans in preparation the caller may read (default false)
    """
    errors: validation.Errors = {}
    unpublished = validation.as_bool(data, "include_unpublished", errors)
    require(errors)
    stmt = select(Plan).where(Plan.state == "active")
    if ref := data.get("owner_org"):
        try:
            org = by_id_or_name(context.session, Organization, str(ref))
        except NotFound:
            raise ValidationError(
                {"owner_org": [f"組織が見つかりません: {ref} (Organization does not exist)"]}
            ) from None
        stmt = stmt.where(Plan.owner_org == org.id)
    plans = context.session.scalars(
        stmt.order_by(Plan.period_start.desc(), Plan.title, Plan.name)
    ).all()
    shown = [p for p in plans if p.published or (unpublished and access.can_read(context, p))]
    orgs = {
        o.id: o
        for o in context.session.scalars(
            select(Organization).where(Organization.id.in_({p.owner_org for p in shown}))
        )
    }
    return [dictize.plan_summary(p, orgs.get(p.owner_org)) for p in shown]


@action("plan_activity_list")
def plan_activity_list(context: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A plan's history, newest first: every change to it, its measures, indicators, values
    and imports.

    :param id: the plan's id or name
    :param limit: at most this many (default 31, at most 100)
    :param offset: skip this many
    """
    plan = access.readable_plan(context, require_id(data))
    stmt = select(Activity).where(Activity.object_id == plan.id)
    return [activity_dict(a) for a in fetch(context, stmt, window(data))]


@action("plan_dashboard_show")
def plan_dashboard_show(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The plan's overview dashboard (whoever may read the plan): each indicator's progress
    toward its target (``achieved``, ``on_track``, ``behind``, ``qualitative``, ``no_data``,
    ``unknown``) by the rule in ``rule``, the counts per status, and for each indicator one row a
    fiscal year with the actual value, what the rule expects at the year's end, and the
    baseline or target in the years they fall.

    :param id: the plan's id or name
    """
    plan = access.readable_plan(context, require_id(data))
    return dashboard.overview(context, plan)
