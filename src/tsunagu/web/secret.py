"""The key that signs session cookies: from TSUNAGU_SECRET_KEY, else generated once per data
directory and kept there (mode 0600), so no secret ever lives in the repository."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tsunagu.config import Settings


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
