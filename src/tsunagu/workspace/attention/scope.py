"""Whose 要対応 items a request asks for, and what one source answers with.

A scope is a set of organisations (the caller's own, one of them, or every organisation for a
sysadmin's prefecture-wide view) seen with the caller's rights. Sources never widen it: index
sources search with the caller's visibility, SQL sources apply ``readable_datasets``, so a
private dataset or a draft shows only to those who may read it anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true

from tsunagu.catalog.models import Dataset
from tsunagu.context import Context
from tsunagu.search.interface import Visibility


@dataclass(frozen=True)
class OrganizationRef:
    id: str
    name: str
    title: str
    kind: str
    local_gov_code: str | None


@dataclass(frozen=True)
class Threshold:
    """The ★ and score below which an organisation wants a dataset listed (0 = no limit)."""

    min_stars: int = 0
    min_score: int = 0

    @property
    def active(self) -> bool:
        return self.min_stars > 0 or self.min_score > 0


@dataclass(frozen=True)
class Scope:
    context: Context
    organizations: dict[str, OrganizationRef]  # id → organisation
    # A sysadmin's prefecture-wide view: every dataset, whatever its organisation.
    everything: bool
    limit: int  # items listed per line
    now: datetime  # naive UTC, one moment for every source of a request
    thresholds: dict[str, Threshold] = field(default_factory=dict)
    # Organisations where the caller may read drafts (editor and above).
    draft_orgs: frozenset[str] = frozenset()
    # What the caller may see of non-public datasets, for the index lines.
    visibility: Visibility = field(default_factory=Visibility)

    def owner_fq(self) -> str | None:
        """The scope as an fq clause; None when it is the whole catalog."""
        if self.everything:
            return None
        clauses = [f'owner_org:"{org_id}"' for org_id in sorted(self.organizations)]
        return " OR ".join(clauses) or "id:__none__"

    def days_since(self, iso: str | None) -> int:
        """Whole days from an ISO date or timestamp to today (0 when it cannot be read)."""
        try:
            return (self.now.date() - date.fromisoformat(str(iso or "")[:10])).days
        except ValueError:
            return 0

    def organization_name(self, org_id: str | None) -> str | None:
        org = self.organizations.get(org_id or "")
        return org.name if org is not None else None

    def by_name(self, by_owner: dict[str | None, int] | dict[str, int]) -> dict[str, int]:
        """Counts per organisation id → per organisation name (organisations in scope only)."""
        out: dict[str, int] = {}
        for org_id, count in by_owner.items():
            name = self.organization_name(org_id)
            if name is not None and count:
                out[name] = out.get(name, 0) + count
        return out

    def readable_datasets(self) -> ColumnElement[bool]:
        """The datasets of the scope the caller may read, as a condition on ``Dataset``: the
        rules of ``authz.can_read_dataset`` for members of the scope's organisations (active
        ones, private included; drafts for editors and their authors). Deleted ones are no
        one's work."""
        if self.context.is_sysadmin:
            in_scope = (
                true() if self.everything else Dataset.owner_org.in_(sorted(self.organizations))
            )
            return and_(in_scope, Dataset.state.in_(("active", "draft")))
        user = self.context.user
        draft_readable = [Dataset.owner_org.in_(sorted(self.draft_orgs))]
        if user is not None:
            draft_readable.append(Dataset.creator_user_id == user.id)
        return and_(
            Dataset.owner_org.in_(sorted(self.organizations)),
            or_(Dataset.state == "active", and_(Dataset.state == "draft", or_(*draft_readable))),
        )


@dataclass
class Item:
    """One thing to do, with the page where it is done."""

    title: str
    # Why, in Japanese, with {placeholders} filled from ``params``: the API gives the filled
    # text as ``detail``; the portal translates the message and fills it in the page's language.
    message: str
    link: str
    params: dict[str, Any] = field(default_factory=dict)
    organization: str | None = None  # the organisation's name
    dataset: str | None = None  # the dataset's name
    dataset_id: str | None = None
    resource_id: str | None = None
    date: str | None = None  # ISO: since when (the draft's last change, the due date …)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "detail": self.message.format(**self.params),
            "message": self.message,
            "params": self.params,
            "link": self.link,
            "organization": self.organization,
            "dataset": self.dataset,
            "dataset_id": self.dataset_id,
            "resource_id": self.resource_id,
            "date": self.date,
        }


@dataclass
class Line:
    """What one source found in a scope: how many, per organisation, and the first few."""

    count: int
    items: list[Item]
    by_organization: dict[str, int] = field(default_factory=dict)  # organisation name → count
    more: str | None = None  # a page listing all of them (the staff table, filtered)
