"""The search backend interface. The embedded default is an in-process index (memory_index);
a server-backed engine (OpenSearch) can implement the same protocol later."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

# Facetable fields, as CKAN names them.
FACET_FIELDS = (
    "organization",
    "groups",
    "tags",
    "res_format",
    "license_id",
    "owner_org",
    "capacity",
    "state",
    "type",
    "frequency",
    "spatial",
    "spatial_codes",
    "standard_id",
    "frequency_unmapped",
    "local_gov_code",
    "kind",
    "quality_stars",
    "quality_score",
    "quality_standard",
    "quality_errors",
)
# The pseudo-field of the hiragana reading of titles and tags (ひなんじょ finds 避難所).
READING = "\x00reading"
SORT_FIELDS = (
    "score",
    "metadata_modified",
    "metadata_created",
    "title_string",
    "name",
    "num_resources",
    "num_tags",
    "quality_stars",
    "quality_score",
    "next_update_due",
)


@dataclass
class Visibility:
    """Which non-public datasets the caller may see."""

    all_private: bool = False  # sysadmin
    private_orgs: frozenset[str] = frozenset()  # organisation ids where the caller is a member
    # Dataset ids where the caller is a collaborator (any role): readable while private.
    private_datasets: frozenset[str] = frozenset()
    include_drafts: bool = False
    draft_orgs: frozenset[str] = frozenset()  # organisation ids where the caller is an editor
    # Dataset ids where the caller is an editor-collaborator: readable as drafts too.
    draft_datasets: frozenset[str] = frozenset()
    user_id: str | None = None  # a creator always sees their own drafts
    include_deleted: bool = False


@dataclass
class SearchQuery:
    q: str = ""
    fq: str = ""
    rows: int = 10
    start: int = 0
    sort: str = ""
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = 50
    facet_mincount: int = 1
    visibility: Visibility = field(default_factory=Visibility)
    # Which fields of each result to return; None = the whole package dict.
    fl: list[str] | None = None


@dataclass
class SearchResult:
    count: int
    # Each item is a package dict, or a RawJSON holding one already serialised.
    results: list[Any]
    facets: dict[str, dict[str, int]]
    search_facets: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class IndexedDataset:
    """What package_show needs to answer from the index without a database round trip."""

    id: str
    name: str
    owner_org: str | None
    private: bool
    state: str
    creator_user_id: str | None
    raw: bytes  # the package dict as JSON


class SearchBackend(Protocol):
    def refresh(self, session: Session) -> None:
        """Catch up with every catalog change committed so far."""

    def rebuild(self, session: Session) -> int:
        """Drop and rebuild the whole index from the database; returns the dataset count."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def get(self, ref: str) -> IndexedDataset | None:
        """A dataset by id or name, as indexed."""
