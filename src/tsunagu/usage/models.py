"""Usage counts: running totals per dataset, and counts per day per thing used.

Neither table holds anything about who asked: no address, no User-Agent, no user, no cookie
(usage/clients.py decides at request time whether to count and how; only the number is kept).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tsunagu.storage.database import Base
from tsunagu.storage.types import utcnow


class DatasetUsage(Base):
    """All-time totals of one dataset (the home page's 「よく使われているデータ」): page views by
    browsers and downloads by browsers and programs, bots left out."""

    __tablename__ = "dataset_usage"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True
    )
    page_views: Mapped[int] = mapped_column(BigInteger, default=0)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# What a daily row counts (UsageDaily.kind).
SITE = "site"  # the whole catalog, public datasets only; object_id ""
ORGANIZATION = "organization"  # an organisation's public datasets
DATASET = "dataset"
RESOURCE = "resource"
KINDS = (SITE, ORGANIZATION, DATASET, RESOURCE)


class UsageDaily(Base):
    """One day's (Japan time) counts of one dataset, resource, organisation or the whole site.

    ``page_views``: the portal's pages seen in a browser; ``api_views``: package_show and
    resource_show through the Action API, and pages fetched by programs; ``downloads``: files
    and datastore dumps taken by browsers and programs; ``api_downloads``: the part of them
    taken by programs. Organisation and site rows count public datasets only, so they can be
    shown to anyone and feed the indicators. No foreign keys: the history of a deleted dataset
    stays part of its organisation's and the site's figures.
    """

    __tablename__ = "usage_daily"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    page_views: Mapped[int] = mapped_column(BigInteger, default=0)
    api_views: Mapped[int] = mapped_column(BigInteger, default=0)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)
    api_downloads: Mapped[int] = mapped_column(BigInteger, default=0)

    # Popular lists and period sums read a range of days of one kind.
    __table_args__ = (Index("ix_usage_daily_kind_day", "kind", "day"),)
