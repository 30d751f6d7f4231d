"""Finding and deleting stored upload files that no resource refers to any more.

Every upload goes to a fresh storage key (see ``resources._store``), so replacing a file leaves
the old one on disk, where it stays as one of the resource's versions (workspace/versions). A
file is garbage when neither a resource row in any state but ``purged`` nor a version names it
(a deleted resource can be restored, so its files stay until the row itself is gone) and it was
last written longer ago than a grace period, so an upload whose resource is not committed yet
is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from tsunagu.catalog.models import Resource
from tsunagu.community.models import Showcase
from tsunagu.community.showcases import image_key
from tsunagu.context import Services
from tsunagu.storage.files import LocalFileStorage
from tsunagu.workspace.versions.models import ResourceVersion

DEFAULT_GRACE = timedelta(hours=24)


class UnsupportedStorage(Exception):
    """The configured file storage cannot be listed (only local disk storage can)."""


@dataclass(frozen=True)
class StoredEntry:
    key: str
    size: int
    modified: datetime  # UTC, naive like every timestamp of the catalogue


@dataclass
class Scan:
    """What one look at the storage found."""

    orphans: list[StoredEntry] = field(default_factory=list)
    # Unreferenced, but written within the grace period: left alone this time.
    recent: list[StoredEntry] = field(default_factory=list)
    referenced: int = 0

    @property
    def orphan_bytes(self) -> int:
        return sum(entry.size for entry in self.orphans)


def referenced_keys(services: Services) -> set[str]:
    with services.sessions() as session:
        current = session.scalars(
            select(Resource.storage_key).where(
                Resource.storage_key != "", Resource.state != "purged"
            )
        )
        # A replaced file stays as one of its resource's versions (downloadable, in the
        # history) until the resource itself is purged.
        kept = session.scalars(select(ResourceVersion.storage_key))
        # 活用事例 images (community/showcases.py keeps them under showcase/).
        images = session.scalars(select(Showcase.image_url).where(Showcase.image_url != ""))
        return {*current, *kept, *(image_key(name) for name in images)}


def _storage_root(services: Services) -> Path:
    if not isinstance(services.files, LocalFileStorage):
        raise UnsupportedStorage(type(services.files).__name__)
    return services.files.root


def _entries(root: Path) -> Iterator[StoredEntry]:
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_symlink():
                continue  # never made by Tsunagu; not ours to judge
            stat = path.stat()
            yield StoredEntry(
                key=path.relative_to(root).as_posix(),
                size=stat.st_size,
                modified=datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None),
            )


def scan(
    services: Services, older_than: timedelta = DEFAULT_GRACE, now: datetime | None = None
) -> Scan:
    """Sort every stored file into referenced, orphaned, and orphaned but too recent to touch.

    Files are listed before the references are read, so a file stored (and its resource
    committed) in between counts as referenced, never as an orphan.
    """
    root = _storage_root(services)
    entries = sorted(_entries(root), key=lambda entry: entry.key)
    keys = referenced_keys(services)
    cutoff = (now or datetime.now(UTC).replace(tzinfo=None)) - older_than
    found = Scan()
    for entry in entries:
        if entry.key in keys:
            found.referenced += 1
        elif entry.modified < cutoff:
            found.orphans.append(entry)
        else:
            found.recent.append(entry)
    return found


def delete(services: Services, orphans: list[StoredEntry]) -> tuple[int, int]:
    """Delete the given files (from :func:`scan`) and their emptied folders; returns how many
    files were deleted and the bytes freed. A file referenced again since the scan is kept."""
    root = _storage_root(services)
    keys = referenced_keys(services)
    deleted = freed = 0
    for entry in orphans:
        if entry.key in keys:
            continue
        path = root / entry.key
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue  # deleted by someone else meanwhile
        services.files.delete(entry.key)
        deleted += 1
        freed += size
        _remove_empty_folders(path.parent, root)
    return deleted, freed


def _remove_empty_folders(folder: Path, root: Path) -> None:
    # resources/<id>/<upload>/ folders hold one file each; leave no empty shells behind.
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (or already gone)
        folder = folder.parent
