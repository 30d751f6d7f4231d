"""Column helpers shared by every domain's models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    # Naive UTC, as CKAN reports timestamps (ISO 8601 without offset).
    return datetime.now(UTC).replace(tzinfo=None)
