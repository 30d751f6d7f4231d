"""The local file store keeps every key inside its root: no way out by `..`, an absolute path,
a sibling folder sharing the root's name as a prefix, or a symbolic link."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tsunagu.storage.files import LocalFileStorage

OPERATIONS: dict[str, Callable[[LocalFileStorage, str], Any]] = {
    "store": lambda files, key: files.store(key, io.BytesIO(b"written"), max_bytes=100),
    "open": lambda files, key: files.open(key).close(),
    "exists": lambda files, key: files.exists(key),
    "size": lambda files, key: files.size(key),
    "delete": lambda files, key: files.delete(key),
    "local_path": lambda files, key: files.local_path(key),
}


@pytest.fixture
def layout(tmp_path: Path) -> tuple[LocalFileStorage, Path]:
    """A store at <tmp>/files, with a secret beside it and a sibling <tmp>/files-other."""
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "files-other").mkdir()
    (tmp_path / "files-other" / "x.csv").write_text("other")
    files = LocalFileStorage(tmp_path / "files")
    (files.root / "ab").mkdir()
    (files.root / "ab" / "link").symlink_to(tmp_path)  # a link inside the root pointing out
    return files, tmp_path


ESCAPES = [
    "../secret.txt",
    "ab/../../secret.txt",
    "ab/cd/../../../secret.txt",
    "{outside}/secret.txt",  # absolute
    "../files-other/x.csv",  # shares the root's name as a prefix: still outside
    "ab/link/secret.txt",  # through a symbolic link
    "",  # the root itself is no file key
    ".",
]


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("key", ESCAPES)
def test_keys_outside_the_root_are_refused(
    layout: tuple[LocalFileStorage, Path], operation: str, key: str
) -> None:
    files, outside = layout
    with pytest.raises(ValueError, match="invalid storage key"):
        OPERATIONS[operation](files, key.format(outside=outside))
    assert (outside / "secret.txt").read_text() == "secret"
    assert (outside / "files-other" / "x.csv").read_text() == "other"
    assert sorted(p.name for p in outside.iterdir()) == ["files", "files-other", "secret.txt"]


def test_ordinary_keys_work_inside_the_root(layout: tuple[LocalFileStorage, Path]) -> None:
    files, _ = layout
    stored = files.store("ab/cd/resource.csv", io.BytesIO(b"a,b\n1,2\n"), max_bytes=100)
    assert stored.size == 8
    assert files.exists("ab/cd/resource.csv") and files.size("ab/cd/resource.csv") == 8
    # `..` that stays inside the root is just another spelling of a key inside it.
    assert files.local_path("ab/x/../cd/resource.csv") == files.root / "ab/cd/resource.csv"
    with files.open("ab/cd/resource.csv") as handle:
        assert handle.read() == b"a,b\n1,2\n"
    files.delete("ab/cd/resource.csv")
    assert not files.exists("ab/cd/resource.csv")
