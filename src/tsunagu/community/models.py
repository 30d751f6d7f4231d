"""Community tables: data requests (ニーズ調査) with their supporters, and 活用事例 (use cases,
"showcases" as ckanext-showcase calls them) with the datasets each uses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base
from tsunagu.storage.types import new_id, utcnow


class DataRequest(Base):
    """Someone asks for a dataset; staff answer it (request_workflow.py has the statuses)."""

    __tablename__ = "data_request"
    __table_args__ = (Index("ix_data_request_org_status", "organization_id", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Private: shown only to staff of the organisation handling it and to sysadmins, never in
    # a public page or list, and not to the requester either (whoever reads their screen).
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    # Who handles it; None: waiting for the prefecture's ICT office to triage it.
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), nullable=True
    )
    # received (受付) / reviewing (検討中) / published (公開済) / declined (対応不可)
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    # The dataset that answers it (公開済).
    dataset_id: Mapped[str | None] = mapped_column(
        ForeignKey("dataset.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # Staff's public answer; the reason when declined.
    answer: Mapped[str] = mapped_column(Text, default="")
    creator_user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # active / deleted (spam taken down by staff)
    state: Mapped[str] = mapped_column(String(20), default="active")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # When it was last answered (公開済 or 対応不可); None while open.
    answered: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class DataRequestSupport(Base):
    """One supporter of a request: a signed-in user, or one anonymous browser."""

    __tablename__ = "data_request_support"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("data_request.id", ondelete="CASCADE"), primary_key=True
    )
    # "user:<user id>", or "browser:<SHA-256 of the browser's random id>" (the id itself is
    # never stored, so the table cannot recognise a browser that is not asking).
    supporter: Mapped[str] = mapped_column(String(80), primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Showcase(Base):
    """A 活用事例: an app, service, analysis or visualisation built on the catalog's data."""

    __tablename__ = "showcase"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # app / service / analysis / visualization / other
    kind: Mapped[str] = mapped_column(String(30), default="app")
    url: Mapped[str] = mapped_column(Text, default="")  # where the app or analysis is
    author: Mapped[str] = mapped_column(Text, default="")  # who made it (shown)
    # Private like a data request's contact: moderators and sysadmins only.
    author_email: Mapped[str] = mapped_column(String(254), default="")
    # The uploaded image's file name (ckanext-showcase's image_url for an upload); the file is
    # kept under showcase/<id>/ in file storage.
    image_url: Mapped[str] = mapped_column(String(200), default="")
    # pending (submitted, waiting for staff) / active (approved) / rejected / deleted
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    review_note: Mapped[str] = mapped_column(Text, default="")  # why it was rejected
    reviewed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reviewed: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    creator_user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ShowcasePackage(Base):
    """A dataset a use case is built on (ckanext-showcase's showcase_package_association)."""

    __tablename__ = "showcase_package"

    showcase_id: Mapped[str] = mapped_column(
        ForeignKey("showcase.id", ondelete="CASCADE"), primary_key=True
    )
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
