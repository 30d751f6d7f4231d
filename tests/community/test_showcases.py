"""活用事例 (use cases) over HTTP with ckanapi, on SQLite and PostgreSQL: a use case submitted by
the public, approved by staff, shown on the dataset page and read back through ckanext-showcase's
actions in the extension's shape; who may moderate; images checked (anything but PNG, JPEG and
WebP refused; metadata and trailers removed); the 活用事例 metric counting approved ones, and a
plan's オープンデータ活用事例数 indicator bound to it following an approval through the snapshot."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest
import requests

from support import databases
from support.live_server import LiveServer
from support.portal import Visitor
from support.sample_images import GPS, HTML, JPEG, SVG, WEBP, jpeg_with_exif, png
from support.smtp_server import SmtpServer, body_of

_serial = itertools.count(1)
PREF, CITY, HAGI = "sc-pref", "sc-city", "sc-hagi"
PASSWORD = "pw-showcase-0000"
ROLES = {
    "pref_editor": (PREF, "editor"),
    "city_editor": (CITY, "editor"),
    "city_member": (CITY, "member"),
    "hagi_admin": (HAGI, "admin"),
}
# The keys ckanext-showcase's showcase dict has (a package dict of type showcase plus its own).
CKANEXT_KEYS = {
    "id",
    "name",
    "title",
    "type",
    "notes",
    "url",
    "author",
    "author_email",
    "state",
    "private",
    "owner_org",
    "metadata_created",
    "metadata_modified",
    "tags",
    "num_tags",
    "extras",
    "resources",
    "num_resources",
    "groups",
    "image_url",
    "image_display_url",
    "num_datasets",
    "showcase_notes_formatted",
}


@dataclass
class World:
    server: LiveServer
    smtp: SmtpServer
    prefix: str
    tokens: dict[str, str]
    city_dataset: str
    hagi_dataset: str

    def ckan(self, who: str | None = None) -> ckanapi.RemoteCKAN:
        return self.server.ckan(self.tokens[who] if who else None)

    def submit(self, who: str | None = None, **fields: Any) -> dict[str, Any]:
        values = {
            "title": f"避難所マップ {next(_serial)}",
            "notes": "避難所を地図で探せるアプリです。",
            "url": "https://example.jp/hinan-map",
            "kind": "app",
            "datasets": [self.city_dataset],
        }
        data = {**values, **fields}
        if "image_upload" in data:  # a multipart form: every field is a string
            data["datasets"] = ",".join(data["datasets"])
        return dict(self.ckan(who).action.ckanext_showcase_create(**data))

    def approved(self, **fields: Any) -> dict[str, Any]:
        submitted = self.submit(**fields)
        return dict(
            self.ckan("city_editor").action.showcase_review(id=submitted["id"], decision="approve")
        )

    def dataset(self, org: str = CITY, **fields: Any) -> str:
        name = f"sc-ds-{next(_serial)}"
        self.server.act(
            "package_create", {"name": name, "title": f"データ {name}", "owner_org": org, **fields}
        )
        return name

    def metric(self, key: str, **params: Any) -> float:
        shown = self.ckan().action.metric_show(key=key, params=params)
        return float(shown["value"])


IMAGE_LIMIT = 100 * 1024  # below the test server's upload limit, so the image check answers


@pytest.fixture(scope="module")
def server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"showcases-{backend}")
    live = LiveServer(
        data_dir=tmp,
        database_url=databases.database_url_for(backend, tmp),
        overrides={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "mail_from": "tsunagu@example.jp",
            "showcase_max_image_bytes": IMAGE_LIMIT,
        },
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def world(server: LiveServer, smtp: SmtpServer, backend: str) -> World:
    prefix = f"sc{backend[:2]}"
    for name, title, kind, code in (
        (PREF, "山口県", "prefecture", "350001"),
        (CITY, "下関市", "municipality", "352012"),
        (HAGI, "萩市", "municipality", "352047"),
    ):
        server.act(
            "organization_create",
            {"name": name, "title": title, "kind": kind, "local_gov_code": code},
        )
    tokens = {"sysadmin": server.make_user(f"{prefix}-sysadmin", sysadmin=True)}
    for who in (*ROLES, "outsider"):
        name = f"{prefix}-{who}"
        server.act(
            "user_create", {"name": name, "email": f"{name}@example.jp", "password": PASSWORD}
        )
        tokens[who] = str(server.act("api_token_create", {"user": name, "name": "t"})["token"])
        if who in ROLES:
            org, role = ROLES[who]
            server.act("organization_member_create", {"id": org, "username": name, "role": role})
    server.act(
        "package_create", {"name": "sc-shelters", "title": "指定避難所一覧", "owner_org": CITY}
    )
    server.act("package_create", {"name": "sc-tourism", "title": "観光客数", "owner_org": HAGI})
    return World(server, smtp, prefix, tokens, "sc-shelters", "sc-tourism")


def _image(url: str) -> requests.Response:
    return requests.get(url, timeout=30)


# -- the way through ------------------------------------------------------------------------


def test_a_use_case_is_submitted_approved_and_shown_where_its_data_is(world: World) -> None:
    address = f"{world.prefix}-maker-{next(_serial)}@example.jp"
    before = world.metric("showcases")
    before_city = world.metric("showcases", organization=CITY)
    submitted = world.submit(
        author="下関高校 情報部",
        author_email=address,
        image_upload=("screen.png", io.BytesIO(png(8, 6))),
    )
    assert submitted["state"] == "pending"
    anonymous = world.ckan()
    # Pending: not public anywhere.
    assert submitted["id"] not in {s["id"] for s in anonymous.action.ckanext_showcase_list()}
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.ckanext_showcase_show(id=submitted["id"])
    on_dataset = anonymous.action.ckanext_package_showcase_list(package_id=world.city_dataset)
    assert submitted["id"] not in {s["id"] for s in on_dataset}
    assert _image(submitted["image_display_url"]).status_code == 404
    visitor = Visitor(world.server.url)
    assert submitted["title"] not in visitor.get(f"/dataset/{world.city_dataset}").text
    assert world.metric("showcases") == before
    # The staff of the dataset's organisation see it waiting, others do not.
    pending = world.ckan("city_editor").action.ckanext_showcase_list(state="pending")
    assert submitted["id"] in {s["id"] for s in pending}
    hagi = world.ckan("hagi_admin").action.ckanext_showcase_list(state="pending")
    assert submitted["id"] not in {s["id"] for s in hagi}

    approved = world.ckan("city_editor").action.showcase_review(
        id=submitted["id"], decision="approve"
    )
    assert approved["state"] == "active"
    listed = {s["id"]: s for s in anonymous.action.ckanext_showcase_list()}
    assert submitted["id"] in listed
    shown = anonymous.action.ckanext_showcase_show(id=submitted["name"])
    assert shown["author"] == "下関高校 情報部" and shown["author_email"] == ""
    on_dataset = anonymous.action.ckanext_package_showcase_list(package_id=world.city_dataset)
    assert submitted["id"] in {s["id"] for s in on_dataset}
    packages = anonymous.action.ckanext_showcase_package_list(showcase_id=submitted["id"])
    assert [p["name"] for p in packages] == [world.city_dataset]
    assert packages[0]["type"] == "dataset" and "resources" in packages[0]
    page = visitor.get(f"/dataset/{world.city_dataset}")
    assert f'href="/showcase/{submitted["name"]}"' in page.text
    image = _image(shown["image_display_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content == png(8, 6)
    assert world.metric("showcases") == before + 1
    assert world.metric("showcases", organization=CITY) == before_city + 1
    assert world.metric("showcases", organization=HAGI) == 0
    body = body_of(world.smtp.mailbox.wait_for(lambda m: address in str(m["To"])))
    assert f"/showcase/{submitted['name']}" in body


def test_the_showcase_dict_has_ckanext_showcases_shape(world: World) -> None:
    approved = world.approved(notes="一行目 <b>太字</b>\n二行目\n\n次の段落")
    for shown in (
        world.ckan().action.ckanext_showcase_show(id=approved["id"]),
        next(s for s in world.ckan().action.ckanext_showcase_list() if s["id"] == approved["id"]),
        world.ckan().action.ckanext_package_showcase_list(package_id=world.city_dataset)[0],
    ):
        assert set(shown) >= CKANEXT_KEYS
        assert shown["type"] == "showcase"
        assert shown["num_datasets"] == 1
        assert shown["private"] is False and shown["owner_org"] is None
    shown = world.ckan().action.ckanext_showcase_show(id=approved["id"])
    assert shown["image_url"] == "" and shown["image_display_url"] == ""
    # The description as HTML that can only be text.
    assert shown["showcase_notes_formatted"] == (
        "<p>一行目 &lt;b&gt;太字&lt;/b&gt;<br>\n二行目</p><p>次の段落</p>"
    )


def test_staff_of_the_prefecture_add_use_cases_directly_as_in_ckanext_showcase(
    world: World,
) -> None:
    ckan = world.ckan("pref_editor")
    created = ckan.action.ckanext_showcase_create(name=f"direct-{next(_serial)}", title="県の分析")
    assert created["state"] == "active" and created["num_datasets"] == 0
    link = ckan.action.ckanext_showcase_package_association_create(
        showcase_id=created["name"], package_id=world.hagi_dataset
    )
    assert link["showcase_id"] == created["id"]
    with pytest.raises(ckanapi.ValidationError):  # already there
        ckan.action.ckanext_showcase_package_association_create(
            showcase_id=created["name"], package_id=world.hagi_dataset
        )
    assert world.ckan().action.ckanext_showcase_show(id=created["id"])["num_datasets"] == 1
    ckan.action.ckanext_showcase_package_association_delete(
        showcase_id=created["id"], package_id=world.hagi_dataset
    )
    with pytest.raises(ckanapi.NotFound):
        ckan.action.ckanext_showcase_package_association_delete(
            showcase_id=created["id"], package_id=world.hagi_dataset
        )
    updated = ckan.action.ckanext_showcase_update(id=created["id"], notes="更新しました")
    assert updated["notes"] == "更新しました" and updated["title"] == "県の分析"
    ckan.action.ckanext_showcase_delete(id=created["id"])
    with pytest.raises(ckanapi.NotFound):
        world.ckan().action.ckanext_showcase_show(id=created["id"])


def test_the_public_must_name_a_public_dataset(world: World) -> None:
    with pytest.raises(ckanapi.ValidationError) as none:
        world.ckan().action.ckanext_showcase_create(title="データなし")
    assert "datasets" in none.value.error_dict
    private = world.dataset(private=True)
    with pytest.raises(ckanapi.ValidationError) as hidden:
        world.submit(datasets=[private])
    assert "datasets" in hidden.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as bad_url:
        world.submit(url="javascript:alert(1)")
    assert "url" in bad_url.value.error_dict


def test_a_rejected_use_case_stays_private_and_its_author_hears_why(world: World) -> None:
    address = f"{world.prefix}-rejected-{next(_serial)}@example.jp"
    submitted = world.submit(author_email=address)
    reason = "データとの関係がわかりませんでした。"
    rejected = world.ckan("city_editor").action.showcase_review(
        id=submitted["id"], decision="reject", note=reason
    )
    assert rejected["state"] == "rejected" and rejected["review_note"] == reason
    with pytest.raises(ckanapi.NotFound):
        world.ckan().action.ckanext_showcase_show(id=submitted["id"])
    assert submitted["id"] not in {s["id"] for s in world.ckan().action.ckanext_showcase_list()}
    assert reason in body_of(world.smtp.mailbox.wait_for(lambda m: address in str(m["To"])))


# -- who moderates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (None, False),
        ("outsider", False),
        ("city_member", False),
        ("hagi_admin", False),
        ("city_editor", True),
        ("pref_editor", True),
        ("sysadmin", True),
    ],
)
def test_who_may_change_a_use_case_built_on_a_citys_data(
    world: World, who: str | None, allowed: bool
) -> None:
    approved = world.approved()
    ckan = world.ckan(who)
    if allowed:
        assert ckan.action.ckanext_showcase_update(id=approved["id"], title="変更後")["title"] == (
            "変更後"
        )
        return
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.ckanext_showcase_update(id=approved["id"], title="変更後")
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.ckanext_showcase_delete(id=approved["id"])
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.ckanext_showcase_package_association_create(
            showcase_id=approved["id"], package_id=world.hagi_dataset
        )
    shown = world.ckan().action.ckanext_showcase_show(id=approved["id"])
    assert shown["title"] == approved["title"] and shown["num_datasets"] == 1


def test_a_pending_use_case_is_hidden_from_those_who_may_not_moderate_it(world: World) -> None:
    submitted = world.submit()
    for who in (None, "outsider", "hagi_admin", "city_member"):
        with pytest.raises(ckanapi.NotFound):
            world.ckan(who).action.ckanext_showcase_show(id=submitted["id"])
        with pytest.raises(ckanapi.NotFound):
            world.ckan(who).action.showcase_review(id=submitted["id"], decision="approve")
    assert world.ckan("city_editor").action.ckanext_showcase_show(id=submitted["id"])["state"] == (
        "pending"
    )
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan().action.ckanext_showcase_list(state="pending")


def test_the_contact_is_for_moderators_only(world: World) -> None:
    address = f"{world.prefix}-private-{next(_serial)}@example.jp"
    approved = world.approved(author_email=address)
    assert world.ckan().action.ckanext_showcase_show(id=approved["id"])["author_email"] == ""
    assert world.ckan("hagi_admin").action.ckanext_showcase_show(id=approved["id"])[
        "author_email"
    ] == ("")
    assert (
        world.ckan("city_editor").action.ckanext_showcase_show(id=approved["id"])["author_email"]
        == address
    )
    page = Visitor(world.server.url).get(f"/showcase/{approved['name']}")
    assert page.status_code == 200 and address not in page.text


def test_a_dataset_made_private_drops_out_of_its_use_cases(world: World) -> None:
    name = world.dataset()
    approved = world.approved(datasets=[world.city_dataset, name])
    assert world.ckan().action.ckanext_showcase_show(id=approved["id"])["num_datasets"] == 2
    world.server.act("package_patch", {"id": name, "private": True})
    shown = world.ckan().action.ckanext_showcase_show(id=approved["id"])
    assert shown["num_datasets"] == 1
    assert name not in {d["name"] for d in shown["datasets"]}
    packages = world.ckan().action.ckanext_showcase_package_list(showcase_id=approved["id"])
    assert [p["name"] for p in packages] == [world.city_dataset]
    with pytest.raises(ckanapi.NotFound):
        world.ckan().action.ckanext_package_showcase_list(package_id=name)
    editor = world.ckan("city_editor").action.ckanext_showcase_show(id=approved["id"])
    assert editor["num_datasets"] == 2  # its staff still read it


# -- images ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        ("map.png", SVG),  # an SVG with a script, named .png
        ("map.svg", SVG),
        ("page.png", HTML),
        ("broken.png", png()[:-20]),
        ("broken.jpg", JPEG[:400]),
        ("empty.png", b""),
        ("text.webp", b"RIFF\x10\x00\x00\x00WEBPnot an image"),
    ],
)
def test_an_image_that_is_not_a_png_jpeg_or_webp_is_refused(
    world: World, file_name: str, content: bytes
) -> None:
    title = f"画像なし {next(_serial)}"
    with pytest.raises(ckanapi.ValidationError) as refused:
        world.submit(title=title, image_upload=(file_name, io.BytesIO(content)))
    assert "image_upload" in refused.value.error_dict
    pending = world.ckan("sysadmin").action.ckanext_showcase_list(state="pending")
    assert title not in {s["title"] for s in pending}


def test_an_image_over_the_size_limit_is_refused(world: World) -> None:
    big = png(1000, 1000) + b"\x00" * IMAGE_LIMIT
    with pytest.raises(ckanapi.ValidationError) as refused:
        world.submit(image_upload=("big.png", io.BytesIO(big)))
    assert "100 KB" in " ".join(refused.value.error_dict["image_upload"])


def test_an_image_from_another_site_is_refused(world: World) -> None:
    with pytest.raises(ckanapi.ValidationError) as refused:
        world.submit(image_url="https://tracker.example/pixel.png")
    assert "image_url" in refused.value.error_dict


@pytest.mark.parametrize(
    ("upload", "stored", "content_type"),
    [
        (jpeg_with_exif() + HTML, JPEG, "image/jpeg"),
        (png(text=GPS) + HTML, png(), "image/png"),
        (WEBP, WEBP, "image/webp"),
    ],
)
def test_images_are_stored_without_metadata_or_anything_after_their_end(
    world: World, upload: bytes, stored: bytes, content_type: str
) -> None:
    approved = world.approved(image_upload=("photo.bin", io.BytesIO(upload)))
    image = _image(approved["image_display_url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == content_type
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.content == stored
    assert GPS not in image.content and b"<script>" not in image.content


def test_a_new_image_replaces_the_old_one_and_clear_upload_removes_it(world: World) -> None:
    approved = world.approved(image_upload=("a.png", io.BytesIO(png())))
    ckan = world.ckan("city_editor")
    replaced = ckan.action.ckanext_showcase_update(
        id=approved["id"], image_upload=("b.jpg", io.BytesIO(JPEG))
    )
    assert replaced["image_url"] != approved["image_url"]
    assert replaced["image_url"].endswith(".jpg")
    assert _image(replaced["image_display_url"]).content == JPEG
    assert _image(approved["image_display_url"]).status_code == 404
    cleared = ckan.action.ckanext_showcase_update(id=approved["id"], clear_upload=True)
    assert cleared["image_url"] == "" and cleared["image_display_url"] == ""


# -- data requests answered (the other community metric) ------------------------------------


def test_answered_requests_are_counted_by_the_metric(world: World) -> None:
    before = world.metric("data_requests_answered", organization=HAGI)
    before_published = world.metric("data_requests_answered", outcome="published")
    hagi = world.ckan("hagi_admin")
    one = world.ckan().action.data_request_create(
        title="萩の観光客数", description="月別で", organization=HAGI
    )
    two = world.ckan().action.data_request_create(
        title="萩の文化財", description="一覧で", organization=HAGI
    )
    assert world.metric("data_requests_answered", organization=HAGI) == before
    hagi.action.data_request_update(id=one["id"], status="reviewing")
    assert world.metric("data_requests_answered", organization=HAGI) == before
    hagi.action.data_request_update(id=one["id"], status="published", dataset_id=world.hagi_dataset)
    hagi.action.data_request_update(id=two["id"], status="declined", answer="所管外です")
    assert world.metric("data_requests_answered", organization=HAGI) == before + 2
    assert world.metric("data_requests_answered", outcome="published") == before_published + 1
    assert world.metric("data_requests_answered", organization=CITY) == 0


# -- the 活用事例 indicator of a plan ------------------------------------------------------------


def test_an_approved_use_case_is_counted_by_the_bound_plan_indicator(world: World) -> None:
    """オープンデータ活用事例数 (山口県's plan: 0 → 5) bound to the showcases metric: after a use
    case is approved, the day's snapshot re-measured gives the indicator one more."""
    admin = world.ckan("sysadmin")
    plan = admin.action.plan_create(
        name=f"{world.prefix}-plan-{next(_serial)}",
        title="官民データ活用推進計画",
        owner_org=PREF,
        period_start=2020,
        period_end=2030,
    )
    measure = admin.action.plan_measure_create(
        plan_id=plan["name"], number="1", name="オープンデータの利活用促進"
    )
    indicator = admin.action.plan_indicator_create(
        plan_id=plan["name"],
        measure_id=measure["id"],
        name="オープンデータ活用事例数",
        baseline="0件",
        baseline_period="R元年度",
        target="5件",
        target_period="R12年度",
        metric_key="showcases",
        metric_params={"kind": "all"},
    )
    assert indicator["metric_key"] == "showcases"
    admin.action.metric_snapshot_run()
    before = admin.action.plan_indicator_show(id=indicator["id"])["progress"]["latest_value"]
    assert before == world.metric("showcases")

    submitted = world.submit()
    admin.action.metric_snapshot_run()
    pending = admin.action.plan_indicator_show(id=indicator["id"])["progress"]
    assert pending["latest_value"] == before  # waiting for approval: not a use case yet

    world.ckan("city_editor").action.showcase_review(id=submitted["id"], decision="approve")
    run = admin.action.metric_snapshot_run()
    shown = admin.action.plan_indicator_show(id=indicator["id"])
    progress = shown["progress"]
    assert progress["latest_value"] == before + 1
    assert progress["latest_date"] == run["date"]
    assert progress["percent"] == round((before + 1) / 5 * 100, 1)
    board = admin.action.plan_dashboard_show(id=plan["name"])
    [entry] = [i for i in board["indicators"] if i["id"] == indicator["id"]]
    assert entry["progress"]["latest_value"] == before + 1


def test_html_and_script_in_a_use_case_are_shown_inert_on_every_page(world: World) -> None:
    title = "<script>alert(1)</script>防災アプリ"
    notes = '<img src=x onerror="alert(2)"> と <a href="javascript:alert(3)">リンク</a>'
    approved = world.approved(title=title, notes=notes, author="<b>作者</b>")
    visitor = Visitor(world.server.url)
    for path in (f"/showcase/{approved['name']}", "/showcase", f"/dataset/{world.city_dataset}"):
        page = visitor.get(path)
        assert page.status_code == 200, path
        assert "<script>alert(1)" not in page.text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;防災アプリ" in page.text, path
    shown = visitor.get(f"/showcase/{approved['name']}").text
    assert "<img src=x" not in shown and 'href="javascript:' not in shown
    assert "&lt;img src=x onerror=" in shown
    assert "<b>作者</b>" not in shown
