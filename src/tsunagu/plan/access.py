"""Who may read and change a plan.

* Reading: a published plan is public. An unpublished one (being prepared) is read by members
  of the organisation that owns it, by editors of organisations responsible for one of its
  measures, and by sysadmins. Deleted plans are gone for everyone but sysadmins.
* Changing a plan, its hierarchy, measures, indicators and their bindings, importing tables:
  sysadmins and admins of the owning organisation (the prefecture's ICT policy office owns its
  plan, as an organisation's admins own its harvest sources).
* Recording actual values (実績) of an indicator: also editors (or admins) of any organisation
  the indicator's measure names as responsible. They report their own figures every year, the
  way 各課 report to 情報企画課 in the PDCA cycle, without rights over the rest of the plan.
  Editors and not mere members, because a member is a read-only role everywhere else in the
  catalog.
"""

from __future__ import annotations

from sqlalchemy import select

from tsunagu.catalog import authz
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, NotFound
from tsunagu.plan.models import Indicator, Measure, Plan
from tsunagu.storage.upsert import begin_write

NO_PLAN_RIGHTS = "この計画を編集する権限がありません (User not authorized to edit this plan)"
NO_VALUE_RIGHTS = (
    "この指標の実績値を登録する権限がありません "
    "(User not authorized to record values of this indicator)"
)


def plan_not_found(ref: str) -> NotFound:
    return NotFound(f"計画が見つかりません: {ref} (Plan not found)")


def find_plan(context: Context, ref: str, *, lock: bool = False) -> Plan:
    """The plan by id or name; with ``lock``, locked for a change until commit.

    Changes to one plan take turns on its row (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite: the
    write lock), so each one's checks (a heading's key, a measure's number, a value's date, an
    import still a preview) see what the one before it wrote, instead of both inserting and the
    second failing on the unique key with a 500."""
    plan = context.session.scalar(select(Plan).where((Plan.id == ref) | (Plan.name == ref)))
    if plan is None or (plan.state == "deleted" and not context.is_sysadmin):
        raise plan_not_found(ref)
    if lock:
        begin_write(context.session)
        context.session.refresh(plan, with_for_update=True)
    return plan


def can_manage(context: Context, plan: Plan) -> bool:
    return authz.has_role(context, plan.owner_org, "admin")


def require_manager(context: Context, plan: Plan) -> None:
    if not can_manage(context, plan):
        raise NotAuthorized(NO_PLAN_RIGHTS)


def _responsible_orgs(context: Context, plan_id: str) -> set[str]:
    rows = context.session.scalars(select(Measure.organizations).where(Measure.plan_id == plan_id))
    return {org for orgs in rows for org in (orgs or [])}


def can_read(context: Context, plan: Plan) -> bool:
    if context.is_sysadmin:
        return True
    if plan.state == "deleted":
        return False
    if plan.published:
        return True
    if authz.has_role(context, plan.owner_org, "member"):
        return True
    editor_orgs = authz.member_organization_ids(context, "editor")
    return bool(editor_orgs & _responsible_orgs(context, plan.id))


def readable_plan(context: Context, ref: str) -> Plan:
    """The plan, or NotFound when the caller may not see it (an unpublished plan does not
    reveal itself)."""
    plan = find_plan(context, ref)
    if not can_read(context, plan):
        raise plan_not_found(ref)
    return plan


def can_record_values(context: Context, plan: Plan, indicator: Indicator) -> bool:
    if can_manage(context, plan):
        return True
    if indicator.measure_id is None:
        return False
    measure = context.session.get(Measure, indicator.measure_id)
    if measure is None:
        return False
    return any(authz.has_role(context, org, "editor") for org in measure.organizations or [])


def require_value_recorder(context: Context, plan: Plan, indicator: Indicator) -> None:
    authz.require_login(context)
    if not can_record_values(context, plan, indicator):
        raise NotAuthorized(NO_VALUE_RIGHTS)
