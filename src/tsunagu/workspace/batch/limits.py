"""How much one batch may hold, from the settings (config.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tsunagu.config import Settings

# A batch not applied within this time is discarded (its files go with it); files_gc would
# count its staged files as orphans after the same grace period anyway.
PREVIEW_LIFETIME = timedelta(hours=24)
# Zip entries this small may compress very well and still do no harm (a CSV of zeros).
RATIO_CHECKED_ABOVE = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_files: int  # files in the batch, a zip's entries counted one by one
    max_bytes: int  # every file of the batch together, unzipped
    max_file_bytes: int  # each file, unzipped (the upload limit)
    zip_max_ratio: int  # unzipped size / zipped size of one entry

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            max_files=settings.batch_max_files,
            max_bytes=settings.batch_max_bytes,
            max_file_bytes=settings.max_upload_bytes,
            zip_max_ratio=settings.batch_zip_max_ratio,
        )


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f} MB"
