"""Counting at request time: the portal's pages, the downloads and the Action API call these.

Each decides from the User-Agent whether and how to count (usage/clients.py: bots are not
counted, programs are counted as API use) and hands ids to the counters; the request itself —
address, User-Agent, cookie, user — goes no further. Best effort: whatever goes wrong while
counting is logged, and the page or file is served all the same.

``TSUNAGU_USAGE_ANALYTICS=0`` turns counting off altogether (benchmarks/analytics.py measures
what it costs); leave it on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from tsunagu.catalog.models import Dataset, Resource
from tsunagu.context import Services
from tsunagu.usage.clients import classify
from tsunagu.usage.counters import Subject, record

log = logging.getLogger(__name__)

# Action API calls counted as a view (api_views) of what they return.
VIEW_ACTIONS = ("package_show", "resource_show")


def package_subject(package: Mapping[str, Any]) -> Subject:
    """A dataset as package_show returns it."""
    return Subject(
        dataset_id=str(package["id"]),
        organization_id=package.get("owner_org") or None,
        public=not package.get("private") and package.get("state", "active") == "active",
    )


def resource_subject(resource: Resource) -> Subject:
    """A resource row whose dataset is loaded."""
    return _dataset_subject(resource.dataset, resource.id)


def _dataset_subject(dataset: Dataset, resource_id: str | None = None) -> Subject:
    return Subject(
        dataset_id=dataset.id,
        organization_id=dataset.owner_org,
        public=not dataset.private and dataset.state == "active",
        resource_id=resource_id,
    )


def count_use(
    services: Services,
    subject: Subject,
    *,
    download: bool,
    user_agent: str | None,
    api: bool = False,
) -> None:
    """Count a view or download of ``subject`` by whoever sent ``user_agent`` (an Action API
    call when ``api``), unless analytics are off or it is a bot."""
    if not services.settings.usage_analytics:
        return
    try:
        client = classify(user_agent, api=api)
        if client is not None:
            record(services.sessions, subject, download=download, client=client)
    except Exception:
        log.warning("a use was not counted", exc_info=True)


def count_resource_view(
    services: Services, session: Session, resource_id: str, user_agent: str | None
) -> None:
    """Count a page showing one resource (the embed page), found by id in ``session``."""
    if not services.settings.usage_analytics:
        return
    try:
        resource = session.get(Resource, resource_id)
        if resource is None:
            return
        subject = resource_subject(resource)
    except Exception:
        log.warning("a use was not counted", exc_info=True)
        return
    count_use(services, subject, download=False, user_agent=user_agent)


def count_action(
    services: Services,
    session: Session,
    name: str,
    data: Mapping[str, Any],
    result: Any,
    user_agent: str | None,
) -> None:
    """Count what a successful Action API call showed: package_show as a view of the dataset,
    resource_show as a view of the resource (and so of its dataset)."""
    if name not in VIEW_ACTIONS or not services.settings.usage_analytics:
        return
    try:
        client = classify(user_agent, api=True)
        if client is None:
            return
        if name == "package_show":
            # The index entry package_show was served from: no decoding of the JSON it sent.
            indexed = services.search.get(str(data.get("id") or ""))
            subject = (
                Subject(
                    dataset_id=indexed.id,
                    organization_id=indexed.owner_org or None,
                    public=not indexed.private and indexed.state == "active",
                )
                if indexed is not None
                else package_subject(result)
            )
        else:
            dataset = session.get(Dataset, result["package_id"])
            if dataset is None:
                return
            subject = _dataset_subject(dataset, str(result["id"]))
        record(services.sessions, subject, download=False, client=client)
    except Exception:
        log.warning("an API call was not counted", exc_info=True)
