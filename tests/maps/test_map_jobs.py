"""Map layer rebuilds over HTTP on SQLite and PostgreSQL: the builds and the rebuild job's end
are one commit, so the first map_layer_show that shows a layer built finds the job that built
it complete, and the next layer's rebuild is queued and run at once; a rebuild that fails
stores no layer and ends in error."""

from __future__ import annotations

from collections.abc import Iterator

import ckanapi
import pytest
from sqlalchemy import select

from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.jobs.models import Job
from tsunagu.maps.jobs import request_rebuild
from tsunagu.maps.models import MapLayer, MapLayerBuild

FIELDS = [
    {"id": "名称", "type": "text"},
    {"id": "緯度", "type": "numeric"},
    {"id": "経度", "type": "numeric"},
]
STOPS = [
    {"名称": "下関駅前", "緯度": 33.9497, "経度": 130.9219},
    {"名称": "唐戸", "緯度": 33.9577, "経度": 130.9453},
]


@pytest.fixture(scope="module")
def actors(server: LiveServer) -> Iterator[tuple[ckanapi.RemoteCKAN, ckanapi.RemoteCKAN]]:
    server.act(
        "organization_create", {"name": "mj-city", "title": "下関市", "local_gov_code": "352012"}
    )
    editor = server.make_user("mj-editor")
    server.act(
        "organization_member_create", {"id": "mj-city", "username": "mj-editor", "role": "editor"}
    )
    yield server.ckan(editor), server.ckan(server.make_user("mj-sysadmin", sysadmin=True))


def _stops(editor: ckanapi.RemoteCKAN, name: str) -> None:
    editor.action.package_create(name=name, title="バス停留所", owner_org="mj-city")
    editor.action.datastore_create(
        resource={"package_id": name, "name": "停留所"}, fields=FIELDS, records=STOPS
    )


def _layer_built_with_its_job_ended(
    editor: ckanapi.RemoteCKAN, sysadmin: ckanapi.RemoteCKAN, name: str
) -> None:
    _stops(editor, name)
    editor.action.map_layer_create(name=name, title="バス停留所", datasets=[name])
    # The rebuild that will build the layer: the newest one waiting (or just taken).
    waiting = sysadmin.action.job_list(queues=["map_layers"])
    assert waiting, "map_layer_create queues a rebuild"
    job_id = waiting[-1]["id"]
    shown = wait_until(
        lambda: editor.action.map_layer_show(id=name),
        f"layer {name} to be built",
        until=lambda layer: layer["built"],
        every=0.01,
    )
    assert shown["points"] == len(STOPS)
    job = sysadmin.action.job_show(id=job_id)
    assert (job["status"], job["error"]) == ("complete", None)


def test_a_layer_seen_built_has_its_rebuild_ended_and_the_next_is_queued_at_once(
    actors: tuple[ckanapi.RemoteCKAN, ckanapi.RemoteCKAN],
) -> None:
    editor, sysadmin = actors
    _layer_built_with_its_job_ended(editor, sysadmin, "mj-stops-1")
    _layer_built_with_its_job_ended(editor, sysadmin, "mj-stops-2")  # queued as soon as seen


def _builds(server: LiveServer) -> dict[str, object]:
    with server.services.sessions() as session:
        return dict(session.execute(select(MapLayerBuild.layer, MapLayerBuild.built)).all())


def _rebuild(server: LiveServer, layer: str, datasets: list[object]) -> str:
    """Give staff layer `layer` these datasets (as stored) and queue a rebuild of every layer;
    returns the job's id."""
    with server.services.sessions() as session:
        row = session.scalar(select(MapLayer).where(MapLayer.name == layer))
        assert row is not None
        row.datasets = datasets
        job = request_rebuild(session, force=True)
        session.commit()
        return job.id


def test_a_rebuild_that_fails_stores_nothing_and_ends_in_error(
    server: LiveServer, actors: tuple[ckanapi.RemoteCKAN, ckanapi.RemoteCKAN]
) -> None:
    editor, sysadmin = actors
    layer = "mj-stops-broken"  # a layer of its own, built here whichever test ran before
    _layer_built_with_its_job_ended(editor, sysadmin, layer)
    dataset_id = editor.action.package_show(id=layer)["id"]
    before = _builds(server)
    # A staff layer whose stored list of datasets is broken: reading the sources fails.
    failing = _rebuild(server, layer, [[layer]])
    failed = wait_until(
        lambda: sysadmin.action.job_show(id=failing),
        "the failing rebuild to end",
        until=lambda job: job["status"] not in ("pending", "running"),
    )
    assert failed["status"] == "error" and failed["error"]
    assert _builds(server) == before  # no layer stored (a forced rebuild stores every one)
    assert editor.action.map_layer_show(id=layer)["points"] == len(STOPS)
    # Mended, the next rebuild runs at once and stores them all.
    mended = _rebuild(server, layer, [dataset_id])
    ended = wait_until(
        lambda: sysadmin.action.job_show(id=mended),
        "the next rebuild to end",
        until=lambda job: job["status"] not in ("pending", "running"),
    )
    assert (ended["status"], ended["error"]) == ("complete", None)
    after = _builds(server)
    assert after.keys() == before.keys()
    assert all(after[name] > before[name] for name in before)  # type: ignore[operator]


def _waiting_rebuilds(server: LiveServer) -> int:
    with server.services.sessions() as session:
        return len(
            session.scalars(
                select(Job.id).where(Job.kind == "map_layers", Job.status == "pending")
            ).all()
        )


def test_rows_written_through_the_api_queue_a_rebuild_at_once(
    server: LiveServer, actors: tuple[ckanapi.RemoteCKAN, ckanapi.RemoteCKAN]
) -> None:
    """Rows upserted or deleted by filter: not only at the worker's next sweep of the catalog's
    revision (20 s later)."""
    editor, _sysadmin = actors
    _stops(editor, "mj-rows")
    resource_id = editor.action.package_show(id="mj-rows")["resources"][0]["id"]
    writes = [
        lambda: editor.action.datastore_upsert(
            resource_id=resource_id,
            method="insert",
            records=[{"名称": "新地", "緯度": 33.96, "経度": 130.94}],
        ),
        lambda: editor.action.datastore_delete(resource_id=resource_id, filters={"名称": "唐戸"}),
    ]
    for write in writes:
        wait_until(
            lambda: _waiting_rebuilds(server), "the last rebuild to run", until=lambda n: n == 0
        )
        write()
        assert _waiting_rebuilds(server) == 1
