"""Datastore bookkeeping: which resource has a table, its data dictionary, and ingest jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base
from tsunagu.storage.types import new_id, utcnow


class DatastoreTable(Base):
    __tablename__ = "datastore_table"

    resource_id: Mapped[str] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    table_name: Mapped[str] = mapped_column(String(63), unique=True)
    # [{"id": name, "type": "int", "info": {"label", "notes", "type_override"}}, …]
    fields: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    primary_key: Mapped[list[str]] = mapped_column(JSON, default=list)
    indexes: Mapped[list[str]] = mapped_column(JSON, default=list)
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    # What ingest detected (encoding, sheet, header line, notes …); empty for API-made tables.
    source: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class IngestJob(Base):
    __tablename__ = "ingest_job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    # pending / running / complete / error
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    rows_done: Mapped[int] = mapped_column(BigInteger, default=0)
    # {"sheet": …, "types": {column: type}} chosen by staff
    options: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    error_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_column: Mapped[str | None] = mapped_column(Text, nullable=True)
    # [{"timestamp", "level", "message"}]
    log: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Touched as rows load; a running job whose heartbeat stopped belonged to a dead process.
    heartbeat: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def log_entry(level: str, message: str) -> dict[str, object]:
    """One entry of an ingest job's log (IngestJob.log), stamped now."""
    return {"timestamp": utcnow().isoformat(), "level": level, "message": message}
