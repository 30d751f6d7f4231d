"""The key that signs session cookies: from TSUNAGU_SECRET_KEY, else generated once per data
directory and kept there (mode 0600), so no secret ever lives in the repository."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from tsunagu.config import Settings


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Several worker processes start at once on a new data directory: each writes its key in
    # full to a file of its own, and the first to link it into place wins; the others read that
    # one. A reader never sees a key half written.
    fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):
            os.link(scratch, path)
    finally:
        os.unlink(scratch)
    return path.read_text().strip()
