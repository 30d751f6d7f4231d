"""The staff forms over real HTTP, each with the refusals that matter: editing a dataset, changing
column types, checking a file again, creating and revoking API tokens, adding members and signing
out. Every refused post (wrong user, another organisation, a missing, forged or someone else's
CSRF token) is checked to have changed nothing."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest
import requests

from support.live_server import LiveServer
from support.waiting import wait_until

CSV = "名称,定員\n公民館,30\n体育館,120\n".encode()


@dataclass
class Staff:
    """A browser-like session of one signed-in user."""

    site: LiveServer
    name: str
    http: requests.Session
    csrf: str

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.site.url + path, allow_redirects=False, timeout=30)

    def post(self, path: str, data: dict[str, Any], csrf: str | None = None) -> requests.Response:
        form = {"csrf_token": self.csrf if csrf is None else csrf, **data}
        return self.http.post(self.site.url + path, data=form, allow_redirects=False, timeout=30)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "the page has no form"
    return found.group(1)


def sign_in(site: LiveServer, name: str) -> Staff:
    http = requests.Session()
    login = _csrf(http.get(site.url + "/user/login", timeout=30).text)
    response = http.post(
        site.url + "/user/login",
        data={"csrf_token": login, "name": name, "password": f"pw-{name}-0000"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 303, response.text
    # Signing in starts a new session, with a new CSRF token: read it from a staff page.
    return Staff(site, name, http, _csrf(http.get(site.url + "/staff/tokens", timeout=30).text))


_signed_in: dict[tuple[str, str], Staff] = {}


def staff(site: LiveServer, name: str) -> Staff:
    """A signed-in session reused across this module's tests (signing in hashes a password, which
    is slow on purpose); tests that sign out use `sign_in` for a session of their own."""
    key = (site.url, name)
    if key not in _signed_in:
        _signed_in[key] = sign_in(site, name)
    return _signed_in[key]


BAD_TOKENS = ["", "forged-token"]


@pytest.fixture(scope="module")
def site(server: LiveServer) -> LiveServer:
    """Organisation sf-ube (admin, editor, member) with a published table, and sf-hagi, whose
    editor and admin belong to another organisation."""
    for name in ("sf-admin", "sf-editor", "sf-member", "sf-other", "sf-other-admin", "sf-new"):
        server.make_user(name)
    for org in ("sf-ube", "sf-hagi"):
        server.act("organization_create", {"name": org, "title": f"組織 {org}"})
    for user, org, role in (
        ("sf-admin", "sf-ube", "admin"),
        ("sf-editor", "sf-ube", "editor"),
        ("sf-member", "sf-ube", "member"),
        ("sf-other", "sf-hagi", "editor"),
        ("sf-other-admin", "sf-hagi", "admin"),
    ):
        server.act("organization_member_create", {"id": org, "username": user, "role": role})
    server.act(
        "package_create",
        {"name": "sf-evac", "title": "避難所", "owner_org": "sf-ube", "license_id": "cc-by-4.0"},
    )
    root = server.ckan(server.make_user("sf-root", sysadmin=True))
    resource = root.action.resource_create(
        package_id="sf-evac", name="一覧", format="CSV", upload=("evac.csv", io.BytesIO(CSV))
    )
    ingested(server, resource["id"])
    return server


def root(site: LiveServer) -> ckanapi.RemoteCKAN:
    return site.ckan(site.act("api_token_create", {"user": "sf-root", "name": "read"})["token"])


def ingested(site: LiveServer, resource_id: str) -> dict[str, Any]:
    return wait_until(
        lambda: site.act("datastore_ingest_status", {"resource_id": resource_id}),
        f"the ingest of {resource_id} to finish",
        until=lambda s: s["status"] in ("complete", "error"),
    )


def resource_id(site: LiveServer) -> str:
    return str(site.act("package_show", {"id": "sf-evac"})["resources"][0]["id"])


def column_types(site: LiveServer) -> dict[str, str]:
    info = site.act("datastore_info", {"id": resource_id(site)})
    return {f["id"]: f["type"] for f in info["fields"]}


# -- editing a dataset -------------------------------------------------------------------------


def edit_form(title: str, owner_org: str = "sf-ube") -> dict[str, Any]:
    return {
        "name": "sf-evac",
        "title": title,
        "notes": "指定避難所の一覧",
        "owner_org": owner_org,
        "license_id": "cc-by-4.0",
        "tag_string": "防災,避難所",
    }


def title_of(site: LiveServer) -> str:
    return str(site.act("package_show", {"id": "sf-evac"})["title"])


def test_editor_edits_a_dataset(site: LiveServer) -> None:
    editor = staff(site, "sf-editor")
    response = editor.post("/staff/dataset/sf-evac/edit", edit_form("避難所（改訂）"))
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/dataset/sf-evac"
    shown = site.act("package_show", {"id": "sf-evac"})
    assert (shown["title"], shown["notes"]) == ("避難所（改訂）", "指定避難所の一覧")
    invalid = editor.post("/staff/dataset/sf-evac/edit", edit_form(""))
    assert invalid.status_code == 400 and "必須項目です" in invalid.text
    assert title_of(site) == "避難所（改訂）"


def test_tags_typed_on_the_edit_form_are_saved(site: LiveServer) -> None:
    response = staff(site, "sf-editor").post(
        "/staff/dataset/sf-evac/edit", edit_form(title_of(site))
    )
    assert response.status_code == 303
    shown = site.act("package_show", {"id": "sf-evac"})
    assert {t["name"] for t in shown["tags"]} == {"防災", "避難所"}


@pytest.mark.parametrize("who", ["sf-member", "sf-other"])
def test_edit_by_someone_who_may_not_is_refused(site: LiveServer, who: str) -> None:
    before = title_of(site)
    response = staff(site, who).post("/staff/dataset/sf-evac/edit", edit_form("乗っ取り"))
    assert response.status_code == 403
    assert title_of(site) == before


def test_moving_a_dataset_into_another_organisation_is_refused(site: LiveServer) -> None:
    before = site.act("package_show", {"id": "sf-evac"})
    response = staff(site, "sf-editor").post(
        "/staff/dataset/sf-evac/edit", edit_form("移動", owner_org="sf-hagi")
    )
    assert response.status_code == 400
    after = site.act("package_show", {"id": "sf-evac"})
    assert (after["organization"]["name"], after["title"]) == ("sf-ube", before["title"])


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_edit_without_a_valid_csrf_token_is_refused(site: LiveServer, token: str) -> None:
    before = title_of(site)
    response = staff(site, "sf-editor").post(
        "/staff/dataset/sf-evac/edit", edit_form("偽造"), csrf=token
    )
    assert response.status_code == 403
    assert title_of(site) == before


def test_a_csrf_token_from_another_session_is_refused(site: LiveServer) -> None:
    attacker = staff(site, "sf-other")  # signed in, with a valid token of their own session
    victim = staff(site, "sf-editor")
    before = title_of(site)
    response = victim.post("/staff/dataset/sf-evac/edit", edit_form("偽造"), csrf=attacker.csrf)
    assert response.status_code == 403
    assert title_of(site) == before


# -- column types and checking again -------------------------------------------------------------


def test_editor_changes_a_column_type_and_the_table_is_read_again(site: LiveServer) -> None:
    rid = resource_id(site)
    assert column_types(site) == {"名称": "text", "定員": "int"}
    before = site.act("datastore_ingest_status", {"resource_id": rid})["job_id"]
    response = staff(site, "sf-editor").post(
        f"/staff/dataset/sf-evac/resource/{rid}/types",
        {"type:名称": "text", "type:定員": "numeric"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/dataset/sf-evac#resource-{rid}"
    status = wait_until(
        lambda: site.act("datastore_ingest_status", {"resource_id": rid}),
        "the table to be read again with the new type",
        until=lambda s: s["job_id"] != before and s["status"] in ("complete", "error"),
    )
    assert status["status"] == "complete", status
    assert column_types(site) == {"名称": "text", "定員": "numeric"}
    records = root(site).action.datastore_search(resource_id=rid, sort="_id")["records"]
    assert [r["定員"] for r in records] == [30, 120]


@pytest.mark.parametrize(("who", "token"), [("sf-other", None), ("sf-member", None)])
def test_types_changed_by_someone_who_may_not_are_refused(
    site: LiveServer, who: str, token: str | None
) -> None:
    rid = resource_id(site)
    before = (column_types(site), site.act("datastore_ingest_status", {"resource_id": rid}))
    response = staff(site, who).post(
        f"/staff/dataset/sf-evac/resource/{rid}/types", {"type:名称": "int"}, csrf=token
    )
    assert response.status_code == 403
    after = (column_types(site), site.act("datastore_ingest_status", {"resource_id": rid}))
    assert after[0] == before[0] and after[1]["job_id"] == before[1]["job_id"]


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_types_without_a_valid_csrf_token_are_refused(site: LiveServer, token: str) -> None:
    rid = resource_id(site)
    before = site.act("datastore_ingest_status", {"resource_id": rid})["job_id"]
    response = staff(site, "sf-editor").post(
        f"/staff/dataset/sf-evac/resource/{rid}/types", {"type:名称": "int"}, csrf=token
    )
    assert response.status_code == 403
    assert site.act("datastore_ingest_status", {"resource_id": rid})["job_id"] == before


def checked_at(site: LiveServer) -> str | None:
    return site.act("resource_validation_show", {"id": resource_id(site)}).get("checked")


def settled_check(site: LiveServer) -> str:
    """The file's check time once no ingest or check of it is still to run (an earlier test's
    type change re-ingests the file, and a check follows that ingest)."""
    rid = resource_id(site)

    def state() -> tuple[bool, str | None]:
        busy = any(job["object_id"] == rid for job in site.act("job_list", {}))
        return busy, checked_at(site)

    return str(
        wait_until(state, "the file's checks to settle", until=lambda s: not s[0] and s[1])[1]
    )


def test_editor_checks_a_file_again(site: LiveServer) -> None:
    rid = resource_id(site)
    first = settled_check(site)
    response = staff(site, "sf-editor").post(f"/staff/dataset/sf-evac/resource/{rid}/check", {})
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/dataset/sf-evac#resource-{rid}"
    again = checked_at(site)
    assert again is not None and again != first


@pytest.mark.parametrize(("who", "token"), [("sf-other", None), ("sf-editor", "forged-token")])
def test_checking_again_is_refused_to_others_and_forged_forms(
    site: LiveServer, who: str, token: str | None
) -> None:
    rid = resource_id(site)
    before = settled_check(site)
    response = staff(site, who).post(f"/staff/dataset/sf-evac/resource/{rid}/check", {}, csrf=token)
    # Another organisation's editor is told the dataset's page does not exist for them.
    assert response.status_code == (404 if token is None else 403)
    assert checked_at(site) == before


# -- API tokens ----------------------------------------------------------------------------------


def token_names(site: LiveServer, user: str) -> list[str]:
    return [t["name"] for t in site.act("api_token_list", {"user": user})]


def test_create_a_token_shown_once_that_works(site: LiveServer) -> None:
    editor = staff(site, "sf-editor")
    response = editor.post("/staff/tokens", {"name": "集計スクリプト"})
    assert response.status_code == 200
    secret = re.search(r'<pre class="copyable"[^>]*>([^<]+)</pre>', response.text)
    assert secret is not None
    assert "集計スクリプト" in token_names(site, "sf-editor")
    assert site.ckan(secret.group(1)).action.user_show()["name"] == "sf-editor"
    assert secret.group(1) not in editor.get("/staff/tokens").text  # never shown again


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_create_a_token_without_a_valid_csrf_token_is_refused(site: LiveServer, token: str) -> None:
    before = token_names(site, "sf-editor")
    response = staff(site, "sf-editor").post("/staff/tokens", {"name": "偽造"}, csrf=token)
    assert response.status_code == 403
    assert token_names(site, "sf-editor") == before


def test_revoke_own_token(site: LiveServer) -> None:
    made = site.act("api_token_create", {"user": "sf-editor", "name": "revoke-me"})
    assert site.ckan(made["token"]).action.user_show()["name"] == "sf-editor"
    response = staff(site, "sf-editor").post("/staff/tokens/revoke", {"id": made["id"]})
    assert response.status_code == 303 and response.headers["location"] == "/staff/tokens"
    assert "revoke-me" not in token_names(site, "sf-editor")
    with pytest.raises(ckanapi.NotAuthorized):
        site.ckan(made["token"]).action.user_show()


@pytest.mark.parametrize(
    ("who", "token", "status"),
    [
        ("sf-admin", None, 403),  # someone else's token, even an admin of the same organisation
        ("sf-editor", "", 403),
        ("sf-editor", "forged-token", 403),
    ],
)
def test_revoking_is_refused_for_others_tokens_and_forged_forms(
    site: LiveServer, who: str, token: str | None, status: int
) -> None:
    made = site.act("api_token_create", {"user": "sf-editor", "name": f"keep-{who}-{token}"})
    response = staff(site, who).post("/staff/tokens/revoke", {"id": made["id"]}, csrf=token)
    assert response.status_code == status
    assert site.ckan(made["token"]).action.user_show()["name"] == "sf-editor"


def test_revoking_an_unknown_token_is_not_found(site: LiveServer) -> None:
    response = staff(site, "sf-editor").post("/staff/tokens/revoke", {"id": "no-such-token"})
    assert response.status_code == 404


# -- members -------------------------------------------------------------------------------------


def members(site: LiveServer, org: str) -> dict[str, str]:
    users = site.act("organization_show", {"id": org, "include_users": True})["users"]
    return {u["name"]: u["capacity"] for u in users}


def test_admin_adds_a_member_and_changes_a_role(site: LiveServer) -> None:
    admin = staff(site, "sf-admin")
    response = admin.post(
        "/staff/organization/sf-ube/members", {"username": "sf-new", "role": "editor"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/organization/sf-ube/members"
    assert members(site, "sf-ube")["sf-new"] == "editor"
    admin.post("/staff/organization/sf-ube/members", {"username": "sf-new", "role": "member"})
    assert members(site, "sf-ube")["sf-new"] == "member"
    unknown = admin.post(
        "/staff/organization/sf-ube/members", {"username": "no-such-user", "role": "editor"}
    )
    assert unknown.status_code == 400 and "ユーザーが見つかりません" in unknown.text
    bad_role = admin.post(
        "/staff/organization/sf-ube/members", {"username": "sf-new", "role": "owner"}
    )
    assert bad_role.status_code == 400
    assert members(site, "sf-ube")["sf-new"] == "member"


@pytest.mark.parametrize(
    ("who", "token"),
    [
        ("sf-editor", None),  # an editor of the organisation is no admin
        ("sf-other-admin", None),  # admin of another organisation
        ("sf-admin", ""),
        ("sf-admin", "forged-token"),
    ],
)
def test_adding_members_is_refused(site: LiveServer, who: str, token: str | None) -> None:
    before = members(site, "sf-ube")
    response = staff(site, who).post(
        "/staff/organization/sf-ube/members", {"username": "sf-other", "role": "admin"}, csrf=token
    )
    assert response.status_code == 403
    assert members(site, "sf-ube") == before


# -- signing out ---------------------------------------------------------------------------------


def test_logout_ends_the_session(site: LiveServer) -> None:
    session = sign_in(site, "sf-editor")
    assert session.get("/staff").status_code == 200
    response = session.post("/user/logout", {})
    assert response.status_code == 303 and response.headers["location"] == "/"
    after = session.get("/staff")
    assert after.status_code == 303 and after.headers["location"].startswith("/user/login")
    assert session.post("/staff/tokens", {"name": "after logout"}).status_code == 303  # to sign in
    assert "after logout" not in token_names(site, "sf-editor")


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_logout_without_a_valid_csrf_token_is_refused(site: LiveServer, token: str) -> None:
    session = sign_in(site, "sf-editor")
    assert session.post("/user/logout", {}, csrf=token).status_code == 403
    assert session.get("/staff").status_code == 200  # still signed in


def test_a_session_cookie_copied_before_logout_is_dead_after_it(site: LiveServer) -> None:
    session = sign_in(site, "sf-editor")
    copied = session.http.cookies.get("tsunagu_session")
    assert session.post("/user/logout", {}).status_code == 303
    replay = requests.get(
        site.url + "/staff",
        cookies={"tsunagu_session": copied},
        allow_redirects=False,
        timeout=30,
    )
    assert replay.status_code == 303
