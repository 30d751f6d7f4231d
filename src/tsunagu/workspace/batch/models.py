"""One batch of files (and a metadata sheet) on its way to becoming draft datasets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base
from tsunagu.storage.types import new_id, utcnow


class UploadBatch(Base):
    """The files are kept in file storage under ``batches/<id>/`` until the batch is applied or
    discarded; ``plan`` is the preview (every row ok or in error), ``result`` what applying made.
    """

    __tablename__ = "upload_batch"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_org: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    creator_user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # per_file (one dataset per file) / single (one dataset with every file)
    mode: Mapped[str] = mapped_column(String(20), default="per_file")
    # preview / queued / applying / applied / failed / discarded
    state: Mapped[str] = mapped_column(String(20), default="preview", index=True)
    # {"files": [...], "sheet": {...} | None, "rows": [...], "errors": [...], "warnings": [...]}
    plan: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # {"rows": [{"row", "dataset_id", "name", "outcome", "resources": [...]}]}
    result: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    applied_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    applied: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
