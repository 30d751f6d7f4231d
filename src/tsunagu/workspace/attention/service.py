"""The 要対応 home: whose items a caller asks for, and every source's line for that scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tsunagu.catalog import authz
from tsunagu.catalog.lookup import by_id_or_name
from tsunagu.catalog.models import Organization
from tsunagu.catalog.visibility import visibility_for
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized
from tsunagu.storage.types import utcnow
from tsunagu.workspace.attention.registry import sources
from tsunagu.workspace.attention.scope import OrganizationRef, Scope, Threshold
from tsunagu.workspace.attention.thresholds import thresholds

DEFAULT_LIMIT = 5
MAX_LIMIT = 50
_NONE = Threshold()


def _ref(org: Organization) -> OrganizationRef:
    return OrganizationRef(org.id, org.name, org.title or org.name, org.kind, org.local_gov_code)


def _code_order(org: OrganizationRef) -> tuple[bool, str, str]:
    """The prefecture's own order: by 全国地方公共団体コード, organisations without one last."""
    return (org.local_gov_code is None, org.local_gov_code or "", org.name)


def build_scope(context: Context, organization: str | None, limit: int) -> Scope:
    """One organisation (its members and sysadmins), else every organisation the caller
    belongs to, or for a sysadmin the whole prefecture."""
    session = context.session
    if organization:
        org = by_id_or_name(session, Organization, organization, deleted=False)
        if not authz.has_role(context, org.id, "member"):
            raise NotAuthorized(
                "この組織の要対応を見られるのは、組織のメンバーだけです "
                "(Only members of the organization can see what needs attention)"
            )
        orgs = [org]
        everything = False
    else:
        query = select(Organization).where(Organization.state == "active")
        everything = context.is_sysadmin
        if not everything:
            query = query.where(Organization.id.in_(sorted(authz.member_organization_ids(context))))
        orgs = list(session.scalars(query.order_by(Organization.name)))
    refs = {org.id: _ref(org) for org in orgs}
    return Scope(
        context=context,
        organizations=refs,
        everything=everything,
        limit=limit,
        now=utcnow(),
        thresholds=thresholds(session, None if everything else refs),
        draft_orgs=frozenset(
            refs if context.is_sysadmin else authz.member_organization_ids(context, "editor")
        ),
        visibility=visibility_for(context, include_private=True, include_drafts=True),
    )


def collect(scope: Scope) -> dict[str, Any]:
    """Every source's line (sources with nothing to say for the scope are left out)."""
    scope.context.services.search.refresh(scope.context.session)
    lines: list[dict[str, Any]] = []
    per_org: dict[str, int] = {}
    for source in sources():
        line = source.collect(scope)
        if line is None:
            continue
        for name, count in line.by_organization.items():
            per_org[name] = per_org.get(name, 0) + count
        lines.append(
            {
                "kind": source.kind,
                "label": source.label,
                "count": line.count,
                "by_organization": line.by_organization,
                "items": [item.as_dict() for item in line.items],
                "more": line.more,
            }
        )
    return {
        "everything": scope.everything,
        "total": sum(line["count"] for line in lines),
        "lines": lines,
        "organizations": [
            {
                "id": org.id,
                "name": org.name,
                "title": org.title,
                "kind": org.kind,
                "count": per_org.get(org.name, 0),
                "min_stars": scope.thresholds.get(org.id, _NONE).min_stars,
                "min_score": scope.thresholds.get(org.id, _NONE).min_score,
            }
            for org in sorted(scope.organizations.values(), key=_code_order)
        ],
    }
