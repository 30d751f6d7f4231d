"""Harvest tables: sources, the record ↔ dataset map, each job's history and every error.

A source's jobs run in the shared ``job`` table (kind "harvest"), which gives the claim, the
heartbeat and job_list; ``harvest_job`` (same id) keeps what a harvest job did, for as long as
the source exists, after the ``job`` row has been pruned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
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


class HarvestSource(Base):
    """Another catalog harvested into one organisation of this one."""

    __tablename__ = "harvest_source"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # Reserved like dataset names: a deleted source keeps its name (its history stays).
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # ckan / dcat / opendata_list (harvesters/__init__.py)
    kind: Mapped[str] = mapped_column(String(30))
    url: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # Sent to the source to read its private datasets; never shown back or logged.
    api_key: Mapped[str] = mapped_column(Text, default="")
    # Purging the organisation purges its sources (and their history) too.
    owner_org: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    # hourly / daily / weekly / manual
    frequency: Mapped[str] = mapped_column(String(20), default="manual")
    # When the scheduler queues the next job (None: manual, or not yet planned).
    next_run: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # active / deleted
    state: Mapped[str] = mapped_column(String(20), default="active")
    creator_user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The last time every remote id was compared with ours (deletion detection).
    last_listed: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class HarvestObject(Base):
    """One remote record and the local dataset made from it, across every run."""

    __tablename__ = "harvest_object"
    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_harvest_object_source_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source_id: Mapped[str] = mapped_column(
        ForeignKey("harvest_source.id", ondelete="CASCADE"), index=True
    )
    # The remote id or DCAT URI: the identity, never the title.
    key: Mapped[str] = mapped_column(String(2000))
    dataset_id: Mapped[str | None] = mapped_column(
        ForeignKey("dataset.id", ondelete="SET NULL"), nullable=True, index=True
    )
    remote_name: Mapped[str] = mapped_column(String(200), default="")
    original_url: Mapped[str] = mapped_column(Text, default="")
    remote_modified: Mapped[str] = mapped_column(String(40), default="")
    remote_private: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 of the package draft last written: the same draft again is "unchanged".
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # Remote resource key → local resource id, so ids (and datastore tables) stay.
    resources: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The values the harvest wrote for the fields the source controls (read-only locally).
    managed: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # active / withdrawn
    state: Mapped[str] = mapped_column(String(20), default="active")
    missing_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_job_id: Mapped[str] = mapped_column(String(36), default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class HarvestJob(Base):
    """What one harvest job did (the ``job`` row with the same id runs it)."""

    __tablename__ = "harvest_job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source_id: Mapped[str] = mapped_column(
        ForeignKey("harvest_source.id", ondelete="CASCADE"), index=True
    )
    # pending / running / complete / error / cancelled (as the job table)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # full / incremental
    mode: Mapped[str] = mapped_column(String(20), default="full")
    # Whether every remote id was compared with ours in this job.
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    gather_finished: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    errored: Mapped[int] = mapped_column(Integer, default=0)
    # Why the job as a whole failed ("" when it did not).
    message: Mapped[str] = mapped_column(Text, default="")


class HarvestError(Base):
    """One problem in one job: a record that could not be harvested, or the source itself."""

    __tablename__ = "harvest_error"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(
        ForeignKey("harvest_job.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[str] = mapped_column(String(36), index=True)
    # The record's key ("" for a problem with the source as a whole).
    key: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    # gather / import / withdraw
    stage: Mapped[str] = mapped_column(String(20), default="import")
    message: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
