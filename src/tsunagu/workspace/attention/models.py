"""What each organisation asks of its datasets beyond the defaults of the 要対応 home."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base
from tsunagu.storage.types import utcnow


class AttentionSetting(Base):
    """An organisation's minimum ★ and score: datasets below either are listed as 要対応
    (0 = no minimum). No row means no minimum at all."""

    __tablename__ = "attention_setting"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    min_stars: Mapped[int] = mapped_column(Integer, default=0)
    min_score: Mapped[int] = mapped_column(Integer, default=0)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
