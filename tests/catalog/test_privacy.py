"""Private datasets and drafts never leak to callers without rights, through any read action.

Organisation A publishes three datasets, each with an uploaded CSV: a public one, a private one
and a draft. Six viewers then read the catalog over HTTP (ckanapi; ``requests`` for raw status
codes and downloads): anonymous, a logged-in outsider, a member of organisation B, a member and
an editor of organisation A, and a sysadmin.

The rights (as ``tsunagu.catalog.authz.can_read_dataset`` states them):

* private dataset: members (and editors, admins) of A, sysadmins;
* draft: editors (and admins) of A, its creator, sysadmins — a mere member may not read it.

Besides the targeted assertions, every answer a viewer gets is searched for the markers of the
datasets they may not read (name, id, a word of the title, a tag used only there, the resource id):
none may appear anywhere in it.
"""

from __future__ import annotations

import io
import itertools
import json
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest
import requests

from support.live_server import LiveServer

ORG_A, ORG_B, ORG_C, GROUP = "priv-org-a", "priv-org-b", "priv-org-c", "priv-group"
VIEWERS = ("anonymous", "outsider", "b_member", "a_member", "a_editor", "sysadmin")
READS_PRIVATE = frozenset({"a_member", "a_editor", "sysadmin"})
READS_DRAFT = frozenset({"a_editor", "sysadmin"})

CSV = "地区,人口\n中央,1200\n".encode()
_serial = itertools.count(1)


@dataclass(frozen=True)
class Published:
    kind: str  # public | private | draft
    id: str
    name: str
    title_word: str
    tag: str
    resource_id: str
    download_url: str

    @property
    def markers(self) -> tuple[str, ...]:
        return (self.id, self.name, self.title_word, self.tag, self.resource_id)


@dataclass
class World:
    server: LiveServer
    org_a_id: str
    clients: dict[str, ckanapi.RemoteCKAN]
    tokens: dict[str, str | None]
    publisher: ckanapi.RemoteCKAN  # admin of A and C, not one of the viewers
    datasets: dict[str, Published]

    def readable(self, viewer: str) -> set[str]:
        kinds = {"public"}
        if viewer in READS_PRIVATE:
            kinds.add("private")
        if viewer in READS_DRAFT:
            kinds.add("draft")
        return kinds

    def hidden(self, viewer: str) -> list[Published]:
        return [d for kind, d in self.datasets.items() if kind not in self.readable(viewer)]

    def assert_no_leak(self, viewer: str, answer: Any, *, where: str) -> None:
        text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        for dataset in self.hidden(viewer):
            for marker in dataset.markers:
                assert marker not in text, f"{where}: {viewer} sees {dataset.kind} ({marker})"

    def headers(self, viewer: str) -> dict[str, str]:
        token = self.tokens[viewer]
        return {"Authorization": token} if token else {}


def _publish(
    ckan: ckanapi.RemoteCKAN, kind: str, title: str, word: str, **fields: Any
) -> Published:
    name = f"priv-{kind}"
    tag = f"{kind}-only-tag"
    pkg = ckan.action.package_create(
        name=name,
        title=f"{title} {word}",
        notes=f"{title}の説明",
        owner_org=ORG_A,
        tags=[{"name": tag}, {"name": "shared-tag"}],
        groups=[{"name": GROUP}],
        **fields,
    )
    resource = ckan.action.resource_create(
        package_id=pkg["id"], name=f"{title} CSV", upload=(f"{kind}.csv", io.BytesIO(CSV))
    )
    return Published(kind, pkg["id"], name, word, tag, resource["id"], resource["url"])


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    for org in (ORG_A, ORG_B, ORG_C):
        server.act("organization_create", {"name": org, "title": f"組織 {org}"})
    server.act("group_create", {"name": GROUP, "title": "防災"})
    tokens: dict[str, str | None] = {"anonymous": None}
    for viewer in VIEWERS[1:]:
        tokens[viewer] = server.make_user(
            f"pv-{viewer.replace('_', '-')}", sysadmin=viewer == "sysadmin"
        )
    publisher = server.make_user("pv-publisher")
    for org, user, role in [
        (ORG_A, "pv-publisher", "admin"),
        (ORG_C, "pv-publisher", "admin"),
        (ORG_A, "pv-a-member", "member"),
        (ORG_A, "pv-a-editor", "editor"),
        (ORG_B, "pv-b-member", "member"),
    ]:
        server.act("organization_member_create", {"id": org, "username": user, "role": role})
    ckan = server.ckan(publisher)
    datasets = {
        "public": _publish(ckan, "public", "公開の人口統計", "avocadoword"),
        "private": _publish(ckan, "private", "秘密の避難計画", "zebracornword", private=True),
        "draft": _publish(ckan, "draft", "下書きの予算案", "moosedraftword", state="draft"),
    }
    org_a_id = server.act("organization_show", {"id": ORG_A})["id"]
    return World(
        server=server,
        org_a_id=org_a_id,
        clients={v: server.ckan(t) for v, t in tokens.items()},
        tokens=tokens,
        publisher=ckan,
        datasets=datasets,
    )


def names(results: list[dict[str, Any]]) -> set[str]:
    return {r["name"] for r in results}


def expected_names(world: World, kinds: set[str]) -> set[str]:
    return {world.datasets[k].name for k in kinds}


viewers = pytest.mark.parametrize("viewer", VIEWERS)


# -- search -------------------------------------------------------------------------------------


@viewers
def test_search_without_include_private_shows_public_only(world: World, viewer: str) -> None:
    ckan = world.clients[viewer]
    found = ckan.action.package_search(fq=f"owner_org:{world.org_a_id}", rows=100)
    # As in CKAN, private datasets are only searched when asked for, whoever asks.
    assert names(found["results"]) == {"priv-public"}
    assert found["count"] == 1
    everything = ckan.action.package_search(q="", rows=1000)
    assert "priv-public" in names(everything["results"])
    world.assert_no_leak(viewer, [found, everything], where="package_search")
    world.assert_no_leak("anonymous", [found, everything], where="package_search")


@viewers
def test_search_with_include_private(world: World, viewer: str) -> None:
    ckan = world.clients[viewer]
    found = ckan.action.package_search(
        fq=f"owner_org:{world.org_a_id}", include_private=True, rows=100
    )
    visible = world.readable(viewer) - {"draft"}  # drafts need include_drafts too
    assert names(found["results"]) == expected_names(world, visible)
    assert found["count"] == len(visible)
    with_drafts = ckan.action.package_search(
        fq=f"owner_org:{world.org_a_id}", include_private=True, include_drafts=True, rows=100
    )
    assert names(with_drafts["results"]) == expected_names(world, world.readable(viewer))
    world.assert_no_leak(viewer, [found, with_drafts], where="package_search include_private")


@viewers
@pytest.mark.parametrize(
    ("q", "kind"),
    [
        ("zebracornword", "private"),
        ("秘密の避難計画", "private"),
        ("避難", "private"),
        ("moosedraftword", "draft"),
        ("下書き", "draft"),
        ("name:priv-private", "private"),
        ("tags:draft-only-tag", "draft"),
    ],
)
def test_search_q_matching_a_hidden_dataset(world: World, viewer: str, q: str, kind: str) -> None:
    found = world.clients[viewer].action.package_search(
        q=q, include_private=True, include_drafts=True
    )
    if kind in world.readable(viewer):
        assert names(found["results"]) == {world.datasets[kind].name}
    else:
        assert found["count"] == 0
        assert found["results"] == []
    world.assert_no_leak(viewer, found, where=f"package_search q={q}")


@viewers
@pytest.mark.parametrize(
    ("fq", "kind"),
    [
        ("tags:private-only-tag", "private"),
        ("capacity:private", "private"),
        ("name:priv-private", "private"),
        ("state:draft", "draft"),
        ("tags:draft-only-tag", "draft"),
        ("name:priv-draft", "draft"),
    ],
)
def test_search_fq_matching_a_hidden_dataset(world: World, viewer: str, fq: str, kind: str) -> None:
    ckan = world.clients[viewer]
    found = ckan.action.package_search(fq=fq, include_private=True, include_drafts=True)
    if kind in world.readable(viewer):
        assert names(found["results"]) == {world.datasets[kind].name}
    else:
        assert found["count"] == 0
    by_id = ckan.action.package_search(
        fq=f"id:{world.datasets[kind].id}", include_private=True, include_drafts=True
    )
    assert by_id["count"] == (1 if kind in world.readable(viewer) else 0)
    world.assert_no_leak(viewer, [found, by_id], where=f"package_search fq={fq}")


@viewers
def test_facets_count_only_what_the_viewer_may_see(world: World, viewer: str) -> None:
    found = world.clients[viewer].action.package_search(
        include_private=True,
        include_drafts=True,
        rows=0,
        **{
            "facet.field": json.dumps(["tags", "organization", "groups", "capacity", "state"]),
            "facet.limit": -1,
        },
    )
    facets = found["facets"]
    visible = world.readable(viewer)
    assert facets["organization"].get(ORG_A) == len(visible)
    assert facets["groups"].get(GROUP) == len(visible)
    assert facets["tags"].get("shared-tag") == len(visible)
    for kind in ("public", "private", "draft"):
        tag = world.datasets[kind].tag
        assert facets["tags"].get(tag) == (1 if kind in visible else None)
        shown = {item["name"] for item in found["search_facets"]["tags"]["items"]}
        assert (tag in shown) == (kind in visible)
    assert facets["capacity"].get("private") == (1 if "private" in visible else None)
    assert facets["state"].get("draft") == (1 if "draft" in visible else None)
    world.assert_no_leak(viewer, found, where="facets")


# -- lists --------------------------------------------------------------------------------------


@viewers
def test_package_list_is_public_only(world: World, viewer: str) -> None:
    listed = world.clients[viewer].action.package_list()
    assert "priv-public" in listed
    # package_list never lists private datasets or drafts, whoever asks (as CKAN).
    assert "priv-private" not in listed
    assert "priv-draft" not in listed
    world.assert_no_leak(viewer, listed, where="package_list")


@viewers
def test_current_package_list_with_resources(world: World, viewer: str) -> None:
    listed = world.clients[viewer].action.current_package_list_with_resources(limit=1000)
    mine = {p["name"] for p in listed} & expected_names(world, {"public", "private", "draft"})
    assert "priv-public" in mine
    assert "priv-draft" not in mine
    assert ("priv-private" in mine) == (viewer in READS_PRIVATE)
    world.assert_no_leak(viewer, listed, where="current_package_list_with_resources")


@viewers
def test_organization_show_counts_and_lists_only_visible(world: World, viewer: str) -> None:
    ckan = world.clients[viewer]
    org = ckan.action.organization_show(id=ORG_A, include_datasets=True)
    visible = world.readable(viewer) - {"draft"}
    assert org["package_count"] == len(visible)
    assert names(org["packages"]) == expected_names(world, visible)
    plain = ckan.action.organization_show(id=ORG_A)
    assert plain["package_count"] == len(visible)
    listed = ckan.action.organization_list(all_fields=True)
    # organization_list counts public datasets only, whoever asks.
    assert {o["name"]: o["package_count"] for o in listed}[ORG_A] == 1
    world.assert_no_leak(viewer, [org, plain, listed], where="organization_show/list")


@viewers
def test_group_counts_only_visible(world: World, viewer: str) -> None:
    ckan = world.clients[viewer]
    group = ckan.action.group_show(id=GROUP, include_datasets=True)
    assert group["package_count"] == 1
    assert names(group["packages"]) == {"priv-public"}
    listed = ckan.action.group_list(all_fields=True)
    assert {g["name"]: g["package_count"] for g in listed}[GROUP] == 1
    world.assert_no_leak(viewer, [group, listed], where="group_show/list")
    world.assert_no_leak("anonymous", [group, listed], where="group_show/list")


@viewers
def test_tag_list_hides_tags_of_hidden_datasets(world: World, viewer: str) -> None:
    ckan = world.clients[viewer]
    tags = ckan.action.tag_list()
    assert "public-only-tag" in tags
    assert "shared-tag" in tags
    # Tags come from public datasets only (as CKAN), whoever asks.
    assert "private-only-tag" not in tags
    assert "draft-only-tag" not in tags
    full = ckan.action.tag_list(all_fields=True)
    assert {t["name"]: t["count"] for t in full}["shared-tag"] == 1
    assert ckan.action.tag_list(query="only-tag") == ["public-only-tag"]
    world.assert_no_leak("anonymous", [tags, full], where="tag_list")


# -- one dataset --------------------------------------------------------------------------------


def _refused(viewer: str) -> type[Exception]:
    return ckanapi.NotFound if viewer == "anonymous" else ckanapi.NotAuthorized


@viewers
@pytest.mark.parametrize("kind", ["private", "draft"])
def test_package_show(world: World, viewer: str, kind: str) -> None:
    dataset = world.datasets[kind]
    ckan = world.clients[viewer]
    for ref in (dataset.id, dataset.name):
        if kind in world.readable(viewer):
            shown = ckan.action.package_show(id=ref)
            assert shown["id"] == dataset.id
            assert [r["id"] for r in shown["resources"]] == [dataset.resource_id]
        else:
            with pytest.raises(_refused(viewer)):
                ckan.action.package_show(id=ref)
    # The refusal itself tells nothing beyond what was asked.
    response = requests.post(
        f"{world.server.url}/api/3/action/package_show",
        json={"id": dataset.id},
        headers=world.headers(viewer),
        timeout=10,
    )
    if kind in world.readable(viewer):
        assert response.status_code == 200
    else:
        assert response.status_code in (403, 404)
        body = response.text.replace(dataset.id, "")
        for marker in (dataset.name, dataset.title_word, dataset.tag, dataset.resource_id):
            assert marker not in body


@viewers
@pytest.mark.parametrize("kind", ["public", "private", "draft"])
def test_resource_show(world: World, viewer: str, kind: str) -> None:
    dataset = world.datasets[kind]
    ckan = world.clients[viewer]
    if kind in world.readable(viewer):
        resource = ckan.action.resource_show(id=dataset.resource_id)
        assert resource["package_id"] == dataset.id
        assert resource["url"] == dataset.download_url
        return
    with pytest.raises(_refused(viewer)):
        ckan.action.resource_show(id=dataset.resource_id)
    response = requests.post(
        f"{world.server.url}/api/3/action/resource_show",
        json={"id": dataset.resource_id},
        headers=world.headers(viewer),
        timeout=10,
    )
    assert response.status_code in (403, 404)
    body = response.text.replace(dataset.resource_id, "")
    for marker in (dataset.id, dataset.name, dataset.title_word, dataset.tag):
        assert marker not in body


@viewers
@pytest.mark.parametrize("kind", ["public", "private", "draft"])
def test_download(world: World, viewer: str, kind: str) -> None:
    dataset = world.datasets[kind]
    assert dataset.download_url.startswith(f"{world.server.url}/dataset/{dataset.id}/resource/")
    by_name = dataset.download_url.replace(f"/dataset/{dataset.id}/", f"/dataset/{dataset.name}/")
    for url in (dataset.download_url, by_name):
        response = requests.get(url, headers=world.headers(viewer), timeout=10)
        if kind in world.readable(viewer):
            assert response.status_code == 200
            assert response.content == CSV
        else:
            # The same answer as for a file that does not exist.
            assert response.status_code == 404
            assert CSV not in response.content
            assert response.json()["error"]["__type"] == "Not Found Error"


def test_download_with_the_ckan_api_key_header(world: World) -> None:
    url = world.datasets["private"].download_url
    token = world.tokens["a_member"]
    assert token
    assert requests.get(url, headers={"X-CKAN-API-Key": token}, timeout=10).status_code == 200
    assert requests.get(url, timeout=10).status_code == 404


# -- activity -----------------------------------------------------------------------------------


@viewers
@pytest.mark.parametrize("kind", ["public", "private", "draft"])
def test_package_activity_list(world: World, viewer: str, kind: str) -> None:
    dataset = world.datasets[kind]
    ckan = world.clients[viewer]
    if kind not in world.readable(viewer):
        with pytest.raises(_refused(viewer)):
            ckan.action.package_activity_list(id=dataset.id)
        return
    activities = ckan.action.package_activity_list(id=dataset.id)
    assert {a["activity_type"] for a in activities} == {"new package", "changed package"}
    world.assert_no_leak(viewer, activities, where="package_activity_list")


@viewers
def test_recently_changed_packages_activity_list(world: World, viewer: str) -> None:
    activities = world.clients[viewer].action.recently_changed_packages_activity_list(limit=100)
    seen = {a["object_id"] for a in activities}
    assert {world.datasets[k].id for k in world.readable(viewer)} <= seen
    world.assert_no_leak(viewer, activities, where="recently_changed_packages_activity_list")


@viewers
def test_organization_activity_list(world: World, viewer: str) -> None:
    activities = world.clients[viewer].action.organization_activity_list(id=ORG_A, limit=100)
    seen = {a["object_id"] for a in activities}
    assert {world.datasets[k].id for k in world.readable(viewer)} <= seen
    world.assert_no_leak(viewer, activities, where="organization_activity_list")


@viewers
def test_membership_is_shown_to_members_only(world: World, viewer: str) -> None:
    ckan = world.clients[viewer]
    org = ckan.action.organization_show(id=ORG_A, include_users=True)
    activities = ckan.action.organization_activity_list(id=ORG_A, limit=100)
    text = json.dumps([org, activities], ensure_ascii=False)
    if viewer in READS_PRIVATE:  # members of A (and sysadmins) may see who else is one
        assert {u["name"] for u in org["users"]} == {"pv-publisher", "pv-a-member", "pv-a-editor"}
        return
    assert org["users"] == []
    for user in ("pv-publisher", "pv-a-member", "pv-a-editor"):
        assert user not in text, f"{viewer} learns that {user} is in {ORG_A}"


@viewers
@pytest.mark.parametrize("kind", ["public", "private", "draft"])
def test_activity_show_data_and_diff(world: World, viewer: str, kind: str) -> None:
    dataset = world.datasets[kind]
    entries = world.server.act("package_activity_list", {"id": dataset.id})  # as the system
    assert [e["activity_type"] for e in entries] == ["changed package", "new package"]
    ckan = world.clients[viewer]
    calls = [
        lambda e: ckan.action.activity_show(id=e["id"]),
        lambda e: ckan.action.activity_data_show(id=e["id"], object_type="package"),
        lambda e: ckan.action.activity_data_show(id=e["id"]),
    ]
    for entry in entries:
        for call in calls:
            if kind not in world.readable(viewer):
                with pytest.raises(_refused(viewer)):
                    call(entry)
                continue
            world.assert_no_leak(viewer, call(entry), where="activity_show")
    newest = entries[0]["id"]
    if kind not in world.readable(viewer):
        with pytest.raises(_refused(viewer)):
            ckan.action.activity_diff(id=newest, object_type="package")
        return
    diff = ckan.action.activity_diff(id=newest, object_type="package")
    assert [a["id"] for a in diff["activities"]] == [entries[1]["id"], newest]
    world.assert_no_leak(viewer, diff, where="activity_diff")


@viewers
def test_user_activity_list(world: World, viewer: str) -> None:
    activities = world.clients[viewer].action.user_activity_list(id="pv-publisher", limit=100)
    seen = {a["object_id"] for a in activities}
    assert {world.datasets[k].id for k in world.readable(viewer)} <= seen
    world.assert_no_leak(viewer, activities, where="user_activity_list")


@viewers
def test_group_activity_list(world: World, viewer: str) -> None:
    activities = world.clients[viewer].action.group_activity_list(id=GROUP, limit=100)
    seen = {a["object_id"] for a in activities}
    assert {world.datasets[k].id for k in world.readable(viewer)} <= seen
    world.assert_no_leak(viewer, activities, where="group_activity_list")


# -- following ----------------------------------------------------------------------------------


@viewers
def test_following_and_the_dashboard(world: World, viewer: str) -> None:
    """A viewer who follows the publisher, the organisation, the group and every dataset they
    may follow: their dashboard, followee lists and the follow answers show nothing hidden."""
    ckan = world.clients[viewer]
    if viewer == "anonymous":
        with pytest.raises(ckanapi.NotAuthorized):
            ckan.action.dashboard_activity_list()
        with pytest.raises(ckanapi.NotAuthorized):
            ckan.action.follow_dataset(id=world.datasets["public"].id)
        return
    answers: list[Any] = []
    for call in (
        lambda: ckan.action.follow_user(id="pv-publisher"),
        lambda: ckan.action.follow_group(id=ORG_A),
        lambda: ckan.action.follow_group(id=GROUP),
    ):
        answers.append(call())
    for kind, dataset in world.datasets.items():
        if kind in world.readable(viewer):
            answers.append(ckan.action.follow_dataset(id=dataset.name))
            continue
        with pytest.raises(ckanapi.ValidationError) as caught:
            ckan.action.follow_dataset(id=dataset.name)
        answers.append(caught.value.error_dict)
    me = ckan.action.user_show()["name"]
    followees = ckan.action.followee_list(id=me)
    assert {f["dict"]["name"] for f in followees if f["type"] == "dataset"} == expected_names(
        world, world.readable(viewer)
    )
    board = ckan.action.dashboard_activity_list(limit=100)
    assert {world.datasets[k].id for k in world.readable(viewer)} <= {a["object_id"] for a in board}
    counts = [
        ckan.action.dashboard_new_activities_count(),
        ckan.action.dataset_followee_count(id=me),
        ckan.action.followee_count(id=me),
    ]
    world.assert_no_leak(viewer, [answers, followees, board], where="following")
    assert counts[1] == len(world.readable(viewer))


# -- autocomplete -------------------------------------------------------------------------------


@viewers
@pytest.mark.parametrize("q", ["zebracornword", "moosedraftword", "priv-", "秘密", "下書き"])
def test_package_autocomplete(world: World, viewer: str, q: str) -> None:
    found = world.clients[viewer].action.package_autocomplete(q=q)
    if q == "priv-":
        assert "priv-public" in {f["name"] for f in found}
    world.assert_no_leak(viewer, found, where=f"package_autocomplete q={q}")
    # Autocomplete only offers public datasets (as CKAN), whoever asks.
    world.assert_no_leak("anonymous", found, where=f"package_autocomplete q={q}")


# -- changes take effect at once ----------------------------------------------------------------


def _anonymous_view(world: World, name: str, word: str, tag: str) -> dict[str, bool]:
    ckan = world.clients["anonymous"]
    try:
        ckan.action.package_show(id=name)
        shown = True
    except ckanapi.NotFound:
        shown = False
    return {
        "package_show": shown,
        "search": name in names(ckan.action.package_search(q=word)["results"]),
        "fq": ckan.action.package_search(fq=f"name:{name}")["count"] == 1,
        "package_list": name in ckan.action.package_list(),
        "tag_list": tag in ckan.action.tag_list(),
        "organization": name
        in names(ckan.action.organization_show(id=ORG_C, include_datasets=True)["packages"]),
        "autocomplete": name in {f["name"] for f in ckan.action.package_autocomplete(q=word)},
    }


def test_private_dataset_made_public_appears_immediately(world: World) -> None:
    n = next(_serial)
    name, word, tag = f"flip-{n}", f"flipword{n}", f"flip-tag-{n}"
    pkg = world.publisher.action.package_create(
        name=name, title=f"公開予定 {word}", owner_org=ORG_C, private=True, tags=[{"name": tag}]
    )
    try:
        url = world.publisher.action.resource_create(
            package_id=pkg["id"], name="CSV", upload=("flip.csv", io.BytesIO(CSV))
        )["url"]
        assert not any(_anonymous_view(world, name, word, tag).values())
        assert requests.get(url, timeout=10).status_code == 404

        patched = world.publisher.action.package_patch(id=pkg["id"], private=False)
        assert patched["private"] is False
        assert _anonymous_view(world, name, word, tag) == dict.fromkeys(
            (
                "package_show",
                "search",
                "fq",
                "package_list",
                "tag_list",
                "organization",
                "autocomplete",
            ),
            True,
        )
        response = requests.get(url, timeout=10)
        assert response.status_code == 200
        assert response.content == CSV
    finally:  # the module's other tests count the public datasets they see
        world.server.act("dataset_purge", {"id": pkg["id"]})


def test_public_dataset_made_private_disappears_immediately(world: World) -> None:
    n = next(_serial)
    name, word, tag = f"hide-{n}", f"hideword{n}", f"hide-tag-{n}"
    pkg = world.publisher.action.package_create(
        name=name, title=f"非公開予定 {word}", owner_org=ORG_C, tags=[{"name": tag}]
    )
    try:
        url = world.publisher.action.resource_create(
            package_id=pkg["id"], name="CSV", upload=("hide.csv", io.BytesIO(CSV))
        )["url"]
        assert all(_anonymous_view(world, name, word, tag).values())
        assert requests.get(url, timeout=10).status_code == 200

        world.publisher.action.package_patch(id=pkg["id"], private=True)
        assert not any(_anonymous_view(world, name, word, tag).values())
        assert requests.get(url, timeout=10).status_code == 404
        outsider = world.clients["outsider"]
        with pytest.raises(ckanapi.NotAuthorized):
            outsider.action.package_show(id=pkg["id"])
        assert outsider.action.package_search(q=word, include_private=True)["count"] == 0
    finally:  # a private dataset left behind would be counted by the sysadmin's searches
        world.server.act("dataset_purge", {"id": pkg["id"]})


def test_deleted_dataset_disappears(world: World) -> None:
    n = next(_serial)
    name, word, tag = f"gone-{n}", f"goneword{n}", f"gone-tag-{n}"
    pkg = world.publisher.action.package_create(
        name=name, title=f"削除予定 {word}", owner_org=ORG_C, tags=[{"name": tag}]
    )
    try:
        resource = world.publisher.action.resource_create(
            package_id=pkg["id"], name="CSV", upload=("gone.csv", io.BytesIO(CSV))
        )
        assert all(_anonymous_view(world, name, word, tag).values())
        assert requests.get(resource["url"], timeout=10).status_code == 200

        world.publisher.action.package_delete(id=pkg["id"])
        assert not any(_anonymous_view(world, name, word, tag).values())
        for viewer, ckan in [*world.clients.items(), ("publisher", world.publisher)]:
            found = ckan.action.package_search(
                q=word, include_private=True, include_drafts=True, rows=10
            )
            assert found["count"] == 0, viewer
            assert name not in ckan.action.package_list()
            if viewer == "sysadmin":
                assert ckan.action.package_show(id=name)["state"] == "deleted"
                continue
            with pytest.raises(ckanapi.NotFound):
                ckan.action.package_show(id=name)
            with pytest.raises(ckanapi.NotFound):
                ckan.action.resource_show(id=resource["id"])
            headers = world.headers(viewer) if viewer != "publisher" else {}
            assert requests.get(resource["url"], headers=headers, timeout=10).status_code == 404
    finally:  # nothing of it stays for the module's other tests
        world.server.act("dataset_purge", {"id": pkg["id"]})


# -- members, groups, collaborators, bulk changes -----------------------------------------------


def _known(world: World, ids: set[str]) -> set[str]:
    """Of the given ids, those of this module's three datasets (other tests add more)."""
    return ids & {d.id for d in world.datasets.values()}


@viewers
@pytest.mark.parametrize("where", [GROUP, ORG_A])
def test_member_list_lists_only_readable_datasets(world: World, viewer: str, where: str) -> None:
    rows = world.clients[viewer].action.member_list(id=where, object_type="package")
    readable = {d.id for kind, d in world.datasets.items() if kind in world.readable(viewer)}
    assert _known(world, {r[0] for r in rows}) == readable
    everything = world.clients[viewer].action.member_list(id=where)
    world.assert_no_leak(viewer, [rows, everything], where=f"member_list {where}")


@viewers
def test_group_package_show_and_group_lists(world: World, viewer: str) -> None:
    ckan = world.clients[viewer]
    shown = ckan.action.group_package_show(id=GROUP, limit=100)
    # Public datasets only, whoever asks (CKAN runs package_search without include_private).
    assert _known(world, {p["id"] for p in shown}) == {world.datasets["public"].id}
    authz = ckan.action.group_list_authz(include_dataset_count=True)
    if viewer == "sysadmin":
        assert {g["name"]: g["package_count"] for g in authz}[GROUP] == 1
    else:
        assert authz == []  # no viewer belongs to a group
    orgs = ckan.action.organization_list_for_user(include_dataset_count=True)
    counts = {o["name"]: o["package_count"] for o in orgs}
    if viewer in READS_PRIVATE:
        assert counts[ORG_A] == 1  # public datasets, as in CKAN's lists
    else:
        assert ORG_A not in counts
    found = [
        ckan.action.group_autocomplete(q="priv"),
        ckan.action.organization_autocomplete(q="priv"),
    ]
    world.assert_no_leak(viewer, [shown, authz, orgs, found], where="group lists")
    world.assert_no_leak("anonymous", [shown], where="group_package_show")


@viewers
@pytest.mark.parametrize("kind", ["public", "private", "draft"])
def test_collaborator_lists_are_for_admins(world: World, viewer: str, kind: str) -> None:
    dataset = world.datasets[kind]
    ckan = world.clients[viewer]
    if viewer == "sysadmin":
        assert ckan.action.package_collaborator_list(id=dataset.id) == []
        return
    hidden = kind not in world.readable(viewer)
    # A dataset the viewer may not read answers as every read of it does (404 to anonymous).
    refused = _refused(viewer) if hidden else ckanapi.NotAuthorized
    with pytest.raises(refused):
        ckan.action.package_collaborator_list(id=dataset.id)
    with pytest.raises(refused):
        ckan.action.package_collaborator_create(
            id=dataset.id, user_id="pv-outsider", capacity="member"
        )
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_collaborator_list_for_user(id="pv-publisher")
    assert world.server.act("package_collaborator_list", {"id": dataset.id}) == []


def test_a_group_member_cannot_reach_hidden_datasets_of_the_group(world: World) -> None:
    curator_name = f"pv-curator-{next(_serial)}"
    curator = world.server.ckan(world.server.make_user(curator_name))
    world.server.act(
        "group_member_create", {"id": GROUP, "username": curator_name, "role": "member"}
    )
    try:
        rows = curator.action.member_list(id=GROUP)
        world.assert_no_leak("outsider", rows, where="member_list for a group member")
        for kind in ("private", "draft"):
            with pytest.raises(ckanapi.NotAuthorized):
                curator.action.member_delete(
                    id=GROUP, object=world.datasets[kind].id, object_type="package"
                )
            groups = world.server.act("package_show", {"id": world.datasets[kind].id})["groups"]
            assert [g["name"] for g in groups] == [GROUP]
    finally:
        world.server.act("group_member_delete", {"id": GROUP, "username": curator_name})


def test_bulk_updates_touch_only_the_named_organisations_datasets(world: World) -> None:
    """An admin of B naming A's hidden datasets changes nothing and learns nothing."""
    name = f"pv-b-admin-{next(_serial)}"
    b_admin = world.server.ckan(world.server.make_user(name))
    world.server.act("organization_member_create", {"id": ORG_B, "username": name, "role": "admin"})
    ids = [world.datasets[k].id for k in ("private", "draft")]
    assert b_admin.action.bulk_update_public(datasets=ids, org_id=ORG_B) is None
    assert b_admin.action.bulk_update_delete(datasets=ids, org_id=ORG_B) is None
    with pytest.raises(ckanapi.NotAuthorized):
        b_admin.action.bulk_update_public(datasets=ids, org_id=ORG_A)
    private = world.server.act("package_show", {"id": world.datasets["private"].id})
    draft = world.server.act("package_show", {"id": world.datasets["draft"].id})
    assert (private["private"], private["state"]) == (True, "active")
    assert draft["state"] == "draft"
