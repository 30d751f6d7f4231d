"""Purging a dataset, or deleting or purging a group of datasets, while a background writer (a
file check, an ingest) finishes with one of them: both take the dataset row before the revision
counter, so neither waits for the other in a circle (PostgreSQL would abort one as a
deadlock)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from support.databases import database_url_for
from tsunagu.bootstrap import action_context, build_services
from tsunagu.catalog.models import Dataset, dataset_group
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


_serial = itertools.count(1)


@pytest.mark.parametrize(
    ("action", "of_group"),
    [("dataset_purge", False), ("group_delete", True), ("group_purge", True)],
)
def test_a_change_waits_for_a_background_writer_holding_the_dataset(
    services: Services, action: str, of_group: bool
) -> None:
    n = next(_serial)
    with action_context(services, ignore_auth=True) as context:
        group = call_action("group_create", context, {"name": f"locks-{n}", "title": "点検"})
        dataset = call_action(
            "package_create",
            context,
            {
                "name": f"checked-{n}",
                "title": "点検中",
                "owner_org": "ube",
                "groups": [{"name": group["name"]}],
            },
        )
    errors: list[BaseException] = []

    def change() -> None:
        try:
            with action_context(services, ignore_auth=True) as context:
                call_action(action, context, {"id": group["id"] if of_group else dataset["id"]})
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    with services.sessions() as worker:  # a file check finishing: row first, then the counter
        assert lock_dataset(worker, dataset["id"]) is not None
        changing = threading.Thread(target=change)
        changing.start()
        time.sleep(0.5)  # the change is now waiting for the row
        assert changing.is_alive()
        bump_revision(worker)  # would wait for the change, had it taken the counter first
        worker.commit()
    changing.join(timeout=30)
    assert not changing.is_alive() and errors == []
    with services.sessions() as session:
        if action == "dataset_purge":
            assert session.scalar(select(Dataset).where(Dataset.id == dataset["id"])) is None
        else:  # the dataset left the group
            assert not session.scalars(
                select(dataset_group).where(dataset_group.c.dataset_id == dataset["id"])
            ).all()
