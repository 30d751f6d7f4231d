"""Whatever body a client sends, the answer is CKAN's error envelope with 400, 409, 413 or 415,
never a 500: malformed multipart, bad JSON, unknown charsets, compressed bodies, oversize bodies
(also chunked, refused while they stream in) and the portal's forms.

Everything goes over real HTTP to the live server; the oversize cases use a raw socket so they
can show that the server answers before the body has been sent.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import logging
import re
import select
import socket
from collections.abc import Iterator

import orjson
import pytest
import requests

from support.live_server import LiveServer

ACTION = "/api/3/action/package_show"
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    token = server.make_user("body-admin", sysadmin=True)
    ckan = server.ckan(token)
    ckan.action.organization_create(name="body-org", title="本文市")
    ckan.action.package_create(name="body-data", title="本文のデータ", owner_org="body-org")
    return token


@pytest.fixture(autouse=True)
def no_server_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The server logs every unexpected exception; none may be logged by these tests."""
    with caplog.at_level(logging.ERROR):
        yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def post(server: LiveServer, body: bytes, content_type: str, path: str = ACTION, **headers: str):
    return requests.post(
        server.url + path,
        data=body,
        headers={"Content-Type": content_type, **headers},
        timeout=30,
    )


def assert_error(response: requests.Response, status: int, error_type: str) -> dict:
    assert response.status_code == status, response.text
    envelope = response.json()
    assert envelope["success"] is False
    assert envelope["help"].endswith("help_show?name=package_show")
    assert envelope["error"]["__type"] == error_type
    return dict(envelope["error"])


def multipart(boundary: str, *parts: tuple[str, bytes], close: bool = True) -> bytes:
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in parts
    )
    return body + (f"--{boundary}--\r\n".encode() if close else b"")


# -- multipart/form-data ----------------------------------------------------------------------


def test_multipart_well_formed_is_read(server: LiveServer, token: str) -> None:
    body = multipart("b0und", ("id", b"body-data"))
    response = post(server, body, "multipart/form-data; boundary=b0und")
    assert response.status_code == 200
    assert response.json()["result"]["title"] == "本文のデータ"


@pytest.mark.parametrize(
    ("content_type", "body", "words"),
    [
        ("multipart/form-data", b"{}", "boundary"),
        ("multipart/form-data; boundary=", b"--\r\n", "boundary"),
        ("multipart/form-data; boundary=" + "x" * 300, b"--x\r\n", "boundary"),
        ("multipart/form-data; boundary=zz", b'{"id": "body-data"}', "multipart"),
        ("multipart/form-data; boundary=zz", b"--zz\r\nTrue--zz--\r\n", "multipart"),
        (
            "multipart/form-data; boundary=zz",
            multipart("zz", ("id", b"body-data"), close=False),
            "closing boundary",
        ),
        (
            "multipart/form-data; boundary=zz",
            b'--zz\r\nContent-Disposition: form-data; name="id"\r\n\r\nbody-da',
            "closing boundary",
        ),
        (
            "multipart/form-data; boundary=zz",
            b"--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zz--\r\n",
            "name",
        ),
        ("multipart/form-data; boundary=zz", multipart("zz", ("id", b"\x82\xa0\xff")), "text"),
    ],
    ids=[
        "no-boundary",
        "empty-boundary",
        "boundary-too-long",
        "json-labelled-multipart",
        "garbage-between-boundaries",
        "no-closing-boundary",
        "cut-off-inside-a-field",
        "part-without-name",
        "field-not-utf8",
    ],
)
def test_malformed_multipart_is_400(
    server: LiveServer, token: str, content_type: str, body: bytes, words: str
) -> None:
    for path in (ACTION, "/api/action/package_show"):
        response = post(server, body, content_type, path=path, Authorization=token)
        error = assert_error(response, 400, "Bad request")
        assert words in error["message"]


def test_multipart_with_unknown_charset_is_415(server: LiveServer) -> None:
    body = multipart("zz", ("id", b"body-data"))
    response = post(server, body, "multipart/form-data; boundary=zz; charset=x-no-such")
    assert_error(response, 415, "Unsupported Media Type")


def test_multipart_declared_charset_is_used(server: LiveServer) -> None:
    body = multipart("zz", ("q", "本文".encode("shift_jis")))
    response = post(
        server,
        body,
        "multipart/form-data; boundary=zz; charset=shift_jis",
        path="/api/3/action/package_search",
    )
    assert response.status_code == 200
    assert [r["name"] for r in response.json()["result"]["results"]] == ["body-data"]


def test_multipart_too_many_fields_is_400(server: LiveServer) -> None:
    body = multipart("zz", *[(f"f{i}", b"1") for i in range(1001)])
    error = assert_error(post(server, body, "multipart/form-data; boundary=zz"), 400, "Bad request")
    assert "fields" in error["message"]


def test_repeated_form_field_is_a_validation_error_not_a_crash(
    server: LiveServer, token: str
) -> None:
    body = multipart("zz", ("id", b"body-data"), ("id", b"body-data"))
    error = assert_error(
        post(server, body, "multipart/form-data; boundary=zz"), 409, "Validation Error"
    )
    assert "id" in error
    form = "id=body-data&id=other"
    response = post(server, form.encode(), "application/x-www-form-urlencoded")
    assert "id" in assert_error(response, 409, "Validation Error")


def test_empty_multipart_body_means_no_parameters(server: LiveServer) -> None:
    response = post(server, b"", "multipart/form-data; boundary=zz")
    assert "id" in assert_error(response, 409, "Validation Error")


# -- URL-encoded forms -----------------------------------------------------------------------


def test_urlencoded_form_is_read(server: LiveServer) -> None:
    response = post(server, b"id=body-data", "application/x-www-form-urlencoded")
    assert response.json()["result"]["name"] == "body-data"


def test_json_sent_as_urlencoded_is_read_as_json(server: LiveServer) -> None:
    # `curl -d '{"id": ...}'` labels the JSON as a form; CKAN reads it as JSON, so do we.
    body = b'{"id": "body-data", "note": "a=b&c"}'
    response = post(server, body, "application/x-www-form-urlencoded")
    assert response.json()["result"]["name"] == "body-data"


@pytest.mark.parametrize("body", [b"id=\xff\xfe", b"id=%ff%fe"], ids=["raw", "percent-escaped"])
def test_urlencoded_not_utf8_is_400(server: LiveServer, body: bytes) -> None:
    error = assert_error(
        post(server, body, "application/x-www-form-urlencoded"), 400, "Bad request"
    )
    assert "utf-8" in error["message"]


def test_urlencoded_too_many_fields_is_400(server: LiveServer) -> None:
    body = "&".join(f"f{i}=1" for i in range(1001)).encode()
    assert_error(post(server, body, "application/x-www-form-urlencoded"), 400, "Bad request")


# -- JSON ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{", "JSON Error"),
        (b'{"id": "body-data",}', "JSON Error"),
        (b"[]", "not a dictionary"),
        (b'"body-data"', "not a dictionary"),
        (b"12", "not a dictionary"),
        (b"null", "not a dictionary"),
        (b'{"id": "\xff\xfe"}', "JSON Error"),
        (b'{"id": "\\ud800"}', "JSON Error"),
        (b'{"id": 1e400}', "JSON Error"),
        (b'{"id": NaN}', "JSON Error"),
        (b'{"a": ' + b"[" * 2000 + b"]" * 2000 + b"}", "JSON Error"),
        (b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}", "nested"),
    ],
    ids=[
        "cut-off",
        "trailing-comma",
        "array",
        "string",
        "number",
        "null",
        "not-utf8",
        "lone-surrogate",
        "number-overflows",
        "nan",
        "nested-2000",
        "nested-100",
    ],
)
def test_bad_json_is_400(server: LiveServer, body: bytes, words: str) -> None:
    error = assert_error(post(server, body, "application/json"), 400, "Bad request")
    assert words in error["message"]


def test_nul_in_a_parameter_is_a_validation_error(server: LiveServer) -> None:
    body = orjson.dumps({"id": "body\x00data"})
    error = assert_error(post(server, body, "application/json"), 409, "Validation Error")
    assert "NUL" in error["id"][0]
    nested = orjson.dumps({"id": "body-data", "extra": {"k": ["ok", "x\x00"]}})
    assert "extra" in assert_error(
        post(server, nested, "application/json"), 409, "Validation Error"
    )
    response = requests.get(server.url + ACTION, params={"id": "a\x00b"}, timeout=10)
    assert_error(response, 409, "Validation Error")


def test_huge_integer_is_not_a_crash(server: LiveServer) -> None:
    body = b'{"id": "body-data", "include_tracking": 123456789012345678901234567890}'
    assert post(server, body, "application/json").status_code in (200, 409)
    search = b'{"rows": 123456789012345678901234567890, "start": -99999999999999999999}'
    response = post(server, search, "application/json", path="/api/3/action/package_search")
    assert response.status_code == 409, response.text


def test_json_with_bom_and_declared_charsets(server: LiveServer) -> None:
    body = codecs.BOM_UTF8 + b'{"id": "body-data"}'
    assert post(server, body, "application/json").json()["result"]["name"] == "body-data"
    sjis = '{"q": "本文"}'.encode("shift_jis")
    response = post(
        server, sjis, "application/json; charset=Shift_JIS", path="/api/3/action/package_search"
    )
    assert response.json()["result"]["count"] == 1
    error = assert_error(post(server, sjis, "application/json"), 400, "Bad request")
    assert "JSON Error" in error["message"]
    unknown = post(server, b"{}", "application/json; charset=klingon")
    assert "klingon" in assert_error(unknown, 415, "Unsupported Media Type")["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "", 'foo/bar; x="y'])
def test_other_content_types_are_read_as_json(server: LiveServer, content_type: str) -> None:
    # As in CKAN: a body that is not a form is JSON, whatever its label says.
    response = post(server, b'{"id": "body-data"}', content_type)
    assert response.json()["result"]["name"] == "body-data"
    assert_error(post(server, b"<id>body-data</id>", content_type), 400, "Bad request")


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate"])
def test_compressed_body_is_415(server: LiveServer, encoding: str) -> None:
    for body in (gzip.compress(b'{"id": "body-data"}'), b"garbage"):
        response = post(server, body, "application/json", **{"Content-Encoding": encoding})
        error = assert_error(response, 415, "Unsupported Media Type")
        assert encoding in error["message"]


# -- size: refused while streaming ----------------------------------------------------------


def limit_of(server: LiveServer) -> int:
    return server.max_upload_bytes + MiB  # the file limit plus room for the form around it


def raw_response(sock: socket.socket) -> tuple[int, bytes]:
    sock.settimeout(20)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(head.split(b" ")[1]), rest[:length]


@pytest.mark.parametrize("expect", ["", "Expect: 100-continue\r\n"], ids=["plain", "expect"])
def test_declared_length_over_limit_is_413_before_any_body(server: LiveServer, expect: str) -> None:
    """The server answers from the headers alone: not one byte of the body is sent (and a
    client that asks first is never told to go on)."""
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            f"POST {ACTION} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"{expect}Content-Length: {10**12}\r\n\r\n".encode()
        )
        status, body = raw_response(sock)
    assert status == 413  # not 100 Continue
    envelope = orjson.loads(body)
    assert envelope["success"] is False
    assert envelope["error"]["__type"] == "Content Too Large"
    assert "大きすぎます" in envelope["error"]["message"]


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=zz"])
def test_chunked_body_is_cut_off_at_the_limit(server: LiveServer, content_type: str) -> None:
    """A chunked body (no Content-Length) of unbounded length gets 413 once it passes the
    limit: the client sees the answer while it is still sending."""
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            f"POST {ACTION} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        if content_type.startswith("multipart"):
            head = (
                b'--zz\r\nContent-Disposition: form-data; name="upload"; filename="a.csv"\r\n\r\n'
            )
            sock.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        sock.settimeout(20)
        answered = False
        while sent < 40 * limit_of(server) and not answered:
            sock.sendall(b"10000\r\n" + chunk + b"\r\n")
            sent += len(chunk)
            answered = bool(select.select([sock], [], [], 0)[0])
        assert answered, f"no answer after {sent} bytes"
        status, body = raw_response(sock)
    assert status == 413
    assert orjson.loads(body)["error"]["__type"] == "Content Too Large"
    # Loopback socket buffers hold a few MB the server never read; far less than 40 times.
    assert sent < 10 * limit_of(server)


def test_oversize_json_and_upload_with_real_clients(server: LiveServer, token: str) -> None:
    big_json = b'{"id": "body-data", "pad": "' + b"x" * limit_of(server) + b'"}'
    assert_error(post(server, big_json, "application/json"), 413, "Content Too Large")

    def chunks() -> Iterator[bytes]:  # requests sends a generator chunked, without a length
        yield b'{"id": "body-data", "pad": "'
        for _ in range(limit_of(server) // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    response = requests.post(
        server.url + ACTION,
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert_error(response, 413, "Content Too Large")
    upload = requests.post(
        server.url + "/api/3/action/resource_create",
        data={"package_id": "body-data", "name": "too big"},
        files={"upload": ("big.csv", b"a,b\n" + b"1,2\n" * (limit_of(server) // 4 + 10))},
        headers={"Authorization": token},
        timeout=30,
    )
    assert upload.status_code == 413
    assert upload.json()["error"]["__type"] == "Content Too Large"
    show = requests.post(server.url + ACTION, json={"id": "body-data"}, timeout=10).json()
    assert show["result"]["num_resources"] == 0
    # Just under the limit is still read (and then judged by the action as usual).
    fits = b'{"id": "body-data", "pad": "' + b"x" * (limit_of(server) - 100) + b'"}'
    assert post(server, fits, "application/json").status_code == 200


def test_invalid_and_short_content_length(server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            f"POST {ACTION} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{{}}".encode()
        )
        assert raw_response(sock)[0] == 400
    # A body that stops short of its Content-Length: the client gives up, the server goes on.
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            f"POST {ACTION} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            'Content-Length: 1000\r\n\r\n{"id": "body-'.encode()
        )
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(10)
        with contextlib.suppress(OSError):
            sock.recv(65536)
    assert requests.get(server.url + ACTION, params={"id": "body-data"}, timeout=10).ok


# -- the portal's forms -------------------------------------------------------------------


def _signed_in(server: LiveServer) -> tuple[requests.Session, str]:
    server.act(
        "user_create",
        {"name": "body-staff", "email": "body-staff@example.jp", "password": "pw-body-staff-0000"},
    )
    server.act(
        "organization_member_create",
        {"id": "body-org", "username": "body-staff", "role": "editor"},
    )
    session = requests.Session()
    form = session.get(server.url + "/user/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    signed_in = session.post(
        server.url + "/user/login",
        data={"csrf_token": csrf, "name": "body-staff", "password": "pw-body-staff-0000"},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 303
    return session, csrf


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("multipart/form-data", b"name=x", 400),
        ("multipart/form-data; boundary=zz", b"--zz\r\nTrue--zz--\r\n", 400),
        ("multipart/form-data; boundary=zz", multipart("zz", ("name", b"x"), close=False), 400),
        ("application/x-www-form-urlencoded", b"name=\xff", 400),
        ("application/x-www-form-urlencoded; charset=x-none", b"name=x", 415),
    ],
    ids=["no-boundary", "garbage", "cut-off", "not-utf8", "unknown-charset"],
)
def test_portal_form_with_malformed_body_shows_error_page(
    server: LiveServer, content_type: str, body: bytes, status: int
) -> None:
    response = post(server, body, content_type, path="/user/login")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "操作を完了できませんでした" in response.text


def test_portal_upload_over_limit_is_413(server: LiveServer, token: str) -> None:
    session, csrf = _signed_in(server)
    path = server.url + "/staff/dataset/body-data/upload"
    big = b"a,b\n" + b"1,2\n" * (limit_of(server) // 4 + 10)
    as_json = session.post(
        path,
        data={"csrf_token": csrf},
        files={"upload": ("big.csv", big)},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert as_json.status_code == 413
    assert "大きすぎます" in as_json.json()["errors"]["upload"][0]

    def chunks() -> Iterator[bytes]:
        yield b'--zz\r\nContent-Disposition: form-data; name="upload"; filename="a.csv"\r\n\r\n'
        for _ in range(limit_of(server) // 65536 + 2):
            yield b"1,2\n" * 16384

    chunked = session.post(
        path,
        data=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=zz"},
        timeout=30,
    )
    assert chunked.status_code == 413
    assert "大きすぎます" in chunked.json()["errors"]["upload"][0]
    show = requests.post(server.url + ACTION, json={"id": "body-data"}, timeout=10).json()
    assert show["result"]["num_resources"] == 0


# -- numbers past what the database holds ------------------------------------------------------


@pytest.mark.parametrize("action", ["package_list", "recently_changed_packages_activity_list"])
def test_paging_past_64_bits_is_a_validation_error(server: LiveServer, action: str) -> None:
    path = f"/api/3/action/{action}"
    for field, value in (("limit", 2**64 - 1), ("offset", 2**63), ("offset", 1e300)):
        body = f'{{"{field}": {value!r}}}'.encode()  # orjson writes at most 64-bit integers
        response = post(server, body, "application/json", path=path)
        assert response.status_code == 409, response.text
        assert field in response.json()["error"]
    largest = orjson.dumps({"offset": 2**63 - 1, "limit": 2**63 - 1})
    assert post(server, largest, "application/json", path=path).json()["result"] == []


# -- text longer than its column (PostgreSQL refuses it; SQLite would keep it) ---------------


def test_text_longer_than_its_column_is_a_validation_error(server: LiveServer, token: str) -> None:
    ckan = server.ckan(token)
    for field, value in (
        ("type", "x" * 31),
        ("extras", [{"key": "k" * 201, "value": "v"}]),
    ):
        response = requests.post(
            server.url + "/api/3/action/package_patch",
            json={"id": "body-data", field: value},
            headers={"Authorization": token},
            timeout=10,
        )
        assert response.status_code == 409, response.text
        assert field in response.json()["error"]
    kept = ckan.action.package_patch(
        id="body-data", type="dataset", extras=[{"key": "k" * 200, "value": "v"}]
    )
    assert kept["extras"] == [{"key": "k" * 200, "value": "v"}]
