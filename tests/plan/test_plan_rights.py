"""Who may read and change a plan, and its history, over the API on SQLite and PostgreSQL.

Admins of the owning organisation and sysadmins change everything; editors of an organisation
named responsible for a measure record the actual values of that measure's indicators and
nothing else; an unpublished plan is read only by the owning organisation's members, those
responsible editors and sysadmins (everyone else is told it does not exist); every change is in
the plan's activity history, whose entries from before publishing stay with staff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ckanapi
import pytest

from support.live_server import LiveServer
from support.plans import organization, sysadmin, unique


@dataclass
class Cast:
    owner: str
    responsible: str
    admin: ckanapi.RemoteCKAN
    editor: ckanapi.RemoteCKAN  # editor of the owning organisation
    member: ckanapi.RemoteCKAN  # member of the owning organisation
    responsible_editor: ckanapi.RemoteCKAN
    responsible_member: ckanapi.RemoteCKAN
    outsider: ckanapi.RemoteCKAN
    anonymous: ckanapi.RemoteCKAN
    sysadmin: ckanapi.RemoteCKAN


@pytest.fixture(scope="module")
def cast(server: LiveServer) -> Cast:
    owner, responsible = organization(server), organization(server)
    clients = {}
    for role, org, capacity in (
        ("admin", owner, "admin"),
        ("editor", owner, "editor"),
        ("member", owner, "member"),
        ("responsible_editor", responsible, "editor"),
        ("responsible_member", responsible, "member"),
        ("outsider", None, None),
    ):
        name = unique(f"plan-{role.replace('_', '-')}")
        clients[role] = server.ckan(server.make_user(name))
        if org:
            server.act(
                "organization_member_create", {"id": org, "username": name, "role": capacity}
            )
    return Cast(
        owner=owner,
        responsible=responsible,
        anonymous=server.ckan(),
        sysadmin=sysadmin(server),
        **clients,
    )


@dataclass
class Plan:
    name: str
    measure: dict[str, Any]  # the responsible organisation's measure
    other: dict[str, Any]  # a measure nobody else is responsible for
    indicator: str
    other_indicator: str


def _plan(cast: Cast) -> Plan:
    plan = cast.admin.action.plan_create(
        name=unique("rights-plan"), title="権限の計画", owner_org=cast.owner, period_start=2020, period_end=2022
    )  # fmt: skip
    measure = cast.admin.action.plan_measure_create(
        plan_id=plan["name"], number="1", name="施策", organizations=[cast.responsible]
    )
    other = cast.admin.action.plan_measure_create(plan_id=plan["name"], number="2", name="別の施策")
    indicator = cast.admin.action.plan_indicator_create(
        plan_id=plan["name"], measure_id="1", name="件数", baseline="1", target="5 (R4年度)"
    )
    other_indicator = cast.admin.action.plan_indicator_create(
        plan_id=plan["name"], measure_id=other["id"], name="別の件数", baseline="1", target="2"
    )
    return Plan(plan["name"], measure, other, indicator["id"], other_indicator["id"])


def test_who_reads_an_unpublished_plan(cast: Cast) -> None:
    plan = _plan(cast)
    for client in (cast.anonymous, cast.outsider, cast.responsible_member):
        with pytest.raises(ckanapi.NotFound):
            client.action.plan_show(id=plan.name)
        with pytest.raises(ckanapi.NotFound):
            client.action.plan_indicator_show(id=plan.indicator)
        names = [p["name"] for p in client.action.plan_list(include_unpublished=True)]
        assert plan.name not in names
    for client in (cast.member, cast.editor, cast.admin, cast.responsible_editor, cast.sysadmin):
        assert client.action.plan_show(id=plan.name)["published"] is False
        assert plan.name in [p["name"] for p in client.action.plan_list(include_unpublished=True)]
        assert plan.name not in [p["name"] for p in client.action.plan_list()]
    assert cast.admin.action.plan_show(id=plan.name)["can_edit"] is True
    assert cast.member.action.plan_show(id=plan.name)["can_edit"] is False

    cast.admin.action.plan_patch(id=plan.name, published=True)
    assert cast.anonymous.action.plan_show(id=plan.name)["title"] == "権限の計画"
    assert plan.name in [p["name"] for p in cast.anonymous.action.plan_list()]


def test_who_changes_the_plan(cast: Cast) -> None:
    plan = _plan(cast)
    writes = [
        lambda c: c.action.plan_patch(id=plan.name, title="変更"),
        lambda c: c.action.plan_measure_patch(id=plan.measure["id"], name="変更"),
        lambda c: c.action.plan_measure_create(plan_id=plan.name, number="9", name="新しい施策"),
        lambda c: c.action.plan_indicator_patch(id=plan.indicator, target="6"),
        lambda c: c.action.plan_node_create(plan_id=plan.name, number="I", title="柱"),
        lambda c: c.action.plan_indicator_create(
            plan_id=plan.name, measure_id="1", name="新しい指標"
        ),
        lambda c: c.action.plan_delete(id=plan.name),
    ]
    for client in (
        cast.editor,
        cast.member,
        cast.responsible_editor,
        cast.responsible_member,
        cast.outsider,
        cast.anonymous,
    ):
        for write in writes:
            with pytest.raises(ckanapi.NotAuthorized):
                write(client)
    shown = cast.admin.action.plan_show(id=plan.name)
    assert shown["title"] == "権限の計画" and shown["num_measures"] == 2
    for write in writes[:-1]:
        write(cast.admin)
    assert cast.admin.action.plan_show(id=plan.name)["title"] == "変更"
    with pytest.raises(ckanapi.NotAuthorized):
        cast.outsider.action.plan_create(name=unique("p"), title="計画", owner_org=cast.owner)
    with pytest.raises(ckanapi.NotAuthorized):
        cast.editor.action.plan_create(name=unique("p"), title="計画", owner_org=cast.owner)
    cast.admin.action.plan_delete(id=plan.name)
    with pytest.raises(ckanapi.NotFound):
        cast.admin.action.plan_show(id=plan.name)
    assert cast.sysadmin.action.plan_show(id=plan.name)["state"] == "deleted"


def test_responsible_editors_record_their_values_only(cast: Cast) -> None:
    plan = _plan(cast)
    shown = cast.responsible_editor.action.plan_indicator_value_add(
        indicator_id=plan.indicator, value="3", period="R2年度", source="所管課の集計"
    )
    assert [v["value"] for v in shown["values"]] == [3]
    assert cast.responsible_editor.action.plan_indicator_show(id=plan.indicator)["can_record"]
    for client in (cast.responsible_member, cast.member, cast.editor, cast.outsider):
        with pytest.raises(ckanapi.NotAuthorized):
            client.action.plan_indicator_value_add(
                indicator_id=plan.indicator, value="4", period="R3年度"
            )
    with pytest.raises(ckanapi.NotAuthorized):
        cast.responsible_editor.action.plan_indicator_value_add(
            indicator_id=plan.other_indicator, value="4", period="R3年度"
        )
    with pytest.raises(ckanapi.NotAuthorized):
        cast.responsible_member.action.plan_indicator_value_delete(id=shown["values"][0]["id"])
    with pytest.raises(ckanapi.NotAuthorized):
        cast.outsider.action.plan_indicator_value_delete(id=shown["values"][0]["id"])
    kept = cast.admin.action.plan_indicator_show(id=plan.indicator)
    assert [v["value"] for v in kept["values"]] == [3]
    assert kept["can_record"] is True


def test_every_change_is_in_the_history(cast: Cast) -> None:
    plan = _plan(cast)
    cast.responsible_editor.action.plan_indicator_value_add(
        indicator_id=plan.indicator, value="3", period="R2年度"
    )
    cast.admin.action.plan_measure_patch(id=plan.other["id"], summary="概要")
    cast.admin.action.plan_patch(id=plan.name, published=True)
    cast.admin.action.plan_indicator_patch(id=plan.indicator, target="7 (R4年度)")
    history = cast.admin.action.plan_activity_list(id=plan.name)
    summaries = [a["data"]["summary"] for a in reversed(history)]
    assert summaries == [
        "計画「権限の計画」を作成",
        "施策「1 施策」を追加",
        "施策「2 別の施策」を追加",
        "指標「件数」を追加",
        "指標「別の件数」を追加",
        "指標「件数」の実績（R2年度）を登録: 3",
        "施策「2 別の施策」を更新",
        "計画「権限の計画」を公開",
        "指標「件数」を更新",
    ]
    assert [a["activity_type"] for a in reversed(history)][:2] == ["new plan", "changed plan"]
    value_entry = next(a for a in history if "実績" in a["data"]["summary"])
    users = {u["id"]: u["name"] for u in cast.sysadmin.action.user_list()}
    assert users[value_entry["user_id"]].startswith("plan-responsible-editor")
    assert value_entry["data"]["detail"]["value"]["value"] == 3
    # The public sees what happened since the plan was published, not its preparation.
    public = cast.anonymous.action.plan_activity_list(id=plan.name)
    assert [a["data"]["summary"] for a in public] == [
        "指標「件数」を更新",
        "計画「権限の計画」を公開",
    ]


def test_an_organisation_owning_a_plan_is_not_purged(server: LiveServer, cast: Cast) -> None:
    owner = organization(server)
    plan = cast.sysadmin.action.plan_create(
        name=unique("purge-plan"), title="計画", owner_org=owner
    )
    with pytest.raises(ckanapi.ValidationError) as refused:
        cast.sysadmin.action.organization_purge(id=owner)
    assert "計画が 1 件あるため完全削除できません" in str(refused.value.error_dict["id"])
    assert cast.sysadmin.action.plan_show(id=plan["name"])["state"] == "active"
    cast.sysadmin.action.plan_delete(id=plan["name"])
    cast.sysadmin.action.organization_purge(id=owner)
    with pytest.raises(ckanapi.NotFound):
        cast.sysadmin.action.plan_show(id=plan["name"])
