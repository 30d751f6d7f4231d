"""Data requests (データ要望) over HTTP with ckanapi and the portal's forms, on SQLite and
PostgreSQL: the way from 受付 to 公開済 or 対応不可 with the requester's mail read from the real
SMTP server, supports counted once, the contact address never shown to the wrong people, who may
handle a request, the filters, the staff's 要対応 line, and posted HTML kept inert."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest

from support.live_server import LiveServer
from support.portal import Visitor
from support.smtp_server import SmtpServer, body_of

_serial = itertools.count(1)
PREF, CITY, HAGI = "dr-pref", "dr-city", "dr-hagi"
PASSWORD = "pw-community-0000"


@dataclass
class World:
    server: LiveServer
    smtp: SmtpServer
    prefix: str  # both databases' runs share one SMTP server: addresses differ per run
    tokens: dict[str, str]
    dataset: str  # a public dataset of 下関市
    private_dataset: str

    def ckan(self, who: str | None = None) -> ckanapi.RemoteCKAN:
        return self.server.ckan(self.tokens[who] if who else None)

    def address(self) -> str:
        return f"{self.prefix}-requester-{next(_serial)}@example.jp"

    def request(self, who: str | None = None, **fields: Any) -> dict[str, Any]:
        values = {"title": f"AED の設置場所 {next(_serial)}", "description": "地図アプリで使いたい"}
        return dict(self.ckan(who).action.data_request_create(**{**values, **fields}))

    def visitor(self, who: str | None = None) -> Visitor:
        visitor = Visitor(self.server.url)
        if who:
            assert visitor.sign_in(f"{self.prefix}-{who}", PASSWORD).status_code == 303
        return visitor


ROLES = {
    "pref_editor": (PREF, "editor"),
    "city_editor": (CITY, "editor"),
    "city_member": (CITY, "member"),
    "hagi_admin": (HAGI, "admin"),
}


@pytest.fixture(scope="module")
def world(server: LiveServer, smtp: SmtpServer, backend: str) -> World:
    prefix = f"dr{backend[:2]}"
    server.act(
        "organization_create",
        {"name": PREF, "title": "山口県", "kind": "prefecture", "local_gov_code": "350001"},
    )
    server.act(
        "organization_create",
        {"name": CITY, "title": "下関市", "kind": "municipality", "local_gov_code": "352012"},
    )
    server.act(
        "organization_create",
        {"name": HAGI, "title": "萩市", "kind": "municipality", "local_gov_code": "352047"},
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
    server.act("package_create", {"name": "dr-aed", "title": "AED設置箇所一覧", "owner_org": CITY})
    server.act(
        "package_create",
        {"name": "dr-private", "title": "非公開の名簿", "owner_org": CITY, "private": True},
    )
    return World(server, smtp, prefix, tokens, "dr-aed", "dr-private")


def _mail_to(world: World, address: str, status: str) -> str:
    message = world.smtp.mailbox.wait_for(
        lambda m: address in str(m["To"]) and status in str(m["Subject"])
    )
    return body_of(message)


# -- the way through ------------------------------------------------------------------------


def test_a_request_goes_from_received_to_published_and_the_requester_is_mailed(
    world: World,
) -> None:
    address = world.address()
    posted = world.request(contact_email=address, organization=CITY)
    assert posted["status"] == "received" and posted["status_label"] == "受付"
    assert posted["organization"]["name"] == CITY
    assert "contact_email" not in posted  # not even to the one who just typed it
    staff = world.ckan("city_editor")

    reviewing = staff.action.data_request_update(id=posted["id"], status="reviewing")
    assert reviewing["status"] == "reviewing"
    body = _mail_to(world, address, "検討中")
    assert posted["title"] in body and f"/request/{posted['id']}" in body

    published = staff.action.data_request_update(
        id=posted["id"], status="published", dataset_id=world.dataset, answer="公開しました。"
    )
    assert published["status"] == "published"
    assert published["dataset"]["name"] == world.dataset
    assert published["answered"] is not None
    body = _mail_to(world, address, "公開済")
    assert f"{world.server.url}/dataset/{world.dataset}" in body
    assert "公開しました。" in body

    shown = world.ckan().action.data_request_show(id=posted["id"])
    assert (shown["status"], shown["dataset"]["name"]) == ("published", world.dataset)
    listed = world.ckan().action.data_request_list(status="published", q=posted["title"])
    assert [r["id"] for r in listed["results"]] == [posted["id"]]
    page = world.visitor().get(f"/request/{posted['id']}")
    assert f'href="/dataset/{world.dataset}"' in page.text
    assert "公開済" in page.text


def test_a_request_without_a_contact_sends_no_mail(world: World) -> None:
    posted = world.request(organization=CITY)
    before = len(world.smtp.mailbox.messages)
    world.ckan("city_editor").action.data_request_update(id=posted["id"], status="reviewing")
    assert world.ckan().action.data_request_show(id=posted["id"])["status"] == "reviewing"
    assert not [m for m in world.smtp.mailbox.messages[before:] if posted["title"] in str(m)]


def test_published_needs_a_public_dataset(world: World) -> None:
    posted = world.request(organization=CITY)
    staff = world.ckan("city_editor")
    with pytest.raises(ckanapi.ValidationError) as missing:
        staff.action.data_request_update(id=posted["id"], status="published")
    assert "dataset_id" in missing.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as private:
        staff.action.data_request_update(
            id=posted["id"], status="published", dataset_id=world.private_dataset
        )
    assert "dataset_id" in private.value.error_dict
    shown = world.ckan().action.data_request_show(id=posted["id"])
    assert (shown["status"], shown["dataset"]) == ("received", None)


def test_declined_needs_a_public_reason_and_the_requester_reads_it(world: World) -> None:
    address = world.address()
    posted = world.request(contact_email=address, organization=CITY)
    staff = world.ckan("city_editor")
    with pytest.raises(ckanapi.ValidationError) as refused:
        staff.action.data_request_update(id=posted["id"], status="declined")
    assert "answer" in refused.value.error_dict
    reason = "個人が特定されるおそれがあるため、公開できません。"
    staff.action.data_request_update(id=posted["id"], status="declined", answer=reason)
    shown = world.ckan().action.data_request_show(id=posted["id"])
    assert (shown["status"], shown["answer"], shown["dataset"]) == ("declined", reason, None)
    assert reason in _mail_to(world, address, "対応不可")
    assert reason in world.visitor().get(f"/request/{posted['id']}").text
    # Reopened, it is open again: no answered date.
    reopened = staff.action.data_request_update(id=posted["id"], status="reviewing")
    assert reopened["answered"] is None


def test_missing_and_bad_fields_are_named(world: World) -> None:
    with pytest.raises(ckanapi.ValidationError) as refused:
        world.ckan().action.data_request_create(title="", contact_email="not-an-address")
    assert {"title", "description", "contact_email"} <= set(refused.value.error_dict)
    with pytest.raises(ckanapi.ValidationError) as unknown:
        world.ckan().action.data_request_create(
            title="x", description="y", organization="no-such-org"
        )
    assert "organization" in unknown.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as status:
        world.ckan().action.data_request_list(status="open")
    assert "status" in status.value.error_dict


# -- supports -------------------------------------------------------------------------------


def test_a_support_counts_once_per_user_and_per_browser(world: World) -> None:
    posted = world.request(organization=CITY)
    outsider = world.ckan("outsider")
    assert outsider.action.data_request_support(id=posted["id"])["supporters"] == 1
    assert outsider.action.data_request_support(id=posted["id"])["supporters"] == 1
    assert world.ckan("hagi_admin").action.data_request_support(id=posted["id"])["supporters"] == 2
    assert outsider.action.data_request_show(id=posted["id"])["supported"] is True
    assert world.ckan().action.data_request_show(id=posted["id"])["supported"] is False
    with pytest.raises(ckanapi.NotAuthorized):  # an API caller without a browser to count
        world.ckan().action.data_request_support(id=posted["id"])

    browser = world.visitor()
    page = f"/request/{posted['id']}"
    token = browser.csrf(page)
    for _ in range(2):
        answer = browser.post(f"{page}/support", csrf_token=token)
        assert answer.status_code == 303
    assert world.ckan().action.data_request_show(id=posted["id"])["supporters"] == 3
    assert "この要望に賛同しています。" in browser.get(page).text
    other_browser = world.visitor()
    assert other_browser.submit(page, f"{page}/support").status_code == 303
    assert world.ckan().action.data_request_show(id=posted["id"])["supporters"] == 4


def test_an_answered_request_takes_no_more_supports(world: World) -> None:
    posted = world.request(organization=CITY)
    world.ckan("city_editor").action.data_request_update(
        id=posted["id"], status="declined", answer="対象外です"
    )
    with pytest.raises(ckanapi.ValidationError):
        world.ckan("outsider").action.data_request_support(id=posted["id"])
    assert world.ckan().action.data_request_show(id=posted["id"])["supporters"] == 0


# -- the contact ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        (None, False),
        ("outsider", False),
        ("hagi_admin", False),
        ("pref_editor", False),  # the triage office, once another organisation handles it
        ("city_member", True),
        ("city_editor", True),
        ("sysadmin", True),
    ],
)
def test_the_contact_is_shown_only_to_the_handling_organisation_and_sysadmins(
    world: World, who: str | None, sees: bool
) -> None:
    address = world.address()
    posted = world.request("outsider", contact_email=address, organization=CITY)
    ckan = world.ckan(who)
    shown = ckan.action.data_request_show(id=posted["id"])
    listed = ckan.action.data_request_list(q=posted["title"])["results"]
    assert [r["id"] for r in listed] == [posted["id"]]
    if sees:
        assert shown["contact_email"] == listed[0]["contact_email"] == address
    else:
        assert "contact_email" not in shown and "contact_email" not in listed[0]
    visitor = world.visitor(who if who != "sysadmin" else None)
    for path in (f"/request/{posted['id']}", "/request", f"/request?q={posted['title']}"):
        assert address not in visitor.get(path).text
    staff_page = visitor.get(f"/staff/requests/{posted['id']}")
    if who and who != "sysadmin":
        assert staff_page.status_code == 200
        assert (address in staff_page.text) is sees


def test_the_requester_does_not_see_their_own_contact_later(world: World) -> None:
    address = world.address()
    posted = world.request("outsider", contact_email=address)  # unassigned
    assert "contact_email" not in world.ckan("outsider").action.data_request_show(id=posted["id"])
    # Nor the triage office while it is unassigned; sysadmins do.
    assert "contact_email" not in world.ckan("pref_editor").action.data_request_show(
        id=posted["id"]
    )
    assert world.ckan("sysadmin").action.data_request_show(id=posted["id"])["contact_email"] == (
        address
    )


# -- who handles what -----------------------------------------------------------------------


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
def test_who_may_answer_a_municipalitys_request(
    world: World, who: str | None, allowed: bool
) -> None:
    posted = world.request(organization=CITY)
    ckan = world.ckan(who)
    if allowed:
        assert ckan.action.data_request_update(id=posted["id"], status="reviewing")["status"] == (
            "reviewing"
        )
        return
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.data_request_update(id=posted["id"], status="reviewing")
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.data_request_delete(id=posted["id"])
    shown = world.ckan().action.data_request_show(id=posted["id"])
    assert (shown["status"], shown["state"]) == ("received", "active")


def test_the_prefecture_triages_unassigned_requests(world: World) -> None:
    posted = world.request()  # nobody named: the prefecture's office places it
    assert posted["organization"] is None
    with pytest.raises(ckanapi.NotAuthorized):
        world.ckan("city_editor").action.data_request_update(id=posted["id"], status="reviewing")
    triaged = world.ckan("pref_editor").action.data_request_update(
        id=posted["id"], organization=CITY
    )
    assert triaged["organization"]["name"] == CITY
    assert triaged["status"] == "received"
    handled = world.ckan("city_editor").action.data_request_update(
        id=posted["id"], status="reviewing"
    )
    assert handled["status"] == "reviewing"
    mine = world.ckan("city_editor").action.data_request_list(handled_by_me=True, limit=100)
    assert posted["id"] in {r["id"] for r in mine["results"]}
    hagi = world.ckan("hagi_admin").action.data_request_list(handled_by_me=True, limit=100)
    assert posted["id"] not in {r["id"] for r in hagi["results"]}


def test_staff_take_a_request_down(world: World) -> None:
    posted = world.request(organization=CITY, title=f"宣伝 {next(_serial)}")
    world.ckan("city_editor").action.data_request_delete(id=posted["id"])
    with pytest.raises(ckanapi.NotFound):
        world.ckan().action.data_request_show(id=posted["id"])
    assert world.ckan().action.data_request_list(q=posted["title"])["count"] == 0
    assert world.visitor().get(f"/request/{posted['id']}").status_code == 404
    # Those who handle it can still read it.
    assert world.ckan("city_editor").action.data_request_show(id=posted["id"])["state"] == (
        "deleted"
    )


# -- the public list ------------------------------------------------------------------------


def test_the_list_filters_by_status_organisation_and_text(world: World) -> None:
    tag = f"ふぃるた{next(_serial)}"
    city = world.request(organization=CITY, title=f"バス停 {tag}")
    hagi = world.request(organization=HAGI, title=f"観光客数 {tag}", description="萩の統計")
    loose = world.request(title=f"ごみ収集日 {tag}")
    world.ckan("hagi_admin").action.data_request_update(id=hagi["id"], status="reviewing")
    anonymous = world.ckan()

    def ids(**filters: Any) -> set[str]:
        return {r["id"] for r in anonymous.action.data_request_list(q=tag, **filters)["results"]}

    assert ids() == {city["id"], hagi["id"], loose["id"]}
    assert ids(organization=HAGI) == {hagi["id"]}
    assert ids(status="reviewing") == {hagi["id"]}
    assert ids(status="received,reviewing") == {city["id"], hagi["id"], loose["id"]}
    assert ids(unassigned=True) == {loose["id"]}
    assert {
        r["id"] for r in anonymous.action.data_request_list(q=f"萩の統計 {tag}")["results"]
    } == {hagi["id"]}
    world.ckan("outsider").action.data_request_support(id=loose["id"])
    first = anonymous.action.data_request_list(q=tag, sort="supporters")["results"][0]
    assert first["id"] == loose["id"]
    page = world.visitor().get(f"/request?organization={HAGI}&q={tag}")
    assert hagi["title"] in page.text and city["title"] not in page.text
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.data_request_list(organization="no-such-org")


# -- 要対応 -----------------------------------------------------------------------------------


def _waiting(world: World, who: str, **params: Any) -> dict[str, Any] | None:
    result = world.ckan(who).action.staff_attention_list(limit=50, **params)
    return next((line for line in result["lines"] if line["kind"] == "data_requests"), None)


def test_open_requests_wait_on_the_staff_home_of_their_organisation(world: World) -> None:
    posted = world.request(organization=HAGI, title=f"萩の要望 {next(_serial)}")
    line = _waiting(world, "hagi_admin")
    assert line is not None
    assert posted["title"] in {item["title"] for item in line["items"]}
    item = next(i for i in line["items"] if i["title"] == posted["title"])
    assert item["link"] == f"/staff/requests/{posted['id']}"
    assert line["by_organization"][HAGI] >= 1
    city_line = _waiting(world, "city_editor") or {"items": []}
    assert posted["title"] not in {i["title"] for i in city_line["items"]}
    whole = _waiting(world, "sysadmin")
    assert whole is not None and posted["title"] in {i["title"] for i in whole["items"]}
    world.ckan("hagi_admin").action.data_request_update(
        id=posted["id"], status="declined", answer="予定がありません"
    )
    after = _waiting(world, "hagi_admin") or {"items": []}
    assert posted["title"] not in {i["title"] for i in after["items"]}


def test_unassigned_requests_wait_on_the_prefectures_home(world: World) -> None:
    posted = world.request(title=f"振り分け待ち {next(_serial)}")
    line = _waiting(world, "pref_editor", organization=PREF)
    assert line is not None
    item = next(i for i in line["items"] if i["title"] == posted["title"])
    assert "担当の組織が決まっていません" in item["detail"]
    assert line["by_organization"][PREF] >= 1
    page = world.visitor("pref_editor").get("/staff")
    assert "回答を待っているデータ要望" in page.text


# -- spam and inert text --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "詳しくは https://spam.example/buy を見て",
        "ｈｔｔｐ：／／ｓｐａｍ．ｅｘａｍｐｌｅ",
        "www.spam.example で",
        '<a href="x">安い</a>',
        "cheap-pills.xyz で購入",
    ],
)
def test_anonymous_requests_may_not_carry_links(world: World, text: str) -> None:
    title = f"リンク {next(_serial)}"
    with pytest.raises(ckanapi.ValidationError) as refused:
        world.ckan().action.data_request_create(title=title, description=text)
    assert "リンク" in " ".join(refused.value.error_dict["description"])
    assert world.ckan().action.data_request_list(q=title)["count"] == 0
    # Signed in, the same text is taken (and shown as plain text).
    kept = world.request("outsider", title=title, description=text)
    assert kept["description"] == text


def test_html_and_script_are_stored_as_text_and_shown_inert(world: World) -> None:
    script = "<script>alert('x')</script>"
    image = '<img src=x onerror="alert(1)">'
    posted = world.request(
        title=f"{script}AED {next(_serial)}", description=f"{image}\n二行目", organization=CITY
    )
    assert posted["title"].startswith(script) and posted["description"].startswith(image)
    for visitor, path in (
        (world.visitor(), f"/request/{posted['id']}"),
        (world.visitor(), "/request"),
        (world.visitor("city_editor"), f"/staff/requests/{posted['id']}"),
        (world.visitor("city_editor"), "/staff/requests"),
    ):
        page = visitor.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert(" in page, path
    detail = world.visitor().get(f"/request/{posted['id']}").text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in detail
