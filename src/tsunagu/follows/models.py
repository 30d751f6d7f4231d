"""Who follows what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base
from tsunagu.storage.types import utcnow


class Follow(Base):
    __tablename__ = "follow"

    follower_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    object_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    # dataset / organization / group / user
    object_type: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
