"""Frozen dataclasses describing the demo catalog (re-exported by `tsunagu.demo.content`).

They live in their own module so the dataset tables can import them without importing
`content`, which assembles everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoOrganization:
    name: str
    title: str
    kind: str  # "prefecture" | "prefectural_department" | "municipality"
    local_gov_code: str  # 6-digit 全国地方公共団体コード; departments share the prefecture's
    parent: str | None
    description: str
    contact_email: str
    url: str
    latitude: float  # town hall / prefectural office, for the municipalities map
    longitude: float


@dataclass(frozen=True)
class DemoGroup:
    name: str
    title: str
    description: str


@dataclass(frozen=True)
class DemoResource:
    name: str
    description: str
    format: str  # "CSV" | "XLSX" | "JSON" | "GeoJSON" | "PDF"
    filename: str
    content: Callable[[], bytes]  # deterministic: same bytes on every call


@dataclass(frozen=True)
class DemoDataset:
    name: str
    title: str
    notes: str  # Markdown, a few lines in Japanese
    organization: str
    groups: tuple[str, ...]
    tags: tuple[str, ...]
    license_id: str  # "cc-by-4.0" | "pdl-1.0" | "cc0-1.0"
    frequency: str  # a code of catalog/metadata/frequency.py: "annual", "as_needed", "monthly" …
    spatial: str  # place name, e.g. "山口県下関市"
    temporal_start: str | None  # ISO dates
    temporal_end: str | None
    author: str
    maintainer_email: str
    private: bool
    resources: tuple[DemoResource, ...]
    extras: dict[str, str]
    standard_id: str = ""  # the 自治体標準オープンデータセット followed (quality/standards id)


@dataclass(frozen=True)
class DemoUser:
    name: str
    fullname: str
    email: str
    password: str  # demo-only; see tsunagu.demo.content.demo_password
    sysadmin: bool
    memberships: tuple[tuple[str, str], ...]  # (organization name, "admin"|"editor"|"member")


@dataclass(frozen=True)
class DemoCatalog:
    organizations: tuple[DemoOrganization, ...]
    groups: tuple[DemoGroup, ...]
    datasets: tuple[DemoDataset, ...]
    users: tuple[DemoUser, ...]
