"""Tags and tag vocabularies through the unmodified ckanapi client, on SQLite and PostgreSQL:
vocabulary_* and tag_* actions, datasets carrying vocabulary tags, searching by them, and free
tags of private datasets never showing."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import ckanapi
import pytest

from support.live_server import LiveServer
from support.portal import Visitor

ORG = "tags-org"
_serial = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_serial)}"


@dataclass
class Clients:
    sysadmin: ckanapi.RemoteCKAN
    editor: ckanapi.RemoteCKAN  # editor of ORG
    member: ckanapi.RemoteCKAN  # member of ORG: may read its private datasets
    outsider: ckanapi.RemoteCKAN
    anonymous: ckanapi.RemoteCKAN


@pytest.fixture(scope="module")
def clients(server: LiveServer) -> Clients:
    sysadmin = server.ckan(server.make_user("tags-sysadmin", sysadmin=True))
    sysadmin.action.organization_create(name=ORG, title="タグの組織")
    tokens = {}
    for name, role in (("tags-editor", "editor"), ("tags-member", "member")):
        tokens[name] = server.make_user(name)
        sysadmin.action.organization_member_create(id=ORG, username=name, role=role)
    return Clients(
        sysadmin=sysadmin,
        editor=server.ckan(tokens["tags-editor"]),
        member=server.ckan(tokens["tags-member"]),
        outsider=server.ckan(server.make_user("tags-outsider")),
        anonymous=server.ckan(),
    )


def new_vocabulary(clients: Clients, *tags: str) -> dict:
    return clients.sysadmin.action.vocabulary_create(
        name=unique("更新頻度"), tags=[{"name": t} for t in tags]
    )


def new_dataset(clients: Clients, tags: list[dict], **fields: object) -> dict:
    return clients.editor.action.package_create(
        name=unique("tags-ds-"), title="タグ付き", owner_org=ORG, tags=tags, **fields
    )


def search(ckan: ckanapi.RemoteCKAN, **params: object) -> dict:
    return ckan.action.package_search(**params)


# -- vocabularies ---------------------------------------------------------------------------------


def test_vocabulary_lifecycle(clients: Clients) -> None:
    admin = clients.sysadmin
    created = new_vocabulary(clients, "毎年", "毎月")
    assert created["id"] and created["name"].startswith("更新頻度")
    assert [t["name"] for t in created["tags"]] == ["毎年", "毎月"]
    assert all(t["vocabulary_id"] == created["id"] for t in created["tags"])
    assert admin.action.vocabulary_show(id=created["id"]) == created
    assert clients.anonymous.action.vocabulary_show(id=created["name"]) == created
    assert created in clients.anonymous.action.vocabulary_list()

    renamed = unique("frequency")
    updated = admin.action.vocabulary_update(
        id=created["id"], name=renamed, tags=[{"name": "毎月"}, {"name": "随時"}]
    )
    assert updated["id"] == created["id"] and updated["name"] == renamed
    assert [t["name"] for t in updated["tags"]] == ["毎月", "随時"]
    # The tag kept is the same tag (same id); the one left out is gone.
    kept = {t["name"]: t["id"] for t in created["tags"]}["毎月"]
    assert {t["name"]: t["id"] for t in updated["tags"]}["毎月"] == kept

    only_renamed = admin.action.vocabulary_update(id=renamed, name=renamed + "x")
    assert [t["name"] for t in only_renamed["tags"]] == ["毎月", "随時"]

    admin.action.vocabulary_delete(id=created["id"])
    with pytest.raises(ckanapi.NotFound):
        admin.action.vocabulary_show(id=created["id"])
    with pytest.raises(ckanapi.NotFound):
        admin.action.tag_show(id=kept)


def test_vocabulary_bad_input(clients: Clients) -> None:
    admin = clients.sysadmin
    existing = new_vocabulary(clients)
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.vocabulary_create(name=existing["name"])
    assert "already in use" in exc.value.error_dict["name"][0]
    other = new_vocabulary(clients)
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.vocabulary_update(id=other["id"], name=existing["name"])
    assert "already in use" in exc.value.error_dict["name"][0]
    for bad in ("", "x", "二 語", "a:b"):
        with pytest.raises(ckanapi.ValidationError) as exc:
            admin.action.vocabulary_create(name=bad)
        assert "name" in exc.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.vocabulary_create(name=unique("v"), tags=[{"name": "a/b"}])
    assert "tags" in exc.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.vocabulary_create(name=unique("v"), id="chosen-id")
    assert "id" in exc.value.error_dict
    with pytest.raises(ckanapi.NotFound):
        admin.action.vocabulary_show(id="no-such-vocabulary")
    with pytest.raises(ckanapi.NotFound):
        admin.action.vocabulary_update(id="no-such-vocabulary", name="whatever")
    with pytest.raises(ckanapi.NotFound):
        admin.action.vocabulary_delete(id="no-such-vocabulary")
    with pytest.raises(ckanapi.ValidationError):
        admin.action.vocabulary_show()
    assert admin.action.vocabulary_show(id=existing["id"])["name"] == existing["name"]


@pytest.mark.parametrize("who", ["editor", "member", "outsider", "anonymous"])
def test_only_sysadmins_change_vocabularies_and_their_tags(clients: Clients, who: str) -> None:
    ckan = getattr(clients, who)
    vocabulary = new_vocabulary(clients, "毎月")
    name = unique("v")
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.vocabulary_create(name=name)
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.vocabulary_update(id=vocabulary["id"], name=name)
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.tag_create(name="毎日", vocabulary_id=vocabulary["id"])
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.tag_delete(id="毎月", vocabulary_id=vocabulary["id"])
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.vocabulary_delete(id=vocabulary["id"])
    assert clients.anonymous.action.vocabulary_show(id=vocabulary["id"]) == vocabulary
    assert name not in [v["name"] for v in clients.anonymous.action.vocabulary_list()]


def test_tag_create_and_delete_in_a_vocabulary(clients: Clients) -> None:
    admin = clients.sysadmin
    vocabulary = new_vocabulary(clients, "毎月")
    tag = admin.action.tag_create(name="毎週", vocabulary_id=vocabulary["name"])
    assert tag["name"] == "毎週" and tag["vocabulary_id"] == vocabulary["id"]
    assert admin.action.tag_show(id=tag["id"]) == tag
    assert clients.anonymous.action.tag_show(id="毎週", vocabulary_id=vocabulary["id"]) == tag
    assert clients.anonymous.action.tag_list(vocabulary_id=vocabulary["id"]) == ["毎月", "毎週"]

    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.tag_create(name="毎週", vocabulary_id=vocabulary["id"])
    assert "already belongs" in exc.value.error_dict["vocabulary_id"][0]
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.tag_create(name="毎週", vocabulary_id="no-such-vocabulary")
    assert "not found" in exc.value.error_dict["vocabulary_id"][0]
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.tag_create(name="自由なタグ")  # free tags are made through datasets
    assert "vocabulary_id" in exc.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as exc:
        admin.action.tag_create(name="", vocabulary_id=vocabulary["id"])
    assert "name" in exc.value.error_dict

    admin.action.tag_delete(id="毎週", vocabulary_id=vocabulary["id"])
    assert [t["name"] for t in admin.action.vocabulary_show(id=vocabulary["id"])["tags"]] == [
        "毎月"
    ]
    with pytest.raises(ckanapi.NotFound):
        admin.action.tag_delete(id="毎週", vocabulary_id=vocabulary["id"])
    with pytest.raises(ckanapi.ValidationError):
        admin.action.tag_delete()


# -- datasets carrying vocabulary tags ---------------------------------------------------------------


def test_dataset_with_vocabulary_tags(clients: Clients) -> None:
    vocabulary = new_vocabulary(clients, "毎月", "毎年")
    free = unique("自由タグ")
    pkg = new_dataset(
        clients,
        [
            {"name": free},
            {"name": "毎月", "vocabulary_id": vocabulary["id"]},
            {"name": "毎年", "vocabulary_id": vocabulary["name"]},  # by name works too
        ],
    )
    by_name = {(t["name"], t["vocabulary_id"]) for t in pkg["tags"]}
    assert by_name == {(free, None), ("毎月", vocabulary["id"]), ("毎年", vocabulary["id"])}
    assert pkg["num_tags"] == 3
    assert clients.anonymous.action.package_show(id=pkg["id"])["tags"] == pkg["tags"]

    field = f"vocab_{vocabulary['name']}"
    found = search(clients.anonymous, fq=f"{field}:毎月")
    assert [r["name"] for r in found["results"]] == [pkg["name"]]
    assert search(clients.anonymous, fq=f'{field}:"毎年"')["count"] == 1
    # A vocabulary tag is not a free tag: not in the tags field, its facet or tag_list.
    assert search(clients.anonymous, fq="tags:毎月")["count"] == 0
    facets = search(clients.anonymous, **{"facet.field": json.dumps(["tags", field])})["facets"]
    assert facets["tags"].get(free) == 1 and "毎月" not in facets["tags"]
    assert facets[field] == {"毎月": 1, "毎年": 1}
    assert "毎月" not in clients.anonymous.action.tag_list()
    assert free in clients.anonymous.action.tag_list()
    # Unknown vocabulary fields match nothing (as an unknown extras_ field does).
    assert search(clients.anonymous, fq="vocab_nothing:毎月")["count"] == 0
    # Their names are searchable text.
    assert pkg["name"] in [r["name"] for r in search(clients.anonymous, q="毎年")["results"]]

    listed = clients.anonymous.action.tag_list(vocabulary_id=vocabulary["name"], all_fields=True)
    assert [(t["name"], t["count"], t["vocabulary_id"]) for t in listed] == [
        ("毎年", 1, vocabulary["id"]),
        ("毎月", 1, vocabulary["id"]),
    ]
    shown = clients.anonymous.action.tag_show(
        id="毎月", vocabulary_id=vocabulary["id"], include_datasets=True
    )
    assert [p["name"] for p in shown["packages"]] == [pkg["name"]]
    with pytest.raises(ckanapi.NotFound):  # no free tag of that name
        clients.anonymous.action.tag_show(id="毎月")

    # package_update keeps only the tags it is given; patching the list works as CKAN's.
    patched = clients.editor.action.package_patch(
        id=pkg["id"], tags=[{"name": "毎年", "vocabulary_id": vocabulary["id"]}]
    )
    assert [(t["name"], t["vocabulary_id"]) for t in patched["tags"]] == [
        ("毎年", vocabulary["id"])
    ]
    assert search(clients.anonymous, fq=f"{field}:毎月")["count"] == 0


def test_dataset_vocabulary_tag_errors(clients: Clients) -> None:
    vocabulary = new_vocabulary(clients, "毎月")
    name = unique("tags-bad-")
    with pytest.raises(ckanapi.ValidationError) as exc:
        clients.editor.action.package_create(
            name=name,
            title="x",
            owner_org=ORG,
            tags=[{"name": "毎月", "vocabulary_id": "no-such-vocabulary"}],
        )
    assert "vocabulary was not found" in exc.value.error_dict["tags"][0]
    with pytest.raises(ckanapi.ValidationError) as exc:
        clients.editor.action.package_create(
            name=name,
            title="x",
            owner_org=ORG,
            tags=[{"name": "毎日", "vocabulary_id": vocabulary["id"]}],
        )
    assert "does not belong to vocabulary" in exc.value.error_dict["tags"][0]
    with pytest.raises(ckanapi.NotFound):
        clients.anonymous.action.package_show(id=name)
    # tag_create is for vocabulary tags only; a free tag of the same name stays free.
    assert clients.anonymous.action.tag_list(vocabulary_id=vocabulary["id"]) == ["毎月"]


def test_renaming_a_vocabulary_moves_its_search_field(clients: Clients) -> None:
    vocabulary = new_vocabulary(clients, "毎月")
    pkg = new_dataset(clients, [{"name": "毎月", "vocabulary_id": vocabulary["id"]}])
    renamed = unique("周期")
    clients.sysadmin.action.vocabulary_update(id=vocabulary["id"], name=renamed)
    assert (
        search(clients.anonymous, fq=f"vocab_{renamed}:毎月")["results"][0]["name"] == pkg["name"]
    )
    assert search(clients.anonymous, fq=f"vocab_{vocabulary['name']}:毎月")["count"] == 0


def test_deleting_a_vocabulary_or_its_tag_takes_it_off_datasets(clients: Clients) -> None:
    vocabulary = new_vocabulary(clients, "毎月", "毎年")
    pkg = new_dataset(
        clients,
        [
            {"name": "毎月", "vocabulary_id": vocabulary["id"]},
            {"name": "毎年", "vocabulary_id": vocabulary["id"]},
        ],
    )
    field = f"vocab_{vocabulary['name']}"
    clients.sysadmin.action.tag_delete(id="毎月", vocabulary_id=vocabulary["id"])
    assert [t["name"] for t in clients.anonymous.action.package_show(id=pkg["id"])["tags"]] == [
        "毎年"
    ]
    assert search(clients.anonymous, fq=f"{field}:毎月")["count"] == 0
    clients.sysadmin.action.vocabulary_delete(id=vocabulary["id"])
    assert clients.anonymous.action.package_show(id=pkg["id"])["tags"] == []
    assert search(clients.anonymous, fq=f"{field}:毎年")["count"] == 0


def test_deleting_a_free_tag(clients: Clients) -> None:
    tag = unique("消すタグ")
    pkg = new_dataset(clients, [{"name": tag}, {"name": "残るタグ"}])
    clients.sysadmin.action.tag_delete(id=tag)
    assert [t["name"] for t in clients.anonymous.action.package_show(id=pkg["id"])["tags"]] == [
        "残るタグ"
    ]
    assert tag not in clients.anonymous.action.tag_list()
    assert search(clients.anonymous, fq=f"tags:{tag}")["count"] == 0
    with pytest.raises(ckanapi.NotFound):
        clients.sysadmin.action.tag_show(id=tag)


# -- free tags: search, autocomplete, show, and what private datasets must not reveal -------------


def test_tag_search_and_autocomplete(clients: Clients) -> None:
    stem = unique("検索用")
    vocabulary = new_vocabulary(clients, f"{stem}語彙")
    new_dataset(clients, [{"name": f"{stem}あ"}, {"name": f"{stem}い"}, {"name": "無関係"}])
    found = clients.anonymous.action.tag_search(query=stem)
    assert found["count"] == 2
    assert [t["name"] for t in found["results"]] == [f"{stem}あ", f"{stem}い"]
    assert all(t["vocabulary_id"] is None and t["id"] for t in found["results"])
    assert clients.anonymous.action.tag_search(query=[stem, "い"])["count"] == 1
    paged = clients.anonymous.action.tag_search(query=stem, limit=1, offset=1)
    assert paged["count"] == 2 and [t["name"] for t in paged["results"]] == [f"{stem}い"]
    assert clients.anonymous.action.tag_autocomplete(query=stem) == [f"{stem}あ", f"{stem}い"]
    assert clients.anonymous.action.tag_autocomplete(query=stem, limit=1) == [f"{stem}あ"]
    # Vocabulary tags are searched only within their vocabulary.
    assert clients.anonymous.action.tag_autocomplete(
        query=stem, vocabulary_id=vocabulary["id"]
    ) == [f"{stem}語彙"]
    assert clients.anonymous.action.tag_search(query=stem, vocabulary_id="nope")["count"] == 0
    assert clients.anonymous.action.tag_search(query="")["count"] == 0
    assert clients.anonymous.action.tag_list(query=stem) == [f"{stem}あ", f"{stem}い"]
    assert clients.anonymous.action.tag_list(query=stem, vocabulary_id="nope") == []
    with pytest.raises(ckanapi.NotFound):
        clients.anonymous.action.tag_list(vocabulary_id="nope")
    with pytest.raises(ckanapi.ValidationError):
        clients.anonymous.action.tag_search(query=stem, limit="many")


@pytest.mark.parametrize("kind", ["private", "draft"])
@pytest.mark.parametrize("who", ["anonymous", "outsider", "member", "editor"])
def test_tags_of_hidden_datasets_never_show(clients: Clients, kind: str, who: str) -> None:
    hidden_tag = unique(f"{kind}だけ")
    shared_tag = unique("共有")
    fields = {"private": True} if kind == "private" else {"state": "draft"}
    hidden = new_dataset(clients, [{"name": hidden_tag}, {"name": shared_tag}], **fields)
    public = new_dataset(clients, [{"name": shared_tag}])
    ckan = getattr(clients, who)
    answers = [
        ckan.action.tag_list(),
        ckan.action.tag_list(all_fields=True),
        ckan.action.tag_list(query=hidden_tag),
        ckan.action.tag_search(query=hidden_tag),
        ckan.action.tag_search(query=kind),
        ckan.action.tag_autocomplete(query=hidden_tag),
        ckan.action.tag_autocomplete(query=kind),
    ]
    with pytest.raises(ckanapi.NotFound):
        ckan.action.tag_show(id=hidden_tag)
    shown = ckan.action.tag_show(id=shared_tag, include_datasets=True)
    assert [p["name"] for p in shown["packages"]] == [public["name"]]
    answers.append(shown)
    assert {t["name"]: t["count"] for t in answers[1]}[shared_tag] == 1
    text = json.dumps(answers, ensure_ascii=False)
    for marker in (hidden_tag, hidden["id"], hidden["name"]):
        assert marker not in text, f"{who} sees {marker}"


# -- the portal --------------------------------------------------------------------------------------


def test_portal_edit_form_keeps_vocabulary_tags(server: LiveServer, clients: Clients) -> None:
    vocabulary = new_vocabulary(clients, "毎月")
    pkg = new_dataset(
        clients, [{"name": "古いタグ"}, {"name": "毎月", "vocabulary_id": vocabulary["id"]}]
    )
    editor = Visitor(server.url)
    editor.sign_in("tags-editor", "pw-tags-editor-0000")
    page = f"/staff/dataset/{pkg['name']}"
    form = editor.get(page).text
    assert 'value="古いタグ"' in form  # the form's tag_string holds the free tags only
    response = editor.submit(
        page,
        f"{page}/edit",
        name=pkg["name"],
        title="編集後",
        owner_org=ORG,
        tag_string="新しいタグ",
    )
    assert response.status_code == 303, response.text
    shown = clients.anonymous.action.package_show(id=pkg["id"])
    assert {(t["name"], t["vocabulary_id"]) for t in shown["tags"]} == {
        ("新しいタグ", None),
        ("毎月", vocabulary["id"]),
    }
    html = Visitor(server.url).get(f"/dataset/{pkg['name']}").text
    assert 'href="/dataset?tags=%E6%96%B0' in html  # a free tag links to its search
    assert "<li>毎月</li>" in html  # a vocabulary tag is shown, not linked as a free tag
