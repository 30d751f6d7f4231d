"""Which organisation a harvested record goes to.

Normally the source's. A source whose records belong to several organisations (a prefecture's
オープンデータ一覧 listing its municipalities' datasets) may name, per record, the
全国地方公共団体コード of the organisation publishing it (``PackageDraft.owner_code``); the
harvester does so only when a sysadmin turned that on in the source's config (see
``sources.clean``: such keys are the harvester's ``sysadmin_config``), since it writes into
organisations the source's own admins may not manage.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagu.catalog.models import Organization

# When several organisations share a code (a prefecture and its departments), the body itself.
_PREFERRED_KINDS = ("municipality", "prefecture")


def owner_for(session: Session, code: str, source_org: str) -> str:
    """The id of the active organisation with 全国地方公共団体コード ``code``; the source's own
    organisation when the code is empty, names none, or names several equally."""
    code = (code or "").strip()
    if not code:
        return source_org
    found = list(
        session.execute(
            select(Organization.id, Organization.kind).where(
                Organization.local_gov_code == code, Organization.state == "active"
            )
        )
    )
    ids = [org_id for org_id, _kind in found]
    if not ids or source_org in ids:
        return source_org
    if len(ids) == 1:
        return ids[0]
    bodies = [org_id for org_id, kind in found if kind in _PREFERRED_KINDS]
    return bodies[0] if len(bodies) == 1 else source_org


def name_of(session: Session, org_id: str) -> str:
    return session.scalar(select(Organization.name).where(Organization.id == org_id)) or ""
