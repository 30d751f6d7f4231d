"""A file as the actions take one in ``upload`` (catalog.uploads.Upload), for calling them in
process without a multipart request."""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass
class Upload:
    filename: str
    file: io.BytesIO
