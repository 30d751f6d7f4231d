"""Who handles data requests and who moderates 活用事例.

The prefecture's ICT office triages: staff (editors and admins) of an organisation of kind
``prefecture`` see every request, assign it to the organisation whose data it is, and may answer
any request and moderate any use case. Municipalities and departments handle their own: editors
and admins of the assigned organisation answer its requests, and moderate use cases built on its
datasets. Sysadmins may do everything.

A request's contact address is for those who answer it, and no one else: staff (any role) of the
assigned organisation and sysadmins. Not the triage office while the request is unassigned, not
other organisations, not the requester's own later visits (whoever reads their screen).
"""

from __future__ import annotations

from sqlalchemy import select

from tsunagu.catalog import authz
from tsunagu.catalog.models import Dataset, Organization
from tsunagu.community.models import DataRequest, Showcase, ShowcasePackage
from tsunagu.context import Context

TRIAGE_KIND = "prefecture"
_TRIAGE_KEY = "community:triage"


def triage_organization_ids(context: Context) -> set[str]:
    """The active organisations of kind ``prefecture`` (the prefecture's ICT office)."""
    return set(
        context.session.scalars(
            select(Organization.id).where(
                Organization.kind == TRIAGE_KIND, Organization.state == "active"
            )
        )
    )


def is_triager(context: Context) -> bool:
    """A sysadmin, or an editor or admin of the prefecture's own organisation."""
    if context.is_sysadmin:
        return True
    if context.user is None:
        return False
    if _TRIAGE_KEY not in context.capacities:
        editors = authz.member_organization_ids(context, "editor")
        held = editors & triage_organization_ids(context) if editors else set()
        context.capacities[_TRIAGE_KEY] = "yes" if held else None
    return context.capacities[_TRIAGE_KEY] == "yes"


def can_handle_request(context: Context, request: DataRequest) -> bool:
    """May change the request's status, answer, dataset or organisation, or take it down."""
    if is_triager(context):
        return True
    return request.organization_id is not None and authz.has_role(
        context, request.organization_id, "editor"
    )


def can_see_contact(context: Context, request: DataRequest) -> bool:
    if context.is_sysadmin:
        return True
    return request.organization_id is not None and authz.has_role(
        context, request.organization_id, "member"
    )


def showcase_owner_orgs(context: Context, showcase_id: str) -> set[str]:
    """Organisations owning a dataset the use case is built on."""
    rows = context.session.scalars(
        select(Dataset.owner_org)
        .join(ShowcasePackage, ShowcasePackage.dataset_id == Dataset.id)
        .where(ShowcasePackage.showcase_id == showcase_id, Dataset.owner_org.is_not(None))
    )
    return {org for org in rows if org}


def can_moderate_showcase(context: Context, showcase: Showcase) -> bool:
    """May approve, reject, change or delete the use case and its list of datasets."""
    if is_triager(context):
        return True
    if context.user is None:
        return False
    editors = authz.member_organization_ids(context, "editor")
    return bool(editors & showcase_owner_orgs(context, showcase.id))


def moderated_organization_ids(context: Context) -> set[str] | None:
    """Organisations whose datasets' use cases the caller moderates; None: all of them."""
    if is_triager(context):
        return None
    return authz.member_organization_ids(context, "editor")
