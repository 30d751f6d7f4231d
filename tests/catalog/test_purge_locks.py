"""Purging a dataset while a background writer (a file check, an ingest) finishes with it: both
take the dataset row before the revision counter, so neither waits for the other in a circle
(PostgreSQL would abort one as a deadlock)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from support.databases import database_url_for
from tsunagu.bootstrap import action_context, build_services
from tsunagu.catalog.models import Dataset
from tsunagu.catalog.revision import bump_revision, lock_dataset
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    tmp: Path = tmp_path_factory.mktemp("purge-locks")
    services = build_services(
        Settings(data_dir=tmp, database_url=database_url_for("postgresql", tmp))
    )
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action("organization_create", context, {"name": "ube", "title": "宇部市"})
    yield services
    services.engine.dispose()


def test_a_purge_waits_for_a_background_writer_holding_the_dataset(services: Services) -> None:
    with action_context(services, ignore_auth=True) as context:
        dataset = call_action(
            "package_create",
            context,
            {"name": "purged-while-checked", "title": "点検中", "owner_org": "ube"},
        )
    errors: list[BaseException] = []

    def purge() -> None:
        try:
            with action_context(services, ignore_auth=True) as context:
                call_action("dataset_purge", context, {"id": dataset["id"]})
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    with services.sessions() as worker:  # a file check finishing: row first, then the counter
        assert lock_dataset(worker, dataset["id"]) is not None
        purging = threading.Thread(target=purge)
        purging.start()
        time.sleep(0.5)  # the purge is now waiting for the row
        assert purging.is_alive()
        bump_revision(worker)  # would wait for the purge, had it taken the counter first
        worker.commit()
    purging.join(timeout=30)
    assert not purging.is_alive() and errors == []
    with services.sessions() as session:
        assert session.scalar(select(Dataset).where(Dataset.id == dataset["id"])) is None
