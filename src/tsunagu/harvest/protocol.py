"""What a harvester is, and what the engine gives it.

A harvester knows one kind of source (a CKAN Action API, a DCAT file, an オープンデータ一覧
file). It does two things:

- ``gather(run)`` yields the source's records, each with a **stable key** (the remote id, the
  DCAT URI or dct:identifier: never the title), or a ``RecordProblem`` for a record it could not
  read (an error on that record; the job goes on). It raises ``SourceError`` (or lets a
  ``FetchError`` through) when the source as a whole cannot be read: the job then ends in error
  and nothing is withdrawn. When it knows every key the source holds now, it says so with
  ``run.listed(keys)``; only then may records missing from the source be withdrawn.
- ``to_package(record, run)`` turns one record into a *package draft*: a CKAN-style package
  dict of what the source says (see ``PackageDraft``). It raises ``RecordError`` for a record
  that cannot become a dataset. The engine does the rest: the organisation, a stable local
  name, resource ids kept across runs, licence mapping, tag cleaning, provenance extras,
  comparing with the last run, and writing through the catalog's own actions.

Everything a harvester fetches goes through ``run.fetch`` (the guarded client: http(s) only,
no private addresses unless configured, size and time limits), never a client of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypedDict

from tsunagu.net.fetch import Fetched, FetchError

__all__ = [
    "FetchError",
    "Fetched",
    "Harvester",
    "Known",
    "Limits",
    "PackageDraft",
    "Record",
    "RecordError",
    "RecordProblem",
    "ResourceDraft",
    "Run",
    "SourceError",
]


class SourceError(Exception):
    """The source as a whole cannot be read (the job ends in error; nothing is withdrawn)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RecordError(Exception):
    """One record cannot become a dataset (an error on that record; the job goes on)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Record:
    """One dataset as the source describes it."""

    key: str  # stable identity at the source: remote id, DCAT URI, dct:identifier
    title: str  # for messages and the job's error list
    content: Any  # whatever to_package reads (the remote package dict, an RDF subgraph …)
    modified: str = ""  # the source's own modification stamp, if it has one
    original_url: str = ""  # the record's page at the source (shown as 「○○から収集」)
    name: str = ""  # the URL name the source uses, kept locally when it is free


@dataclass(frozen=True)
class RecordProblem:
    """A record the harvester could not read; recorded as an error on that record."""

    key: str
    title: str
    message: str


@dataclass(frozen=True)
class Known:
    """A record harvested from this source before."""

    key: str
    name: str  # the URL name the source used last time ("" if none)
    dataset_id: str | None
    withdrawn: bool


@dataclass(frozen=True)
class Limits:
    max_response_bytes: int
    max_record_bytes: int
    max_resources: int
    max_records: int
    timeout: float


class ResourceDraft(TypedDict, total=False):
    key: str  # stable identity of the file at the source (remote resource id, URI, or URL)
    name: str
    description: str
    url: str  # required
    format: str
    mimetype: str
    last_modified: str  # ISO 8601, as the source states it


class PackageDraft(TypedDict, total=False):
    """What to_package returns. Only ``title`` is required. ``license_id``, ``license_title``
    and ``license_url`` are what the source says (free text is fine: the engine maps it to a
    known licence or keeps the text); ``tags`` are plain strings (cleaned by the engine);
    ``extras`` a flat dict. The Tsunagu metadata fields (frequency …) are kept when valid and
    moved to extras otherwise."""

    title: str
    notes: str
    url: str
    author: str
    author_email: str
    maintainer: str
    maintainer_email: str
    version: str
    license_id: str
    license_title: str
    license_url: str
    tags: list[str]
    extras: dict[str, str]
    resources: list[ResourceDraft]
    private: bool
    frequency: str
    spatial_codes: list[str]
    temporal_start: str
    temporal_end: str
    contact_name: str
    contact_email: str
    contact_phone: str
    standard_id: str
    # The 全国地方公共団体コード of the organisation publishing the record, for a source whose
    # records belong to several organisations (harvest/owners.py): the dataset goes to the
    # organisation with that code, else to the source's. Give it only when the source's config
    # asks for it through a key in the harvester's ``sysadmin_config``.
    owner_code: str


class Run(Protocol):
    """What the engine offers a harvester during one job."""

    source_url: str
    config: Mapping[str, Any]  # the source's settings (filters …), checked by check_config
    api_key: str  # "" when none; never log it
    since: datetime | None  # harvest only records changed since (UTC); None: everything
    list_all: bool  # deletion detection is due: call listed() with every key if you can
    limits: Limits

    def fetch(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> Fetched:
        """GET through the guarded client (any status is returned; FetchError when the URL is
        refused, unreachable, too slow or too large)."""
        ...

    def known(self) -> Mapping[str, Known]:
        """The records harvested from this source before, by key."""
        ...

    def listed(self, keys: Iterable[str]) -> None:
        """Every key the source holds now (records gathered in this run count as listed)."""
        ...

    def progress(self, message: str, done: int | None = None, total: int | None = None) -> None:
        """Shown on the job while it runs (also: a sign of life)."""
        ...

    def stopping(self) -> bool:
        """True when the job was asked to stop or ran out of time: stop gathering."""
        ...

    def warn(self, message: str, *, incomplete: bool = True) -> None:
        """A problem with the source that does not stop the job, shown among its errors.
        ``incomplete`` (the default): some records may not have been read (paging that looped),
        so the next job reads everything again instead of only what changed; pass False for a
        problem that lost no record (a deletion check that could not be made)."""
        ...


class Harvester(Protocol):
    """A harvester may also name ``sysadmin_config: ClassVar[tuple[str, ...]]``: config keys
    only a sysadmin may set or change (those that let a source write beyond its organisation)."""

    kind: ClassVar[str]  # "ckan", "dcat", "opendata_list"
    label: ClassVar[str]  # in Japanese, for the staff pages

    def check_config(self, config: dict[str, Any]) -> dict[str, list[str]]:
        """Problems with a source's config, by field (empty when it is fine)."""
        ...

    def gather(self, run: Run) -> Iterator[Record | RecordProblem]: ...

    def to_package(self, record: Record, run: Run) -> PackageDraft: ...
