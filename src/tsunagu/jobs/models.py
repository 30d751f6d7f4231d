"""One table for background work other than ingest, claimed atomically so several processes can
share it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base
from tsunagu.storage.types import new_id, utcnow


class Job(Base):
    __tablename__ = "job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # quality / harvest / digest …
    kind: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    # What the job works on (a resource id, a harvest source id …).
    object_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # pending / running / complete / error / cancelled
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    options: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # {"done": n, "total": m, "message": "…"}
    progress: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Touched while running; a running job whose heartbeat stopped belonged to a dead process.
    heartbeat: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
