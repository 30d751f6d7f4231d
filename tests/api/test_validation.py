"""Bad input gets a Validation Error naming the field (409) or a 400, never a 500."""

from __future__ import annotations

import io

import ckanapi
import pytest
import requests

from support.live_server import LiveServer


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> ckanapi.RemoteCKAN:
    ckan = server.ckan(server.make_user("val-admin", sysadmin=True))
    ckan.action.organization_create(
        name="ube-city", title="宇部市", kind="municipality", local_gov_code="352021"
    )
    ckan.action.package_create(name="taken", title="既存", owner_org="ube-city")
    return ckan


def _fields(exc: pytest.ExceptionInfo[ckanapi.ValidationError]) -> set[str]:
    return {k for k in exc.value.error_dict if k != "__type"}


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"name": "Bad Name!", "title": "x"}, "name"),
        ({"name": "a", "title": "x"}, "name"),
        ({"name": "taken", "title": "x"}, "name"),
        ({"name": "no-title"}, "title"),
        ({"name": "bad-license", "title": "x", "license_id": "gpl-99"}, "license_id"),
        ({"name": "bad-email", "title": "x", "maintainer_email": "not-mail"}, "maintainer_email"),
        ({"name": "bad-date", "title": "x", "temporal_start": "来年ごろ"}, "temporal_start"),
        ({"name": "bad-state", "title": "x", "state": "published"}, "state"),
        ({"name": "bad-org", "title": "x", "owner_org": "no-such-org"}, "owner_org"),
        ({"name": "bad-group", "title": "x", "groups": [{"name": "nope"}]}, "groups"),
        ({"name": "bad-url", "title": "x", "url": "javascript:alert(1)"}, "url"),
        ({"name": "bad-extras", "title": "x", "extras": "oops"}, "extras"),
        ({"name": "bad-resources", "title": "x", "resources": "oops"}, "resources"),
    ],
)
def test_package_create_validation(admin: ckanapi.RemoteCKAN, fields: dict, bad_field: str) -> None:
    data = {"owner_org": "ube-city", **fields}
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.package_create(**data)
    assert bad_field in _fields(exc)


def test_missing_owner_org(admin: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.package_create(name="orphan", title="x")
    assert _fields(exc) == {"owner_org"}


def test_every_error_reported_at_once(admin: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.package_create(name="X", license_id="nope", owner_org="ube-city")
    assert {"name", "title", "license_id"} <= _fields(exc)


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("352021", True),
        ("350001", True),
        ("131016", True),
        ("352022", False),
        ("35202", False),
        ("abcdef", False),
        ("３５２０２１", False),
    ],
)
def test_local_government_code_check_digit(admin: ckanapi.RemoteCKAN, code: str, ok: bool) -> None:
    name = f"org-{abs(hash(code)) % 10**8}"
    if ok:
        org = admin.action.organization_create(
            name=name, title="団体", kind="municipality", local_gov_code=code
        )
        assert org["local_gov_code"] == code
    else:
        with pytest.raises(ckanapi.ValidationError) as exc:
            admin.action.organization_create(
                name=name, title="団体", kind="municipality", local_gov_code=code
            )
        assert "local_gov_code" in _fields(exc)


def test_municipality_needs_code_and_known_kind(admin: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.organization_create(name="no-code", title="x", kind="municipality")
    assert "local_gov_code" in _fields(exc)
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.organization_create(name="odd-kind", title="x", kind="village-ish")
    assert "kind" in _fields(exc)


def test_duplicate_organization_name(admin: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.organization_create(name="ube-city", title="重複")
    assert "name" in _fields(exc)


def test_malformed_json_is_400(server: LiveServer) -> None:
    response = requests.post(
        f"{server.url}/api/3/action/package_search",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert "JSON" in body["error"]["message"]
    response = requests.post(
        f"{server.url}/api/3/action/package_search",
        data=b"[1,2]",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400


def test_unknown_action_is_404(server: LiveServer) -> None:
    response = requests.get(f"{server.url}/api/3/action/no_such_action", timeout=10)
    assert response.status_code == 404
    assert response.json()["error"]["__type"] == "Not Found Error"


def test_not_found_maps_to_ckanapi_exception(server: LiveServer) -> None:
    with pytest.raises(ckanapi.NotFound):
        server.ckan().action.package_show(id="does-not-exist")
    with pytest.raises(ckanapi.NotFound):
        server.ckan().action.organization_show(id="does-not-exist")
    with pytest.raises(ckanapi.NotFound):
        server.ckan().action.resource_show(id="does-not-exist")


def test_missing_id_is_validation_error(server: LiveServer) -> None:
    with pytest.raises(ckanapi.ValidationError) as exc:
        server.ckan().action.package_show()
    assert "id" in _fields(exc)


def test_bad_paging_and_search_parameters(admin: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.package_search(rows="many")
    assert "rows" in _fields(exc)
    with pytest.raises(ckanapi.ValidationError):
        admin.action.package_list(limit=-1)
    with pytest.raises(ckanapi.SearchQueryError):
        admin.action.package_search(q="(unbalanced")
    with pytest.raises(ckanapi.SearchQueryError):
        admin.action.package_search(sort="popularity desc")
    with pytest.raises(ckanapi.SearchQueryError):
        admin.action.package_search(fq="nosuchfield:1")
    with pytest.raises(ckanapi.SearchQueryError):
        admin.action.package_search(**{"facet.field": '["nosuchfield"]'})


def test_oversize_upload_rejected_and_nothing_kept(
    admin: ckanapi.RemoteCKAN, server: LiveServer
) -> None:
    big = io.BytesIO(b"a,b\n" + b"1,2\n" * (server.max_upload_bytes // 4 + 10))
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.resource_create(package_id="taken", name="big", upload=("big.csv", big))
    assert "upload" in _fields(exc)
    assert admin.action.package_show(id="taken")["num_resources"] == 0


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("evil.exe", b"MZ\x90\x00"),
        ("page.html", b"<script>alert(1)</script>"),
        ("fake.xlsx", b"name,value\n1,2\n"),
        ("binary.csv", b"\x00\x01\x02\x03" * 10),
        ("empty.csv", b""),
    ],
)
def test_upload_type_checked(admin: ckanapi.RemoteCKAN, filename: str, content: bytes) -> None:
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.resource_create(package_id="taken", upload=(filename, io.BytesIO(content)))
    assert "upload" in _fields(exc)


def test_resource_needs_url_or_upload(admin: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.resource_create(package_id="taken", name="nothing")
    assert "url" in _fields(exc)
