"""Many clients writing the same shared row at the same moment, over HTTP, on SQLite and
PostgreSQL.

Each test starts ``RACERS`` threads that wait at one ``threading.Barrier`` and then make their
call through their own unmodified ckanapi client (a client's HTTP session is not shared between
threads). Afterwards: no answer was an internal error (HTTP 500), the shared row exists exactly
once, and every write the server acknowledged is there.

Shared rows raced here: free tags, dataset / organisation / group / user / vocabulary names,
vocabulary tags, organisation and group memberships, a dataset's groups and collaborators, follows,
a dataset's tags and extras under concurrent patches, resources added to one dataset, a datastore
table made by several datastore_create calls, a datastore primary key upserted at once, the quality
record of one resource, a dataset added to a use case (活用事例), a data request's supporters, a
site setting and the site user made on first use, a plan's name, headings, measure numbers,
actual values for one date and one import applied, and an e-mail address given to new or invited
accounts. Usage counts, metric snapshots and sign-in throttle rows are raced by processes in
tests/usage, tests/metrics and tests/web/test_login_throttle.py.
"""

from __future__ import annotations

import io
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest
import requests
from sqlalchemy import func, select

from support.live_server import LiveServer
from tsunagu.accounts.models import User
from tsunagu.catalog.models import (
    Dataset,
    DatasetExtra,
    Group,
    GroupMembership,
    Membership,
    Organization,
    PackageCollaborator,
    Tag,
    Vocabulary,
    dataset_group,
    dataset_tag,
)
from tsunagu.community.models import DataRequestSupport, ShowcasePackage
from tsunagu.datastore.models import DatastoreTable
from tsunagu.follows.models import Follow
from tsunagu.plan.models import IndicatorValue, Measure, Plan, PlanNode
from tsunagu.quality.models import ResourceQuality

RACERS = 10
ORG = "race-org"
CSV = "地区,人口\n中央,1200\n".encode()
_serial = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


@dataclass
class Outcome:
    status: int | None = None
    result: Any = None
    error: Exception | None = None


def race(
    server: LiveServer, token: str, call: Callable[[ckanapi.RemoteCKAN, int], Any]
) -> list[Outcome]:
    """Run ``call(client, i)`` in RACERS threads released together; returns each outcome."""
    barrier = threading.Barrier(RACERS)
    outcomes = [Outcome() for _ in range(RACERS)]

    def run(i: int) -> None:
        outcome = outcomes[i]
        ckan = server.ckan(token)
        session = requests.Session()
        session.hooks["response"].append(
            lambda r, *_a, **_k: setattr(outcome, "status", r.status_code)
        )
        ckan.session = session
        barrier.wait(timeout=30)
        try:
            outcome.result = call(ckan, i)
        except Exception as error:
            outcome.error = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racer never finished"
    assert 500 not in [o.status for o in outcomes], [str(o.error) for o in outcomes]
    return outcomes


def succeeded(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.status == 200 and o.error is None]


def assert_one_winner(outcomes: list[Outcome], field: str, words: str) -> None:
    """One success; every other racer got a 409 Validation Error on ``field``."""
    assert len(succeeded(outcomes)) == 1, [(o.status, str(o.error)) for o in outcomes]
    for outcome in outcomes:
        if outcome.status == 200:
            continue
        assert outcome.status == 409
        assert isinstance(outcome.error, ckanapi.ValidationError)
        assert words in " ".join(outcome.error.error_dict[field])


def count(server: LiveServer, statement: Any) -> int:
    with server.services.sessions() as session:
        return int(session.scalar(statement) or 0)


@pytest.fixture(scope="module")
def sysadmin(server: LiveServer) -> str:
    token = server.make_user("race-sysadmin", sysadmin=True)
    server.act("organization_create", {"name": ORG, "title": "競争組織"})
    return token


@pytest.fixture(scope="module")
def editor(server: LiveServer, sysadmin: str) -> str:
    token = server.make_user("race-editor")
    server.act(
        "organization_member_create", {"id": ORG, "username": "race-editor", "role": "editor"}
    )
    return token


def new_dataset(server: LiveServer, **fields: Any) -> dict[str, Any]:
    return server.act(
        "package_create", {"name": unique("race-ds"), "title": "競争", "owner_org": ORG, **fields}
    )


# -- free tags ----------------------------------------------------------------------------------


def test_one_new_tag_on_many_new_datasets(server: LiveServer, editor: str) -> None:
    tag = unique("新しいタグ")
    names = [unique("race-tagged") for _ in range(RACERS)]
    outcomes = race(
        server,
        editor,
        lambda c, i: c.action.package_create(
            name=names[i], title="同時", owner_org=ORG, tags=[{"name": tag}, {"name": "共通"}]
        ),
    )
    assert len(succeeded(outcomes)) == RACERS
    assert count(server, select(func.count()).select_from(Tag).where(Tag.name == tag)) == 1
    for name in names:
        shown = server.act("package_show", {"id": name})
        assert {t["name"] for t in shown["tags"]} == {tag, "共通"}


def test_tags_in_opposite_orders_do_not_deadlock(server: LiveServer, editor: str) -> None:
    first, second = unique("順番a"), unique("順番b")
    outcomes = race(
        server,
        editor,
        lambda c, i: c.action.package_create(
            name=unique("race-order"),
            title="順番",
            owner_org=ORG,
            tags=[{"name": first}, {"name": second}][:: 1 if i % 2 else -1],
        ),
    )
    assert len(succeeded(outcomes)) == RACERS
    for tag in (first, second):
        assert count(server, select(func.count()).select_from(Tag).where(Tag.name == tag)) == 1


# -- names chosen by the client -------------------------------------------------------------------


def test_two_datasets_with_one_new_name(server: LiveServer, editor: str) -> None:
    name = unique("race-same-name")
    outcomes = race(
        server,
        editor,
        lambda c, i: c.action.package_create(name=name, title=f"同名 {i}", owner_org=ORG),
    )
    assert_one_winner(outcomes, "name", "already in use")
    assert count(server, select(func.count()).select_from(Dataset).where(Dataset.name == name)) == 1
    winner = succeeded(outcomes)[0].result
    assert server.act("package_show", {"id": name})["title"] == winner["title"]


def test_renaming_datasets_to_one_new_name(server: LiveServer, editor: str) -> None:
    name = unique("race-rename")
    datasets = [new_dataset(server) for _ in range(RACERS)]
    outcomes = race(
        server, editor, lambda c, i: c.action.package_patch(id=datasets[i]["id"], name=name)
    )
    assert_one_winner(outcomes, "name", "already in use")
    assert count(server, select(func.count()).select_from(Dataset).where(Dataset.name == name)) == 1


def test_organisations_with_one_new_name(server: LiveServer, sysadmin: str) -> None:
    name = unique("race-org-name")
    outcomes = race(
        server, sysadmin, lambda c, i: c.action.organization_create(name=name, title=f"組織 {i}")
    )
    assert_one_winner(outcomes, "name", "already exists")
    assert (
        count(
            server,
            select(func.count()).select_from(Organization).where(Organization.name == name),
        )
        == 1
    )


def test_renaming_organisations_to_one_new_name(server: LiveServer, sysadmin: str) -> None:
    name = unique("race-org-rename")
    orgs = [unique("race-org-old") for _ in range(RACERS)]
    for org in orgs:
        server.act("organization_create", {"name": org, "title": "改名前"})
    outcomes = race(
        server, sysadmin, lambda c, i: c.action.organization_patch(id=orgs[i], name=name)
    )
    assert_one_winner(outcomes, "name", "already exists")
    assert (
        count(
            server,
            select(func.count()).select_from(Organization).where(Organization.name == name),
        )
        == 1
    )


def test_groups_with_one_new_name(server: LiveServer, sysadmin: str) -> None:
    name = unique("race-group-name")
    outcomes = race(
        server, sysadmin, lambda c, i: c.action.group_create(name=name, title=f"グループ {i}")
    )
    assert_one_winner(outcomes, "name", "already exists")
    assert count(server, select(func.count()).select_from(Group).where(Group.name == name)) == 1


def test_users_with_one_new_name(server: LiveServer, sysadmin: str) -> None:
    name = unique("race-user")
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.user_create(
            name=name, email=f"{name}-{i}@example.jp", password="pw-race-user-0000"
        ),
    )
    assert_one_winner(outcomes, "name", "not available")
    assert count(server, select(func.count()).select_from(User).where(User.name == name)) == 1


# -- memberships, and a dataset's own rows ----------------------------------------------------------


def test_one_membership_added_at_once(server: LiveServer, sysadmin: str) -> None:
    user = unique("race-member")
    server.act(
        "user_create", {"name": user, "email": f"{user}@example.jp", "password": "pw-x-00000"}
    )
    roles = ["member", "editor"]
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.organization_member_create(id=ORG, username=user, role=roles[i % 2]),
    )
    assert len(succeeded(outcomes)) == RACERS
    with server.services.sessions() as session:
        rows = session.scalars(
            select(Membership.capacity)
            .join(User, User.id == Membership.user_id)
            .where(User.name == user)
        ).all()
    assert len(rows) == 1 and rows[0] in roles


def test_patching_one_dataset_with_the_same_new_extra_and_tag(
    server: LiveServer, editor: str
) -> None:
    dataset = new_dataset(server)
    tag = unique("後から")
    outcomes = race(
        server,
        editor,
        lambda c, i: c.action.package_patch(
            id=dataset["id"],
            tags=[{"name": tag}],
            extras=[{"key": "更新", "value": f"値{i}"}],
        ),
    )
    assert len(succeeded(outcomes)) == RACERS
    extras = count(
        server,
        select(func.count())
        .select_from(DatasetExtra)
        .where(DatasetExtra.dataset_id == dataset["id"]),
    )
    assert extras == 1
    links = count(
        server,
        select(func.count())
        .select_from(dataset_tag)
        .where(dataset_tag.c.dataset_id == dataset["id"]),
    )
    assert links == 1
    shown = server.act("package_show", {"id": dataset["id"]})
    assert [t["name"] for t in shown["tags"]] == [tag]
    assert shown["extras"][0]["value"] in {f"値{i}" for i in range(RACERS)}


def test_resources_added_to_one_dataset_at_once(server: LiveServer, editor: str) -> None:
    dataset = new_dataset(server)
    outcomes = race(
        server,
        editor,
        lambda c, i: c.action.resource_create(
            package_id=dataset["id"], name=f"資料{i}", url=f"https://example.jp/{i}.pdf"
        ),
    )
    assert len(succeeded(outcomes)) == RACERS
    shown = server.act("package_show", {"id": dataset["id"]})
    assert sorted(r["name"] for r in shown["resources"]) == sorted(
        f"資料{i}" for i in range(RACERS)
    )
    assert sorted(r["position"] for r in shown["resources"]) == list(range(RACERS))


def test_one_dataset_followed_at_once(server: LiveServer, editor: str) -> None:
    dataset = new_dataset(server)
    outcomes = race(server, editor, lambda c, i: c.action.follow_dataset(id=dataset["id"]))
    assert len(succeeded(outcomes)) == RACERS
    assert (
        count(
            server,
            select(func.count()).select_from(Follow).where(Follow.object_id == dataset["id"]),
        )
        == 1
    )
    assert server.act("dataset_follower_count", {"id": dataset["id"]}) == 1


# -- datastore ------------------------------------------------------------------------------------


def test_one_datastore_table_made_by_many_calls(server: LiveServer, editor: str) -> None:
    dataset = new_dataset(server, resources=[{"url": "https://example.jp/t.pdf", "name": "表"}])
    resource_id = dataset["resources"][0]["id"]
    outcomes = race(
        server,
        editor,
        lambda c, i: c.action.datastore_create(
            resource_id=resource_id, fields=[{"id": "番号", "type": "int"}], records=[{"番号": i}]
        ),
    )
    assert len(succeeded(outcomes)) == RACERS
    assert (
        count(
            server,
            select(func.count())
            .select_from(DatastoreTable)
            .where(DatastoreTable.resource_id == resource_id),
        )
        == 1
    )
    found = server.act("datastore_search", {"resource_id": resource_id, "limit": 100})
    assert sorted(r["番号"] for r in found["records"]) == list(range(RACERS))
    assert found["total"] == RACERS


def test_one_primary_key_upserted_at_once(server: LiveServer, editor: str) -> None:
    dataset = new_dataset(server, resources=[{"url": "https://example.jp/k.pdf", "name": "鍵"}])
    resource_id = dataset["resources"][0]["id"]
    server.act(
        "datastore_create",
        {
            "resource_id": resource_id,
            "fields": [{"id": "code", "type": "text"}, {"id": "n", "type": "int"}],
            "primary_key": ["code"],
        },
    )
    outcomes = race(
        server,
        editor,
        lambda c, i: c.action.datastore_upsert(
            resource_id=resource_id, method="upsert", records=[{"code": "A", "n": i}]
        ),
    )
    assert len(succeeded(outcomes)) == RACERS
    found = server.act("datastore_search", {"resource_id": resource_id})
    assert found["total"] == 1
    assert found["records"][0]["n"] in range(RACERS)


def test_quality_record_of_one_resource(server: LiveServer, editor: str) -> None:
    dataset = new_dataset(server)
    resource = server.ckan(editor).action.resource_create(
        package_id=dataset["id"], name="品質", upload=("q.csv", io.BytesIO(CSV))
    )
    outcomes = race(
        server, editor, lambda c, i: c.action.resource_validation_run(id=resource["id"])
    )
    assert len(succeeded(outcomes)) == RACERS
    assert (
        count(
            server,
            select(func.count())
            .select_from(ResourceQuality)
            .where(ResourceQuality.resource_id == resource["id"]),
        )
        == 1
    )
    shown = server.act("resource_validation_show", {"id": resource["id"]})
    assert shown["status"] == "complete"


# -- vocabularies ----------------------------------------------------------------------------------


def test_vocabularies_with_one_new_name(server: LiveServer, sysadmin: str) -> None:
    name = unique("race-vocab")
    outcomes = race(server, sysadmin, lambda c, i: c.action.vocabulary_create(name=name))
    assert_one_winner(outcomes, "name", "already in use")
    assert (
        count(server, select(func.count()).select_from(Vocabulary).where(Vocabulary.name == name))
        == 1
    )


def test_one_vocabulary_tag_created_at_once(server: LiveServer, sysadmin: str) -> None:
    vocabulary = server.act("vocabulary_create", {"name": unique("race-vocab-tags")})
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.tag_create(name="毎月", vocabulary_id=vocabulary["id"]),
    )
    assert_one_winner(outcomes, "vocabulary_id", "already belongs")
    assert (
        count(
            server,
            select(func.count())
            .select_from(Tag)
            .where(Tag.name == "毎月", Tag.vocabulary_id == vocabulary["id"]),
        )
        == 1
    )


# -- groups, collaborators, use cases and data requests ---------------------------------------------


def test_one_dataset_put_in_a_group_at_once(server: LiveServer, sysadmin: str) -> None:
    group = server.act("group_create", {"name": unique("race-group-ds"), "title": "分類"})
    dataset = new_dataset(server)
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.member_create(
            id=group["id"], object=dataset["id"], object_type="package", capacity="public"
        ),
    )
    assert len(succeeded(outcomes)) == RACERS
    links = count(
        server,
        select(func.count())
        .select_from(dataset_group)
        .where(dataset_group.c.dataset_id == dataset["id"]),
    )
    assert links == 1
    shown = server.act("package_show", {"id": dataset["id"]})
    assert [g["name"] for g in shown["groups"]] == [group["name"]]


def test_one_dataset_taken_out_of_a_group_at_once(server: LiveServer, sysadmin: str) -> None:
    group = server.act("group_create", {"name": unique("race-group-out"), "title": "分類"})
    dataset = new_dataset(server, groups=[{"name": group["name"]}])
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.member_delete(
            id=group["id"], object=dataset["id"], object_type="package"
        ),
    )
    assert len(succeeded(outcomes)) == RACERS
    assert server.act("package_show", {"id": dataset["id"]})["groups"] == []


def test_one_group_member_added_at_once(server: LiveServer, sysadmin: str) -> None:
    group = server.act("group_create", {"name": unique("race-group-user"), "title": "分類"})
    user = unique("race-group-member")
    server.act(
        "user_create", {"name": user, "email": f"{user}@example.jp", "password": "pw-x-00000"}
    )
    roles = ["member", "editor"]
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.group_member_create(id=group["id"], username=user, role=roles[i % 2]),
    )
    assert len(succeeded(outcomes)) == RACERS
    with server.services.sessions() as session:
        rows = session.scalars(
            select(GroupMembership.capacity)
            .join(User, User.id == GroupMembership.user_id)
            .where(User.name == user, GroupMembership.group_id == group["id"])
        ).all()
    assert len(rows) == 1 and rows[0] in roles


def test_one_collaborator_added_at_once(server: LiveServer, sysadmin: str) -> None:
    dataset = new_dataset(server)
    user = unique("race-collaborator")
    server.act(
        "user_create", {"name": user, "email": f"{user}@example.jp", "password": "pw-x-00000"}
    )
    capacities = ["member", "editor"]
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.package_collaborator_create(
            id=dataset["id"], user_id=user, capacity=capacities[i % 2]
        ),
    )
    assert len(succeeded(outcomes)) == RACERS
    listed = server.act("package_collaborator_list", {"id": dataset["id"]})
    assert len(listed) == 1 and listed[0]["capacity"] in capacities
    rows = count(
        server,
        select(func.count())
        .select_from(PackageCollaborator)
        .where(PackageCollaborator.dataset_id == dataset["id"]),
    )
    assert rows == 1


def test_one_dataset_added_to_a_use_case_at_once(server: LiveServer, sysadmin: str) -> None:
    first, second = new_dataset(server), new_dataset(server)
    showcase = server.ckan(sysadmin).action.ckanext_showcase_create(
        title=unique("競争の活用事例"), notes="地図アプリ", datasets=[first["id"]]
    )
    assert showcase["state"] == "active"
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.ckanext_showcase_package_association_create(
            showcase_id=showcase["id"], package_id=second["id"]
        ),
    )
    assert_one_winner(outcomes, "package_id", "already in the showcase")
    rows = count(
        server,
        select(func.count())
        .select_from(ShowcasePackage)
        .where(
            ShowcasePackage.showcase_id == showcase["id"],
            ShowcasePackage.dataset_id == second["id"],
        ),
    )
    assert rows == 1
    listed = server.act("ckanext_showcase_package_list", {"showcase_id": showcase["id"]})
    assert sorted(p["id"] for p in listed) == sorted([first["id"], second["id"]])


def test_one_data_request_supported_at_once(server: LiveServer, editor: str) -> None:
    request = server.act(
        "data_request_create", {"title": unique("競争の要望"), "description": "月別の人口を"}
    )
    outcomes = race(server, editor, lambda c, i: c.action.data_request_support(id=request["id"]))
    assert len(succeeded(outcomes)) == RACERS
    assert {o.result["supporters"] for o in outcomes} == {1}
    rows = count(
        server,
        select(func.count())
        .select_from(DataRequestSupport)
        .where(DataRequestSupport.request_id == request["id"]),
    )
    assert rows == 1
    assert server.act("data_request_show", {"id": request["id"]})["supporters"] == 1


# -- the site's own rows ----------------------------------------------------------------------------


def test_one_new_site_setting_saved_at_once(server: LiveServer, sysadmin: str) -> None:
    titles = [f"競争のサイト {i}" for i in range(RACERS)]
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.config_option_update(**{"ckan.site_description": titles[i]}),
    )
    assert len(succeeded(outcomes)) == RACERS
    shown = server.act("config_option_show", {"key": "ckan.site_description"})
    assert shown in titles


def test_the_site_user_made_on_first_use_at_once(server: LiveServer, sysadmin: str) -> None:
    outcomes = race(server, sysadmin, lambda c, i: c.action.get_site_user())
    assert len(succeeded(outcomes)) == RACERS
    assert len({o.result["name"] for o in outcomes}) == 1
    name = outcomes[0].result["name"]
    assert count(server, select(func.count()).select_from(User).where(User.name == name)) == 1


# -- plans ----------------------------------------------------------------------------------------


def new_plan(server: LiveServer, sysadmin: str) -> dict[str, Any]:
    return dict(
        server.ckan(sysadmin).action.plan_create(
            name=unique("race-plan"), title="競争の計画", owner_org=ORG, period_start=2020
        )
    )


def test_plans_with_one_new_name(server: LiveServer, sysadmin: str) -> None:
    name = unique("race-plan-name")
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.plan_create(name=name, title=f"計画{i}", owner_org=ORG),
    )
    assert_one_winner(outcomes, "name", "already in use")
    assert count(server, select(func.count()).select_from(Plan).where(Plan.name == name)) == 1


def test_one_new_heading_of_a_plan_at_once(server: LiveServer, sysadmin: str) -> None:
    plan = new_plan(server, sysadmin)
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.plan_node_create(plan_id=plan["id"], number="I", title="柱"),
    )
    assert_one_winner(outcomes, "number", "Heading already exists")
    nodes = count(
        server, select(func.count()).select_from(PlanNode).where(PlanNode.plan_id == plan["id"])
    )
    assert nodes == 1


def test_one_new_measure_number_at_once(server: LiveServer, sysadmin: str) -> None:
    plan = new_plan(server, sysadmin)
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.plan_measure_create(plan_id=plan["id"], number="1", name=f"施策{i}"),
    )
    assert_one_winner(outcomes, "number", "already exists")
    measures = count(
        server, select(func.count()).select_from(Measure).where(Measure.plan_id == plan["id"])
    )
    assert measures == 1


def test_one_indicator_value_for_one_date_at_once(server: LiveServer, sysadmin: str) -> None:
    plan = new_plan(server, sysadmin)
    ckan = server.ckan(sysadmin)
    measure = ckan.action.plan_measure_create(plan_id=plan["id"], number="1", name="施策")
    indicator = ckan.action.plan_indicator_create(
        plan_id=plan["id"], measure_id=measure["id"], name="件数", baseline="1", target="10"
    )
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.plan_indicator_value_add(
            indicator_id=indicator["id"], value=str(i + 1), period="2024-03-31"
        ),
    )
    assert len(succeeded(outcomes)) == RACERS
    rows = count(
        server,
        select(func.count())
        .select_from(IndicatorValue)
        .where(IndicatorValue.indicator_id == indicator["id"]),
    )
    assert rows == 1
    shown = ckan.action.plan_indicator_show(id=indicator["id"])
    assert [v["value"] for v in shown["values"]] in [[float(i + 1)] for i in range(RACERS)]


def test_one_import_applied_at_once(server: LiveServer, sysadmin: str) -> None:
    plan = new_plan(server, sysadmin)
    table = "番号,施策名,指標,現状,目標\n1,オープンデータの推進,公開数,140 (R元年度),560 (R4年度)\n"
    preview = server.ckan(sysadmin).action.plan_import_preview(
        plan_id=plan["id"], upload=("施策集.csv", io.BytesIO(table.encode()))
    )
    outcomes = race(server, sysadmin, lambda c, i: c.action.plan_import_apply(id=preview["id"]))
    assert_one_winner(outcomes, "id", "no longer a preview")
    shown = server.act("plan_show", {"id": plan["id"]})
    assert (shown["num_measures"], shown["num_indicators"]) == (1, 1)


def test_renaming_plans_to_one_new_name(server: LiveServer, sysadmin: str) -> None:
    plans = [new_plan(server, sysadmin) for _ in range(RACERS)]
    name = unique("race-plan-rename")
    outcomes = race(
        server, sysadmin, lambda c, i: c.action.plan_patch(id=plans[i]["id"], name=name)
    )
    assert_one_winner(outcomes, "name", "already in use")
    assert count(server, select(func.count()).select_from(Plan).where(Plan.name == name)) == 1


# -- accounts --------------------------------------------------------------------------------------


def test_one_address_invited_at_once(server: LiveServer, sysadmin: str) -> None:
    email = f"{unique('race-invitee')}@example.jp"
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.user_invite(email=email, group_id=ORG, role="member"),
    )
    assert 500 not in [o.status for o in outcomes]
    assert succeeded(outcomes), [(o.status, str(o.error)) for o in outcomes]
    assert count(server, select(func.count()).select_from(User).where(User.email == email)) == 1


def test_accounts_with_one_new_address(server: LiveServer, sysadmin: str) -> None:
    email = f"{unique('race-address')}@example.jp"
    names = [unique("race-address-user") for _ in range(RACERS)]
    outcomes = race(
        server,
        sysadmin,
        lambda c, i: c.action.user_create(name=names[i], email=email, password="pw-x-00000"),
    )
    assert_one_winner(outcomes, "email", "belongs to a registered user")
    assert count(server, select(func.count()).select_from(User).where(User.email == email)) == 1
