"""Who may manage harvest sources and see their jobs, over HTTP on SQLite and PostgreSQL:
sysadmins everything; an organisation's admins their own organisation's sources (never
pointing one at another organisation); its editors and members may look but not manage;
nobody else may even look."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import ckanapi
import pytest

from support.harvest import harvesting_server, wait_for_job
from support.live_server import LiveServer

ORG_A, ORG_B = "rights-city-a", "rights-city-b"
ACTORS = ("anonymous", "outsider", "member", "editor", "admin", "other_admin", "sysadmin")
MANAGERS = {"admin", "sysadmin"}
READERS = {"member", "editor", "admin", "sysadmin"}
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def local(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = harvesting_server(backend, tmp_path_factory.mktemp(f"rights-{backend}"))
    for org in (ORG_A, ORG_B):
        live.act("organization_create", {"name": org, "title": org})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def actors(local: LiveServer) -> dict[str, ckanapi.RemoteCKAN]:
    out = {"anonymous": local.ckan()}
    for actor in ACTORS[1:]:
        user = f"hr-{actor.replace('_', '-')}"
        out[actor] = local.ckan(local.make_user(user, sysadmin=actor == "sysadmin"))
    for actor, role in (("member", "member"), ("editor", "editor"), ("admin", "admin")):
        local.act(
            "organization_member_create", {"id": ORG_A, "username": f"hr-{actor}", "role": role}
        )
    local.act(
        "organization_member_create", {"id": ORG_B, "username": "hr-other-admin", "role": "admin"}
    )
    return out


def new_source(local: LiveServer, org: str = ORG_A, **values: Any) -> dict[str, Any]:
    """A manual source of `org`, made as the system (its URL never answers)."""
    n = next(_serial)
    return dict(
        local.act(
            "harvest_source_create",
            {
                "name": f"rights-{n}",
                "title": "変更前",
                "url": f"https://ckan.example.invalid/{n}",
                "source_type": "ckan",
                "owner_org": org,
                **values,
            },
        )
    )


def refused(call: Any, actor: str) -> None:
    with pytest.raises(ckanapi.NotAuthorized):
        call()


@pytest.mark.parametrize("actor", ACTORS)
def test_creating_a_source_needs_admin_rights_in_its_organisation(
    local: LiveServer, actors: dict[str, ckanapi.RemoteCKAN], actor: str
) -> None:
    name = f"rights-new-{next(_serial)}"

    def create() -> Any:
        return actors[actor].action.harvest_source_create(
            name=name,
            url=f"https://ckan.example.invalid/{name}",
            source_type="ckan",
            owner_org=ORG_A,
        )

    if actor in MANAGERS:
        assert create()["organization"]["name"] == ORG_A
        return
    refused(create, actor)
    assert name not in {s["name"] for s in local.act("harvest_source_list", {})}


def test_an_org_admin_cannot_point_a_source_at_another_organisation(
    local: LiveServer, actors: dict[str, ckanapi.RemoteCKAN]
) -> None:
    admin = actors["admin"]
    with pytest.raises(ckanapi.NotAuthorized):
        admin.action.harvest_source_create(
            name=f"rights-b-{next(_serial)}",
            url="https://ckan.example.invalid/b",
            source_type="ckan",
            owner_org=ORG_B,
        )
    source = new_source(local)
    with pytest.raises(ckanapi.NotAuthorized):
        admin.action.harvest_source_update(id=source["id"], owner_org=ORG_B)
    assert local.act("harvest_source_show", {"id": source["id"]})["organization"]["name"] == ORG_A
    # A sysadmin may move it; so may someone who is admin of both.
    local.act("organization_member_create", {"id": ORG_B, "username": "hr-admin", "role": "admin"})
    try:
        moved = admin.action.harvest_source_update(id=source["id"], owner_org=ORG_B)
        assert moved["organization"]["name"] == ORG_B
    finally:
        local.act("organization_member_delete", {"id": ORG_B, "username": "hr-admin"})


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ["update", "patch", "delete", "run", "job_create"])
def test_managing_a_source_needs_admin_rights(
    local: LiveServer, actors: dict[str, ckanapi.RemoteCKAN], actor: str, action: str
) -> None:
    source = new_source(local)
    api = actors[actor].action
    call = {
        "update": lambda: api.harvest_source_update(id=source["id"], title="変更後"),
        "patch": lambda: api.harvest_source_patch(id=source["name"], title="変更後"),
        "delete": lambda: api.harvest_source_delete(id=source["id"]),
        "run": lambda: api.harvest_run(id=source["id"]),
        "job_create": lambda: api.harvest_job_create(source_id=source["id"]),
    }[action]
    if actor in MANAGERS:
        call()
        return
    refused(call, actor)
    shown = local.act("harvest_source_show", {"id": source["id"]})
    assert (shown["title"], shown["state"], shown["status"]["job_count"]) == ("変更前", "active", 0)


@pytest.mark.parametrize("actor", ACTORS)
def test_seeing_sources_and_jobs_needs_a_role_in_the_organisation(
    local: LiveServer, actors: dict[str, ckanapi.RemoteCKAN], actor: str
) -> None:
    source = new_source(local)
    job = local.act("harvest_run", {"id": source["id"]})
    api = actors[actor].action
    reads = [
        lambda: api.harvest_source_show(id=source["id"]),
        lambda: api.harvest_source_show_status(id=source["id"]),
        lambda: api.harvest_job_list(source_id=source["id"]),
        lambda: api.harvest_job_show(id=job["id"]),
    ]
    if actor in READERS:
        assert api.harvest_source_show(id=source["id"])["name"] == source["name"]
        assert api.harvest_source_show_status(id=source["id"])["job_count"] == 1
        assert [j["id"] for j in api.harvest_job_list(source_id=source["id"])] == [job["id"]]
        assert api.harvest_job_show(id=job["id"])["source_id"] == source["id"]
        assert source["id"] in {s["id"] for s in api.harvest_source_list()}
        return
    for read in reads:
        refused(read, actor)
    if actor == "anonymous":
        refused(api.harvest_source_list, actor)
    else:
        assert source["id"] not in {s["id"] for s in api.harvest_source_list()}


def test_aborting_a_job_needs_admin_rights(
    local: LiveServer, actors: dict[str, ckanapi.RemoteCKAN]
) -> None:
    source = new_source(local, active=True)
    job = local.act("harvest_run", {"id": source["id"]})
    wait_for_job(actors["sysadmin"], job["id"])
    with pytest.raises(ckanapi.ValidationError):  # already over: nothing to stop
        actors["admin"].action.harvest_job_abort(id=job["id"])
    for actor in ("editor", "member", "other_admin"):
        refused(lambda a=actor: actors[a].action.harvest_job_abort(id=job["id"]), actor)


def test_editing_a_source_keeps_its_key_unless_told(
    local: LiveServer, actors: dict[str, ckanapi.RemoteCKAN]
) -> None:
    source = new_source(local, api_key="0123456789abcdef-secret-key")
    admin = actors["admin"].action
    assert admin.harvest_source_show(id=source["id"])["api_key"] == "********-key"
    assert admin.harvest_source_patch(id=source["id"], title="変更後")["api_key"] == "********-key"
    assert admin.harvest_source_patch(id=source["id"], api_key="")["api_key"] == ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("url", "ftp://ckan.example.jp/", "http:// か https://"),
        ("url", "file:///etc/passwd", "http:// か https://"),
        ("url", "http://xn--.com/", "http:// か https://"),  # a malformed IDNA label
        ("url", "", "必須項目です"),
        ("source_type", "csw", "不明な種類です"),
        ("frequency", "every minute", "のいずれかで指定してください"),
        ("config", "{not json", "JSON として読めません"),
        ("config", {"withdraw_after_days": -1}, "日数で指定してください"),
        ("config", {"local_fields": ["title"]}, "次の項目から選んでください"),
        ("config", {"organisation_filter": ["x"]}, "不明な設定です"),
        ("config", {"page_size": 5000}, "1 以上 1000 以下"),
        ("name", "日本語の名前", "半角英小文字"),
        ("owner_org", "no-such-org", "組織が見つかりません"),
    ],
)
def test_bad_source_input_is_refused_field_by_field(
    actors: dict[str, ckanapi.RemoteCKAN], field: str, value: Any, message: str
) -> None:
    data = {
        "name": f"bad-{next(_serial)}",
        "url": "https://ckan.example.invalid/x",
        "source_type": "ckan",
        "owner_org": ORG_A,
        field: value,
    }
    with pytest.raises(ckanapi.ValidationError) as error:
        actors["sysadmin"].action.harvest_source_create(**data)
    assert message in str(error.value.error_dict)


def test_purging_an_organisation_purges_its_sources(
    local: LiveServer, actors: dict[str, ckanapi.RemoteCKAN]
) -> None:
    org = f"rights-purged-{next(_serial)}"
    local.act("organization_create", {"name": org, "title": "消える市"})
    source = new_source(local, org)
    local.act("harvest_run", {"id": source["id"]})
    actors["sysadmin"].action.organization_purge(id=org)
    with pytest.raises(ckanapi.NotFound):
        actors["sysadmin"].action.harvest_source_show(id=source["id"])
