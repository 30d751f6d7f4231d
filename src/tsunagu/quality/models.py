"""What the quality checks found for each resource: the validation report and the PII scan."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base


class ResourceQuality(Base):
    __tablename__ = "resource_quality"

    resource_id: Mapped[str] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    # Validation: complete / error (the file could not be checked; `error` says why).
    status: Mapped[str] = mapped_column(String(20), default="complete")
    error: Mapped[str] = mapped_column(Text, default="")
    # What was checked (the file's hash or the URL), so an unchanged file is not checked twice.
    signature: Mapped[str] = mapped_column(Text, default="")
    checked: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    standard_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    standard_guessed: Mapped[bool] = mapped_column(Boolean, default=False)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    # ValidationResult.to_dict(): summary, rules, findings (capped per rule), source facts.
    report: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # Personal-data scan of the same file: PiiResult.to_dict() and whether it blocks publishing.
    pii_signature: Mapped[str] = mapped_column(Text, default="")
    pii: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # Indexed: the 要対応 home lists the few blocked files without reading every record.
    pii_blocked: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # An org admin's written reason to publish despite the findings, for this file only:
    # {"reason", "user_id", "user_name", "signature", "timestamp"}.
    pii_override: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
