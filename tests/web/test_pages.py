"""Portal pages over real HTTP: content, escaping, CSRF, sign-in, headers, private data."""

from __future__ import annotations

import io
import re

import ckanapi
import pytest
import requests

from support.live_server import LiveServer

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def site(server: LiveServer) -> LiveServer:
    admin = server.ckan(server.make_user("web-admin", sysadmin=True))
    server.make_user("web-editor")
    admin.action.organization_create(
        name="ube",
        title="宇部市",
        kind="municipality",
        local_gov_code="352021",
        latitude=33.95,
        longitude=131.25,
    )
    admin.action.organization_member_create(id="ube", username="web-editor", role="editor")
    admin.action.group_create(name="bousai", title="防災")
    admin.action.package_create(
        name="evac",
        title="避難所一覧 " + XSS,
        owner_org="ube",
        groups=[{"name": "bousai"}],
        notes="**太字** と [リンク](javascript:alert(1)) と " + XSS,
        tags=[{"name": "防災"}],
        license_id="cc-by-4.0",
    )
    admin.action.datastore_create(
        resource={"package_id": "evac", "name": "一覧 " + XSS},
        fields=[
            {"id": "名称", "type": "text"},
            {"id": "緯度", "type": "numeric"},
            {"id": "経度", "type": "numeric"},
            {"id": "定員", "type": "int"},
        ],
        records=[{"名称": XSS, "緯度": 33.95, "経度": 131.25, "定員": 100}],
    )
    admin.action.package_create(name="secret", title="秘密の名簿", owner_org="ube", private=True)
    return server


def get(site: LiveServer, path: str, session: requests.Session | None = None) -> requests.Response:
    return (session or requests).get(site.url + path, timeout=10)


def test_pages_render(site: LiveServer) -> None:
    for path in (
        "/",
        "/dataset",
        "/dataset?q=避難所",
        "/dataset/evac",
        "/organization",
        "/organization/ube",
        "/api-guide",
        "/user/login",
    ):
        response = get(site, path)
        assert response.status_code == 200, path
        assert '<html lang="ja">' in response.text
        assert 'id="main"' in response.text
    assert get(site, "/dataset/nope").status_code == 404


def test_search_facets_and_counts(site: LiveServer) -> None:
    page = get(site, "/dataset?q=避難所&groups=bousai").text
    assert "1 件のデータセット" in page
    assert 'aria-current="true"' in page  # the active facet is marked


def test_hostile_content_is_escaped(site: LiveServer) -> None:
    page = get(site, "/dataset/evac").text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page
    assert "<strong>太字</strong>" in page
    assert 'href="javascript:' not in page
    search = get(site, "/dataset?q=" + requests.utils.quote(XSS)).text
    assert "<script>alert" not in search


def test_json_ld_cannot_be_closed_by_data(site: LiveServer) -> None:
    page = get(site, "/dataset/evac").text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert block is not None
    assert "<" not in block.group(1)
    assert '"@type": "Dataset"' in block.group(1)


def test_security_headers(site: LiveServer) -> None:
    headers = get(site, "/").headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'self'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in headers  # readers get no session cookie


def test_private_dataset_not_on_pages(site: LiveServer) -> None:
    assert "秘密の名簿" not in get(site, "/dataset").text
    assert "秘密の名簿" not in get(site, "/organization/ube").text
    assert get(site, "/dataset/secret").status_code == 404


def _login(
    site: LiveServer, name: str, password: str, next_path: str = "/staff"
) -> tuple[requests.Session, requests.Response]:
    session = requests.Session()
    form = session.get(site.url + "/user/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    response = session.post(
        site.url + "/user/login",
        data={"csrf_token": token, "name": name, "password": password, "next": next_path},
        allow_redirects=False,
        timeout=10,
    )
    return session, response


def test_login_logout_and_bad_password(site: LiveServer) -> None:
    _, bad = _login(site, "web-editor", "wrong-password")
    assert bad.status_code == 400
    assert "ユーザー名またはパスワードが違います" in bad.text
    session, ok = _login(site, "web-editor", "pw-web-editor-0000")
    assert ok.status_code == 303 and ok.headers["location"] == "/staff"
    dashboard = session.get(site.url + "/staff", timeout=10).text
    assert "宇部市" in dashboard and "秘密の名簿" in dashboard
    assert "httponly" in ok.headers["set-cookie"].lower()
    assert "秘密の名簿" in session.get(site.url + "/dataset", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', dashboard).group(1)  # type: ignore[union-attr]
    out = session.post(
        site.url + "/user/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10
    )
    assert out.status_code == 303 and out.headers["location"] == "/"
    after = session.get(site.url + "/staff", allow_redirects=False, timeout=10)
    assert after.status_code == 303 and after.headers["location"].startswith("/user/login")
    assert "秘密の名簿" not in session.get(site.url + "/dataset", timeout=10).text


def test_no_open_redirect_after_login(site: LiveServer) -> None:
    _, response = _login(site, "web-editor", "pw-web-editor-0000", "https://evil.example/")
    assert response.headers["location"] == "/staff"
    _, response = _login(site, "web-editor", "pw-web-editor-0000", "//evil.example/")
    assert response.headers["location"] == "/staff"


def test_forms_without_csrf_token_are_refused(site: LiveServer) -> None:
    session, _ = _login(site, "web-editor", "pw-web-editor-0000")
    response = session.post(
        site.url + "/staff/dataset/new",
        data={"title": "CSRF", "name": "csrf-attack", "owner_org": "ube"},
        timeout=10,
    )
    assert response.status_code == 403
    with pytest.raises(ckanapi.NotFound):
        site.ckan().action.package_show(id="csrf-attack")
    forged = session.post(
        site.url + "/staff/dataset/new",
        data={"csrf_token": "forged", "title": "CSRF", "name": "csrf-attack", "owner_org": "ube"},
        timeout=10,
    )
    assert forged.status_code == 403


def test_staff_pages_need_sign_in(site: LiveServer) -> None:
    response = requests.get(site.url + "/staff", allow_redirects=False, timeout=10)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/user/login")


def test_guided_publishing_over_http(site: LiveServer) -> None:
    session, _ = _login(site, "web-editor", "pw-web-editor-0000")
    form = session.get(site.url + "/staff/dataset/new", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    bad = session.post(
        site.url + "/staff/dataset/new",
        data={"csrf_token": token, "title": "", "name": "Bad Name", "owner_org": "ube"},
        timeout=10,
    )
    assert bad.status_code == 400
    assert 'aria-invalid="true"' in bad.text and "必須項目です" in bad.text
    created = session.post(
        site.url + "/staff/dataset/new",
        data={
            "csrf_token": token,
            "title": "AED設置箇所",
            "name": "ube-aed",
            "owner_org": "ube",
            "license_id": "cc-by-4.0",
            "groups": "bousai",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert created.headers["location"] == "/staff/dataset/ube-aed"
    assert get(site, "/dataset/ube-aed").status_code == 404  # a draft until published
    csv = "名称,緯度,経度\n宇部市役所,33.95,131.25\n".encode("cp932")
    uploaded = session.post(
        site.url + "/staff/dataset/ube-aed/upload",
        data={"csrf_token": token},
        files={"upload": ("aed.csv", io.BytesIO(csv), "text/csv")},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert uploaded.json()["redirect"].startswith("/staff/dataset/ube-aed?uploaded=")
    published = session.post(
        site.url + "/staff/dataset/ube-aed/publish",
        data={"csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert published.status_code == 303
    assert get(site, "/dataset/ube-aed").status_code == 200
    assert "AED設置箇所" in get(site, "/dataset?q=AED").text


def test_english_switch(site: LiveServer) -> None:
    response = requests.get(site.url + "/?lang=en", timeout=10)
    assert '<html lang="en">' in response.text
    assert response.cookies.get("lang") == "en"


def test_api_reads_follow_the_session_but_writes_do_not(site: LiveServer) -> None:
    session, _ = _login(site, "web-editor", "pw-web-editor-0000")
    shown = session.get(
        site.url + "/api/3/action/package_show", params={"id": "secret"}, timeout=10
    )
    assert shown.status_code == 200
    write = session.post(
        site.url + "/api/3/action/package_patch",
        json={"id": "secret", "title": "changed through a cookie"},
        timeout=10,
    )
    assert write.status_code in (403, 404)  # anonymous: the private dataset does not exist
    assert (
        site.ckan(site.make_user("web-checker", sysadmin=True)).action.package_show(id="secret")[
            "title"
        ]
        == "秘密の名簿"
    )
    assert (
        requests.get(
            site.url + "/api/3/action/package_show", params={"id": "secret"}, timeout=10
        ).status_code
        == 404
    )


def test_openapi_document(site: LiveServer) -> None:
    spec = requests.get(site.url + "/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.")
    assert "/api/3/action/package_search" in spec["paths"]
    assert "get" not in spec["paths"]["/api/3/action/package_create"]
    assert "/openapi.json" in get(site, "/api-guide").text


def test_embed_page_may_be_framed(site: LiveServer) -> None:
    rid = site.ckan().action.package_show(id="evac")["resources"][0]["id"]
    response = get(site, f"/embed/resource/{rid}")
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers
    assert 'class="ds-map"' in response.text and "<script>alert" not in response.text
    assert "frame-ancestors 'self'" in get(site, "/").headers["content-security-policy"]


def test_most_used_datasets_on_home(site: LiveServer) -> None:
    package = site.ckan().action.package_show(id="evac")
    for _ in range(3):
        requests.get(f"{site.url}/datastore/dump/{package['resources'][0]['id']}", timeout=10)
    home = get(site, "/").text
    assert "よく使われているデータ" in home
    popular = home.split("popular-heading", 1)[1].split("</section>", 1)[0]
    assert "/dataset/evac" in popular and "秘密の名簿" not in popular


def test_card_summaries_show_markdown_as_plain_text(site: LiveServer) -> None:
    for path in ("/", "/dataset?q=避難所"):
        card = get(site, path).text.split('href="/dataset/evac"', 1)[1].split("</li>", 1)[0]
        notes = card.split('class="dataset-notes">', 1)[1].split("</p>", 1)[0]
        assert notes.startswith("太字 と [リンク]"), (path, notes)
        assert "**" not in notes and "<strong>" not in notes
        assert "&lt;script&gt;" in notes and "<script>" not in notes, (path, notes)
