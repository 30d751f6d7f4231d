"""Where a host's search snapshots live, and how processes share them safely.

``<data_dir>/search/snapshot-<revision>.idx``, mode 0600 in a 0700 directory (the file holds
private datasets too: it is only ever read by the server, which filters by who may see what).
A snapshot is written to a temporary file, synced and renamed into place, under an exclusive
``flock`` on ``<data_dir>/search/.lock``, so a reader never sees half a file and two writers
never interleave. A file that fails its checks (cut short, damaged, another format version,
another site URL) is logged, removed and ignored; the index is then rebuilt from the database,
which holds everything the snapshot held. A file at a revision the database has not reached yet
is left for later: a writer may have just finished it.

``python -m tsunagu.search.snapshot_job`` (with the server's TSUNAGU_* settings) writes a fresh
snapshot: the server starts it in the background when its overlay of changes since the snapshot
has grown, so that no worker spends its own memory and time on it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from tsunagu.search.snapshot import Snapshot
from tsunagu.search.snapshot_format import SnapshotError

log = logging.getLogger(__name__)

_NAME = re.compile(r"^snapshot-(\d+)\.idx$")
# Older snapshots kept beside the newest: a process may still be reading one it mapped.
KEEP_OLDER = 1
# After a background writer failed, the next one starts this much later at the earliest.
RETRY_SECONDS = 600.0


class SnapshotStore:
    def __init__(self, directory: Path, site_url: str) -> None:
        self.directory = directory
        self.site_url = site_url
        self._builder: subprocess.Popen[bytes] | None = None
        self._started = 0.0

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    @contextlib.contextmanager
    def lock(self, blocking: bool = True) -> Iterator[bool]:
        """Exclusive across processes; yields False when not blocking and someone holds it."""
        self._ensure_directory()
        handle = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            os.close(handle)

    def paths(self) -> list[tuple[int, Path]]:
        """Snapshot files by revision, newest first."""
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        found = [(int(m.group(1)), self.directory / n) for n in names if (m := _NAME.match(n))]
        return sorted(found, reverse=True)

    def newest(
        self, max_revision: int, verify: bool = True, newer_than: int = -1
    ) -> Snapshot | None:
        """The newest usable snapshot at or below ``max_revision`` (the database's revision),
        and above ``newer_than``; unusable files are logged and removed."""
        for revision, path in self.paths():
            if revision <= newer_than:
                return None
            if revision > max_revision:
                # Written after this process read the revision (a writer that just finished);
                # taken once the revision gets there. (A database restored from an older
                # backup is the other way: operations.md says to delete the directory.)
                continue
            try:
                snapshot = Snapshot(path, verify=verify)
                if snapshot.revision != revision:
                    raise SnapshotError(f"holds revision {snapshot.revision}")
                if snapshot.site_url != self.site_url:
                    raise SnapshotError(f"made for {snapshot.site_url}")
            except (SnapshotError, OSError, ValueError, KeyError) as error:
                log.warning(
                    "検索スナップショットを使わず作り直します (search snapshot ignored, the index "
                    "is rebuilt from the database): %s: %s",
                    path,
                    error,
                )
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            return snapshot
        return None

    def write(self, write_to: Callable[[IO[bytes]], None], revision: int) -> Path:
        """Write a snapshot at ``revision`` through ``write_to(file)``; the caller holds the
        lock. Returns the final path."""
        self._ensure_directory()
        fd, temp = tempfile.mkstemp(prefix=".snapshot-", suffix=".tmp", dir=self.directory)
        final = self.directory / f"snapshot-{revision:012d}.idx"
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb", buffering=1 << 20) as out:
                write_to(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        _sync_directory(self.directory)
        self._prune()
        return final

    def _prune(self) -> None:
        for _, path in self.paths()[1 + KEEP_OLDER :]:
            with contextlib.suppress(OSError):
                path.unlink()
        for name in os.listdir(self.directory):
            # A writer that died leaves its temporary file; the lock says nobody writes now.
            if name.startswith(".snapshot-") and name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(self.directory / name)

    def write_in_background(self, database_url: str, data_dir: Path, locked: bool = False) -> bool:
        """Start a process writing a fresh snapshot, unless one of ours is still running.
        ``locked``: this process holds the lock for the child (which then does not take it)."""
        if self._builder is not None:
            status = self._builder.poll()
            if status is None:
                return False
            if status != 0 and time.monotonic() - self._started < RETRY_SECONDS:
                return False  # it failed just now: no new process on every request meanwhile
        env = {
            **os.environ,
            "TSUNAGU_DATA_DIR": str(data_dir),
            "TSUNAGU_DATABASE_URL": database_url,
            "TSUNAGU_SITE_URL": self.site_url,
        }
        self._started = time.monotonic()
        self._builder = subprocess.Popen(
            [sys.executable, "-m", "tsunagu.search.snapshot_job"]
            + (["--locked-by-parent"] if locked else []),
            env=env,
            stdin=subprocess.DEVNULL,
        )
        return True

    def wait_for_builder(self, timeout: float | None = None) -> int | None:
        return None if self._builder is None else self._builder.wait(timeout)


def _sync_directory(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def snapshot_directory(data_dir: Path) -> Path:
    return data_dir / "search"
