"""Fetching a linked resource for ingest, through the one guarded client (net/fetch.py): http(s)
only, size-limited, no private addresses unless ``ingest_allow_private_urls``, checked on every
redirect hop and pinned against DNS rebinding."""

from __future__ import annotations

from pathlib import Path

from tsunagu.datastore.ingest.model import IngestError
from tsunagu.net import fetch as net


def fetch_to_file(url: str, directory: Path, *, max_bytes: int, allow_private: bool) -> Path:
    """Download `url` into a new file in `directory`; IngestError says why when it cannot."""
    try:
        return net.fetch_to_file(url, directory, max_bytes=max_bytes, allow_private=allow_private)
    except net.FetchError as error:
        raise IngestError(error.message) from None
