"""The resource_quality row is made once even when the ingest worker and a request race."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import sessionmaker

from support.databases import database_url_for
from tsunagu.catalog.models import Dataset, Organization, Resource
from tsunagu.quality.models import ResourceQuality
from tsunagu.quality.service import record_for
from tsunagu.storage.database import make_engine
from tsunagu.storage.migrate import upgrade


def test_the_loser_of_a_race_takes_the_winners_row(backend: str, tmp_path: Path) -> None:
    engine = make_engine(database_url_for(backend, tmp_path))
    try:
        upgrade(engine)
        sessions = sessionmaker(engine, expire_on_commit=False)
        with sessions() as session:
            session.add(Organization(id="o", name="o", title="o"))
            session.add(Dataset(id="d", name="d", title="d", owner_org="o"))
            session.add(Resource(id="r", dataset_id="d", extras={}))
            session.commit()
        with sessions() as slow, sessions() as fast:
            assert slow.get(ResourceQuality, "r") is None  # the worker looked first …
            winner = record_for(fast, "r")
            winner.error = "winner"
            fast.commit()  # … but the request inserted and committed first
            # The worker, which saw no row, now makes one: it gets the winner's, no duplicate
            # and no unique-key error (INSERT … ON CONFLICT, then read).
            loser = record_for(slow, "r")
            assert loser.error == "winner"
            loser.status = "complete"
            slow.commit()
        with sessions() as session:
            assert session.query(ResourceQuality).count() == 1
    finally:
        engine.dispose()
