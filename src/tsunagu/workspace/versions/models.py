"""Every file ever uploaded to a resource, kept as a numbered version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base
from tsunagu.storage.types import new_id, utcnow


class ResourceVersion(Base):
    """One uploaded file of a resource. The newest is the resource's current file; the others
    stay stored and downloadable (``files gc`` counts them as referenced)."""

    __tablename__ = "resource_version"
    __table_args__ = (UniqueConstraint("resource_id", "number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    # 1, 2, 3 … per resource, in upload order.
    number: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(50), default="")
    mimetype: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    hash: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    uploaded: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The file was the resource's file while its dataset was public (so it passed the
    # personal-data guard): the public may download it as an earlier version. Files replaced
    # before the dataset was ever public are for its staff only.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # This file's table is the one published in the datastore now.
    live: Mapped[bool] = mapped_column(Boolean, default=False)
    # "" (not a table) / pending / complete / error, and why it failed.
    ingest_status: Mapped[str] = mapped_column(String(20), default="")
    ingest_error: Mapped[str] = mapped_column(Text, default="")
    rows: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # [{"id", "type"}] of the table made from this file.
    columns: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    # What changed against the table published before it (see changes.py); {} when there was
    # none to compare with.
    changes: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
