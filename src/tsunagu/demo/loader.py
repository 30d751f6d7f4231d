"""`tsunagu demo load`: put the demo catalog into an empty store through the normal actions."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import func, select

from tsunagu.accounts.models import User
from tsunagu.bootstrap import action_context
from tsunagu.catalog.models import Dataset, Organization
from tsunagu.context import Context, Services
from tsunagu.demo import community as community_demo
from tsunagu.demo import plan_yamaguchi
from tsunagu.demo.common import PORTAL_URL
from tsunagu.demo.content import DemoCatalog, DemoDataset, demo_catalog
from tsunagu.registry import call_action


@dataclass
class _FileUpload:
    """What resource actions accept as an uploaded file."""

    filename: str
    file: BinaryIO


def catalog_is_empty(services: Services) -> bool:
    with services.sessions() as session:
        orgs = session.scalar(select(func.count()).select_from(Organization))
        datasets = session.scalar(select(func.count()).select_from(Dataset))
    return not orgs and not datasets


def load_demo(services: Services, progress: Callable[[str], None] = lambda _: None) -> str:
    """Load everything in one transaction, so a failure leaves the store as it was."""
    catalog = demo_catalog()
    with action_context(services, ignore_auth=True) as system:
        _users(system, catalog)
        admin = system.session.scalar(select(User).where(User.name == "admin"))
        acting = Context(services=services, session=system.session, user=admin, ignore_auth=True)
        _organizations(acting, catalog)
        for total, dataset in enumerate(catalog.datasets, start=1):
            _dataset(acting, dataset)
            if total % 10 == 0 or total == len(catalog.datasets):
                progress(f"  データセット {total}/{len(catalog.datasets)}")
        # The prefecture's plan with its KPIs (plan/), after the data it counts.
        plan = plan_yamaguchi.load(acting)
        progress(f"  {plan}")
        # Requests at each status and approved use cases (community/).
        community = community_demo.load(acting)
        progress(f"  {community}")
    with services.sessions() as session:
        services.search.refresh(session)
    resources = sum(len(d.resources) for d in catalog.datasets)
    return (
        f"組織 {len(catalog.organizations)}、グループ {len(catalog.groups)}、"
        f"データセット {len(catalog.datasets)}、リソース {resources}、"
        f"ユーザー {len(catalog.users)}、{plan}、{community}"
    )


def _users(context: Context, catalog: DemoCatalog) -> None:
    for user in catalog.users:
        call_action(
            "user_create",
            context,
            {
                "name": user.name,
                "fullname": user.fullname,
                "email": user.email,
                "password": user.password,
                "sysadmin": user.sysadmin,
            },
        )


def _organizations(context: Context, catalog: DemoCatalog) -> None:
    # Parents first: the prefecture, then its departments and municipalities.
    for org in sorted(catalog.organizations, key=lambda o: o.parent is not None):
        call_action(
            "organization_create",
            context,
            {
                "name": org.name,
                "title": org.title,
                "kind": org.kind,
                "local_gov_code": org.local_gov_code,
                "parent": org.parent,
                "description": org.description,
                "contact_email": org.contact_email,
                "url": org.url,
                "latitude": org.latitude,
                "longitude": org.longitude,
            },
        )
    for group in catalog.groups:
        call_action(
            "group_create",
            context,
            {"name": group.name, "title": group.title, "description": group.description},
        )
    for user in catalog.users:
        for org_name, role in user.memberships:
            call_action(
                "organization_member_create",
                context,
                {"id": org_name, "username": user.name, "role": role},
            )


def _on_this_site(context: Context, content: bytes) -> bytes:
    """Links in the demo files (the オープンデータ一覧) point at the site being loaded. The URL is
    ASCII, so the bytes are the same in UTF-8 and Shift_JIS files."""
    site = context.settings.site_url.rstrip("/").encode("ascii", "ignore")
    return content.replace(PORTAL_URL.encode("ascii"), site) if site else content


def _dataset(context: Context, dataset: DemoDataset) -> None:
    call_action(
        "package_create",
        context,
        {
            "name": dataset.name,
            "title": dataset.title,
            "notes": dataset.notes,
            "owner_org": dataset.organization,
            "groups": [{"name": g} for g in dataset.groups],
            "tags": [{"name": t} for t in dataset.tags],
            "license_id": dataset.license_id,
            "frequency": dataset.frequency,
            "spatial": dataset.spatial,
            "temporal_start": dataset.temporal_start or "",
            "temporal_end": dataset.temporal_end or "",
            "author": dataset.author,
            "maintainer_email": dataset.maintainer_email,
            # The section that keeps the data is whom to ask about it.
            "contact_name": dataset.author,
            "contact_email": dataset.maintainer_email,
            "standard_id": dataset.standard_id,
            "private": dataset.private,
            "extras": [{"key": k, "value": v} for k, v in dataset.extras.items()],
        },
    )
    for resource in dataset.resources:
        call_action(
            "resource_create",
            context,
            {
                "package_id": dataset.name,
                "name": resource.name,
                "description": resource.description,
                "format": resource.format,
                "upload": _FileUpload(
                    resource.filename, io.BytesIO(_on_this_site(context, resource.content()))
                ),
            },
        )
