"""Purging a dataset, or deleting or purging a group of datasets, while a background writer (a
file check, an ingest) finishes with one of them: both take the dataset row before the revision
counter or the resource's versions, so neither waits for the other in a circle (PostgreSQL
would abort one as a deadlock)."""

from __future__ import annotations

import io
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text

from support.databases import database_url_for
from support.uploads import Upload
from tsunagu.bootstrap import action_context, build_services
from tsunagu.catalog.models import Dataset, Resource, dataset_group
from tsunagu.catalog.revision import bump_revision, lock_dataset
from tsunagu.config import Settings
from tsunagu.context import Services
from tsunagu.events import IngestOutcome
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade
from tsunagu.workspace.versions import service as versions
from tsunagu.workspace.versions.models import ResourceVersion


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


def _versioned(services: Services) -> tuple[dict[str, Any], dict[str, Any], IngestOutcome]:
    """A dataset whose one resource holds two uploaded files, and the outcome of an ingest of
    the second that has just finished."""
    n = next(_serial)
    with action_context(services, ignore_auth=True) as context:
        dataset = call_action(
            "package_create",
            context,
            {"name": f"versioned-{n}", "title": "版のある表", "owner_org": "ube"},
        )
        resource = call_action(
            "resource_create",
            context,
            {
                "package_id": dataset["id"],
                "name": "表",
                "upload": Upload("a.csv", io.BytesIO(b"a\n1\n")),
            },
        )
        resource = call_action(
            "resource_patch",
            context,
            {"id": resource["id"], "upload": Upload("b.csv", io.BytesIO(b"a\n2\n"))},
        )
    with services.sessions() as session:
        storage_key = session.get(Resource, resource["id"]).storage_key  # type: ignore[union-attr]
    outcome = IngestOutcome(resource["id"], Path("b.csv"), "CSV", None, storage_key=storage_key)
    return dataset, resource, outcome


def test_the_ingest_worker_waits_for_a_purge_before_writing_versions(services: Services) -> None:
    """A dataset purge takes the dataset row, then deletes the resources and, with them, their
    versions. The ingest worker's bookkeeping of versions (which file is live, how its ingest
    ended) updates every version of a resource at once, so it takes the dataset row first too:
    it waits for the purge instead of holding versions the purge then waits for, which
    PostgreSQL aborted as a deadlock."""
    dataset, resource, outcome = _versioned(services)
    errors: list[BaseException] = []

    def record() -> None:
        try:
            versions._record_outcome(services, outcome)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    with services.sessions() as purge:  # as dataset_purge: the dataset row first
        assert lock_dataset(purge, dataset["id"]) is not None
        worker = threading.Thread(target=record)
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive()  # waiting for the dataset row
        with services.sessions() as other:  # and holding none of the versions meanwhile
            other.execute(
                text("SELECT id FROM resource_version WHERE resource_id = :id FOR UPDATE NOWAIT"),
                {"id": resource["id"]},
            ).all()
        purge.execute(delete(Resource).where(Resource.id == resource["id"]))  # and the versions
        purge.commit()
    worker.join(timeout=30)
    assert not worker.is_alive() and errors == []


def test_an_ingest_finishing_after_its_table_was_deleted_marks_no_version_live(
    services: Services,
) -> None:
    """The outcome of an ingest whose table datastore_delete removed meanwhile: no file is live."""
    _, resource, outcome = _versioned(services)  # no table was ever published here
    versions._record_outcome(services, outcome)
    with services.sessions() as session:
        live = session.scalars(
            select(ResourceVersion.live).where(ResourceVersion.resource_id == resource["id"])
        ).all()
    assert live == [False, False]
