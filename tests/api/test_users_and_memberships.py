"""Reading users, memberships and ingest status over HTTP: who sees an e-mail address, who may
list users, which organisations each role gets from organization_list_for_user, the role list,
and xloader_status for readers and for those who may not read the dataset."""

from __future__ import annotations

import io
from pathlib import Path

import ckanapi
import pytest

from support.live_server import LiveServer
from support.waiting import wait_until

CORPUS = Path(__file__).resolve().parents[1] / "data" / "datastore"


@pytest.fixture(scope="module")
def site(server: LiveServer) -> dict[str, ckanapi.RemoteCKAN]:
    """um-admin is admin of um-a, editor of um-b and member of um-c; um-outsider belongs nowhere.
    um-gone is an organisation that was deleted."""
    clients = {"anonymous": server.ckan()}
    for name in ("um-admin", "um-outsider", "um-root"):
        clients[name] = server.ckan(server.make_user(name, sysadmin=name == "um-root"))
    for org in ("um-a", "um-b", "um-c", "um-none", "um-gone"):
        server.act("organization_create", {"name": org, "title": f"組織 {org}"})
    for org, role in (("um-a", "admin"), ("um-b", "editor"), ("um-c", "member")):
        server.act("organization_member_create", {"id": org, "username": "um-admin", "role": role})
    server.act(
        "organization_member_create", {"id": "um-gone", "username": "um-admin", "role": "admin"}
    )
    server.act("organization_delete", {"id": "um-gone"})
    return clients


# -- user_show / user_list ---------------------------------------------------------------------


def test_user_show_gives_the_email_to_the_user_and_sysadmins_only(
    site: dict[str, ckanapi.RemoteCKAN],
) -> None:
    own = site["um-admin"].action.user_show(id="um-admin")
    assert own["email"] == "um-admin@example.jp"
    assert site["um-admin"].action.user_show()["name"] == "um-admin"  # no id: the caller
    assert site["um-root"].action.user_show(id="um-admin")["email"] == "um-admin@example.jp"
    for caller in ("um-outsider", "anonymous"):
        shown = site[caller].action.user_show(id="um-admin")
        assert shown["name"] == "um-admin"
        assert "email" not in shown, caller
        assert "um-admin@example.jp" not in str(shown)
    # Asked by id rather than by name: still hidden.
    assert "email" not in site["um-outsider"].action.user_show(id=own["id"])


def test_user_show_refusals(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    with pytest.raises(ckanapi.NotFound):
        site["um-outsider"].action.user_show(id="no-such-user")
    with pytest.raises(ckanapi.ValidationError):
        site["anonymous"].action.user_show()  # nobody to show


def test_user_list_needs_sign_in_and_hides_other_emails(
    site: dict[str, ckanapi.RemoteCKAN],
) -> None:
    with pytest.raises(ckanapi.NotAuthorized):
        site["anonymous"].action.user_list()
    listed = site["um-outsider"].action.user_list()
    names = [u["name"] for u in listed]
    assert names == sorted(names)
    assert {"um-admin", "um-outsider", "um-root"} <= set(names)
    by_name = {u["name"]: u for u in listed}
    assert by_name["um-outsider"]["email"] == "um-outsider@example.jp"
    assert "email" not in by_name["um-admin"] and "email" not in by_name["um-root"]
    as_root = {u["name"]: u for u in site["um-root"].action.user_list()}
    assert as_root["um-admin"]["email"] == "um-admin@example.jp"


# -- organization_list_for_user / member_roles_list --------------------------------------------


def _orgs(client: ckanapi.RemoteCKAN, **params: str) -> list[str]:
    return [o["name"] for o in client.action.organization_list_for_user(**params)]


def test_organization_list_for_user_by_permission(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    """CKAN's permissions: every role may read and manage_group, editors and admins may
    create_dataset, only admins hold membership (managing members)."""
    admin = site["um-admin"]
    everywhere = ["um-a", "um-b", "um-c"]
    assert _orgs(admin) == everywhere  # manage_group by default
    assert _orgs(admin, permission="read") == everywhere
    assert _orgs(admin, permission="create_dataset") == ["um-a", "um-b"]
    assert _orgs(admin, permission="membership") == ["um-a"]
    capacities = {o["name"]: o["capacity"] for o in admin.action.organization_list_for_user()}
    assert capacities == {"um-a": "admin", "um-b": "editor", "um-c": "member"}
    assert "um-gone" not in _orgs(admin, permission="read")  # deleted


def test_organization_list_for_user_for_outsiders_and_sysadmins(
    site: dict[str, ckanapi.RemoteCKAN],
) -> None:
    assert _orgs(site["anonymous"], permission="read") == []
    assert _orgs(site["um-outsider"], permission="read") == []
    everything = _orgs(site["um-root"])
    assert {"um-a", "um-b", "um-c", "um-none"} <= set(everything)
    assert "um-gone" not in everything


def test_organization_list_for_another_user(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    """Which organisations someone belongs to: shown to that user and to sysadmins only."""
    assert _orgs(site["um-root"], id="um-admin", permission="create_dataset") == ["um-a", "um-b"]
    assert _orgs(site["um-admin"], id="um-admin", permission="membership") == ["um-a"]
    for caller in ("um-outsider", "anonymous"):
        with pytest.raises(ckanapi.NotAuthorized):
            site[caller].action.organization_list_for_user(id="um-admin")
    with pytest.raises(ckanapi.NotFound):
        site["um-root"].action.organization_list_for_user(id="no-such-user")


def test_member_roles_list(site: dict[str, ckanapi.RemoteCKAN]) -> None:
    roles = site["anonymous"].action.member_roles_list()
    assert [r["value"] for r in roles] == ["admin", "editor", "member"]
    assert all(r["text"] for r in roles)


# -- xloader_status --------------------------------------------------------------------------


def _upload(root: ckanapi.RemoteCKAN, dataset: str, name: str, body: bytes) -> str:
    fmt = name.rsplit(".", 1)[1].upper()
    upload = (name, io.BytesIO(body))
    return str(root.action.resource_create(package_id=dataset, format=fmt, upload=upload)["id"])


def _finished(client: ckanapi.RemoteCKAN, resource_id: str) -> dict[str, object]:
    return wait_until(
        lambda: client.action.xloader_status(resource_id=resource_id),
        f"the ingest of {resource_id} to finish",
        until=lambda s: s["status"] in ("complete", "error"),
    )


def test_xloader_status_of_a_good_and_a_bad_file(
    site: dict[str, ckanapi.RemoteCKAN], server: LiveServer
) -> None:
    server.act("package_create", {"name": "um-public", "title": "公開", "owner_org": "um-a"})
    good = _upload(site["um-root"], "um-public", "t.csv", "名称,人数\n公民館,3\n".encode())
    status = _finished(site["anonymous"], good)
    assert status["status"] == "complete"
    assert status["task_info"] == {"status": "complete", "error": None}
    assert status["resource_id"] == good and status["job_id"]

    bad = _upload(
        site["um-root"], "um-public", "corrupt.xlsx", (CORPUS / "corrupt.xlsx").read_bytes()
    )
    failed = _finished(site["anonymous"], bad)
    assert failed["status"] == "error"
    assert failed["task_info"]["status"] == "error"  # type: ignore[index]
    assert failed["task_info"]["error"]["message"]  # type: ignore[index]


def test_xloader_status_is_refused_to_those_who_may_not_read(
    site: dict[str, ckanapi.RemoteCKAN], server: LiveServer
) -> None:
    server.act(
        "package_create",
        {"name": "um-private", "title": "非公開", "owner_org": "um-c", "private": True},
    )
    resource = _upload(site["um-root"], "um-private", "t.csv", "名称,人数\n公民館,3\n".encode())
    assert _finished(site["um-admin"], resource)["status"] == "complete"  # a member may read
    with pytest.raises(ckanapi.NotFound):
        site["anonymous"].action.xloader_status(resource_id=resource)
    with pytest.raises(ckanapi.NotAuthorized):
        site["um-outsider"].action.xloader_status(resource_id=resource)
    with pytest.raises(ckanapi.NotFound):
        site["um-admin"].action.xloader_status(resource_id="no-such-resource")
