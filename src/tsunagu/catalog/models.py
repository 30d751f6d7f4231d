"""Catalog tables. Every change to a dataset bumps a catalog-wide revision (see revision.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tsunagu.storage.database import Base
from tsunagu.storage.types import new_id, utcnow

dataset_tag = Table(
    "dataset_tag",
    Base.metadata,
    Column("dataset_id", ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)

dataset_group = Table(
    "dataset_group",
    Base.metadata,
    Column("dataset_id", ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("group.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class CatalogState(Base):
    """A single row whose counter orders every catalog change (used to keep search in sync)."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(Text, default="")
    # prefecture / prefectural_department / municipality / other
    kind: Mapped[str] = mapped_column(String(30), default="other")
    local_gov_code: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), nullable=True
    )
    # A parent named (by id or name) before it existed, e.g. by a migration that loads a child
    # first; linked when that organisation is created (catalog/hierarchy.py).
    parent_ref: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    # Fields of other CKAN sites with no column here, and CKAN's organisation extras.
    extras: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    contact_email: Mapped[str] = mapped_column(Text, default="")
    contact_phone: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    latitude: Mapped[float | None] = mapped_column(nullable=True)
    longitude: Mapped[float | None] = mapped_column(nullable=True)
    state: Mapped[str] = mapped_column(String(20), default="active")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)

    parent: Mapped[Organization | None] = relationship(remote_side=[id])


class Group(Base):
    """A category (防災, 子育て …) that datasets of any organisation can belong to."""

    __tablename__ = "group"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="active")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
    # CKAN's group extras and fields of other CKAN sites with no column here.
    extras: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class Vocabulary(Base):
    """A named, controlled list of tags (CKAN's tag vocabularies), e.g. 更新頻度 or 分野."""

    __tablename__ = "vocabulary"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Tag(Base):
    __tablename__ = "tag"
    # Free tags have vocabulary_id "" (not NULL), so one unique constraint covers both kinds and
    # a get-or-create can rely on ON CONFLICT.
    __table_args__ = (UniqueConstraint("name", "vocabulary_id", name="uq_tag_name_vocabulary"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    vocabulary_id: Mapped[str] = mapped_column(String(36), default="", server_default="")


class Dataset(Base):
    __tablename__ = "dataset"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(30), default="dataset")
    owner_org: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id"), nullable=True, index=True
    )
    license_id: Mapped[str] = mapped_column(String(50), default="")
    author: Mapped[str] = mapped_column(Text, default="")
    author_email: Mapped[str] = mapped_column(Text, default="")
    maintainer: Mapped[str] = mapped_column(Text, default="")
    maintainer_email: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[str] = mapped_column(Text, default="")
    frequency: Mapped[str] = mapped_column(Text, default="")
    spatial: Mapped[str] = mapped_column(Text, default="")
    temporal_start: Mapped[str] = mapped_column(String(30), default="")
    temporal_end: Mapped[str] = mapped_column(String(30), default="")
    # A free-text frequency the 0006 migration could not map to a code: kept for staff to see
    # and choose a code for (catalog/metadata/frequency.py); cleared once a code is set.
    frequency_unmapped: Mapped[str] = mapped_column(Text, default="")
    # 全国地方公共団体コード of the area covered; `spatial` holds their label.
    spatial_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_name: Mapped[str] = mapped_column(Text, default="")  # 担当課
    contact_email: Mapped[str] = mapped_column(Text, default="")
    contact_phone: Mapped[str] = mapped_column(Text, default="")
    # The 自治体標準オープンデータセット followed (quality/standards ids), "" for none.
    standard_id: Mapped[str] = mapped_column(String(50), default="")
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    # draft / active / deleted
    state: Mapped[str] = mapped_column(String(20), default="active")
    creator_user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    metadata_created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    metadata_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(BigInteger, default=0, index=True)

    organization: Mapped[Organization | None] = relationship()
    resources: Mapped[list[Resource]] = relationship(
        back_populates="dataset", order_by="Resource.position", cascade="all, delete-orphan"
    )
    tags: Mapped[list[Tag]] = relationship(secondary=dataset_tag)
    groups: Mapped[list[Group]] = relationship(secondary=dataset_group)
    extras: Mapped[list[DatasetExtra]] = relationship(cascade="all, delete-orphan")


class PurgedDataset(Base):
    """A dataset removed for good (dataset_purge). Its row is gone, so this record is how every
    process's search index learns, by revision like any other change, to drop it."""

    __tablename__ = "purged_dataset"

    dataset_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, index=True)
    purged: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DatasetExtra(Base):
    __tablename__ = "dataset_extra"
    __table_args__ = (UniqueConstraint("dataset_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text, default="")


class Resource(Base):
    __tablename__ = "resource"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    # "upload" when the file is stored by Tsunagu; empty for a link.
    url_type: Mapped[str] = mapped_column(String(20), default="")
    storage_key: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(50), default="")
    mimetype: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    hash: Mapped[str] = mapped_column(Text, default="")
    last_modified: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    metadata_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(20), default="active")
    extras: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)

    dataset: Mapped[Dataset] = relationship(back_populates="resources")


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    # admin / editor / member
    capacity: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class GroupMembership(Base):
    """A user's role in a group (category): CKAN's group members (admin / editor / member)."""

    __tablename__ = "group_membership"
    __table_args__ = (UniqueConstraint("user_id", "group_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"), index=True)
    capacity: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PackageCollaborator(Base):
    """A user given rights on one dataset outside its organisation (CKAN's collaborators)."""

    __tablename__ = "package_collaborator"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # admin / editor / member
    capacity: Mapped[str] = mapped_column(String(20))
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ResourceView(Base):
    """How a resource is previewed (table, map, chart …), in CKAN's resource_view shape."""

    __tablename__ = "resource_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    view_type: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    config: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class SystemInfo(Base):
    """Site settings changed at run time by sysadmins (CKAN's config_option_update)."""

    __tablename__ = "system_info"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Activity(Base):
    """Who changed what and when; ``data`` keeps a snapshot of the object after the change."""

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_object", "object_id", "timestamp"),
        Index("ix_activity_user", "user_id", "timestamp"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    object_id: Mapped[str] = mapped_column(String(36))
    # e.g. "new package", "changed package", "deleted package", "new organization"
    activity_type: Mapped[str] = mapped_column(String(50))
    # The organisation the object belonged to, so private activity can be filtered cheaply.
    owner_org: Mapped[str | None] = mapped_column(String(36), nullable=True)
    permission_private: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


__all__ = [
    "Activity",
    "CatalogState",
    "Dataset",
    "DatasetExtra",
    "Group",
    "GroupMembership",
    "Membership",
    "Organization",
    "PackageCollaborator",
    "PurgedDataset",
    "Resource",
    "ResourceView",
    "SystemInfo",
    "Tag",
    "Vocabulary",
    "dataset_group",
    "dataset_tag",
]
