"""Map layer rebuilds over HTTP on SQLite and PostgreSQL: the builds and the rebuild job's end
are one commit, so the first map_layer_show that shows a layer built finds the job that built
it complete, and the next layer's rebuild is queued and run at once."""

from __future__ import annotations

from collections.abc import Iterator

import ckanapi
import pytest

from support.live_server import LiveServer
from support.waiting import wait_until

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
