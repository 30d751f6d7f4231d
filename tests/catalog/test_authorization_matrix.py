"""Who may call each write action: a table of every write action × every kind of caller, driven
over HTTP with the unmodified ckanapi client, on SQLite and PostgreSQL.

Each cell sets up its own fresh target (a dataset, an organisation, a group …) as the system, calls
the action as the actor, and then checks both the answer (allowed → HTTP 200; refused →
``ckanapi.NotAuthorized`` / HTTP 403) and that a refused call changed nothing.

``package_create`` into an organisation where the caller is not an editor is refused with 403,
as current CKAN does in its ``package_create`` auth function, and not with a ValidationError on
``owner_org``: the refusal is about rights, so it is answered like every other refusal here. A
missing or unknown ``owner_org`` remains a validation error (409). Moving an existing dataset into
an organisation where the caller may not add datasets is a validation error on ``owner_org``, as
in CKAN (see ``test_moving_a_dataset_needs_rights_in_both_organisations``).

Write calls on a *private* dataset follow the same rules, except that an anonymous caller is told
the dataset does not exist (404), so that private datasets do not reveal themselves.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ckanapi
import orjson
import pytest
import requests
from sqlalchemy import select

from support.live_server import LiveServer
from support.uploads import Upload
from support.waiting import wait_until
from tsunagu.bootstrap import action_context
from tsunagu.catalog.models import Dataset
from tsunagu.catalog.revision import bump_revision
from tsunagu.errors import NotFound
from tsunagu.rawjson import serialise_default
from tsunagu.registry import action_names, call_action, is_write_action

ACTORS = ("anonymous", "outsider", "member", "editor", "admin", "other_admin", "sysadmin")
# Role in the target organisation (org A) held by each organisation-bound actor.
ORG_ROLES = {"member": "member", "editor": "editor", "admin": "admin"}

DATASET_WRITERS = frozenset({"editor", "admin", "sysadmin"})
ORG_MANAGERS = frozenset({"admin", "sysadmin"})
SYSADMIN_ONLY = frozenset({"sysadmin"})

CSV = b"\xe5\x90\x8d\xe5\x89\x8d,\xe4\xba\xba\xe5\x8f\xa3\nA,1\n"  # 名前,人口 / A,1
PII_CSV = "氏名,携帯電話\n山田 太郎,090-1234-5678\n佐藤 花子,080-2345-6789\n".encode()
_serial = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


@dataclass
class Actor:
    name: str
    user: str | None
    ckan: ckanapi.RemoteCKAN
    statuses: list[int] = field(default_factory=list)


@dataclass
class Env:
    server: LiveServer
    org_a: str
    org_b: str
    actors: dict[str, Actor]
    victim: str  # a user nobody but the system and a sysadmin may act for

    def act(self, name: str, data: dict[str, Any]) -> Any:
        # Through JSON, as a client would see it (package_show may answer with an orjson.Fragment).
        return orjson.loads(orjson.dumps(self.server.act(name, data), default=serialise_default))

    def exists(self, name: str, data: dict[str, Any]) -> bool:
        try:
            self.act(name, data)
        except NotFound:
            return False
        return True


def _actor(server: LiveServer, name: str, user: str | None, token: str | None) -> Actor:
    ckan = server.ckan(token)
    actor = Actor(name=name, user=user, ckan=ckan)
    # RemoteCKAN accepts any requests.Session; this one records each HTTP status it sees.
    session = requests.Session()
    session.hooks["response"].append(lambda r, *_a, **_k: actor.statuses.append(r.status_code))
    ckan.session = session
    return actor


@pytest.fixture(scope="module")
def env(server: LiveServer) -> Env:
    org_a, org_b = "matrix-org-a", "matrix-org-b"
    for org in (org_a, org_b):
        server.act("organization_create", {"name": org, "title": f"組織 {org}"})
    actors = {"anonymous": _actor(server, "anonymous", None, None)}
    for name in ACTORS[1:]:
        user = f"mx-{name.replace('_', '-')}"
        token = server.make_user(user, sysadmin=name == "sysadmin")
        actors[name] = _actor(server, name, user, token)
    for name, role in ORG_ROLES.items():
        server.act(
            "organization_member_create", {"id": org_a, "username": f"mx-{name}", "role": role}
        )
    server.act(
        "organization_member_create", {"id": org_b, "username": "mx-other-admin", "role": "admin"}
    )
    server.act(
        "user_create",
        {"name": "mx-victim", "email": "victim@example.jp", "password": "pw-victim-0000"},
    )
    return Env(server=server, org_a=org_a, org_b=org_b, actors=actors, victim="mx-victim")


# -- fresh targets, made as the system ----------------------------------------------------------


def fresh_dataset(env: Env) -> dict[str, Any]:
    pkg = env.act(
        "package_create",
        {
            "name": unique("mx-ds"),
            "title": "変更前",
            "owner_org": env.org_a,
            "resources": [{"url": "https://example.jp/before.csv", "name": "変更前"}],
        },
    )
    return {"id": pkg["id"], "name": pkg["name"], "resource_id": pkg["resources"][0]["id"]}


def fresh_org(env: Env) -> dict[str, Any]:
    """A new organisation where member/editor/admin hold the same roles as in org A."""
    name = unique("mx-org")
    env.act("organization_create", {"name": name, "title": "変更前"})
    for actor, role in ORG_ROLES.items():
        env.act("organization_member_create", {"id": name, "username": f"mx-{actor}", "role": role})
    return {"id": name}


def fresh_group(env: Env) -> dict[str, Any]:
    name = unique("mx-group")
    env.act("group_create", {"name": name, "title": "変更前"})
    return {"id": name}


def fresh_name(_env: Env) -> dict[str, Any]:
    return {"name": unique("mx-new")}


def victim_token(env: Env) -> dict[str, Any]:
    token = env.act("api_token_create", {"user": env.victim, "name": unique("victim-token")})
    return {"jti": token["id"]}


def fresh_table(env: Env) -> dict[str, Any]:
    """A dataset with a datastore table made through the API (no file, so no ingest job)."""
    ctx = fresh_dataset(env)
    table = env.act(
        "datastore_create",
        {
            "resource": {"package_id": ctx["id"], "name": "表"},
            "fields": [{"id": "値", "type": "int"}],
            "records": [{"値": 1}],
        },
    )
    return {**ctx, "table_id": table["resource_id"]}


def ingested_upload(env: Env) -> dict[str, Any]:
    """A dataset whose uploaded CSV has been ingested; remembers that job."""
    ctx = fresh_dataset(env)
    with action_context(env.server.services, ignore_auth=True) as context:
        resource = call_action(
            "resource_create",
            context,
            {"package_id": ctx["id"], "name": "表", "upload": Upload("t.csv", io.BytesIO(CSV))},
        )
    job = wait_for_ingest(env, resource["id"])
    return {**ctx, "upload_id": resource["id"], "job_id": job}


def wait_for_ingest(env: Env, resource_id: str) -> str:
    status = wait_until(
        lambda: env.act("datastore_ingest_status", {"resource_id": resource_id}),
        f"the ingest of {resource_id} to finish",
        until=lambda s: s["status"] in ("complete", "error"),
    )
    return str(status["job_id"])


def checked_upload(env: Env) -> dict[str, Any]:
    """An ingested upload whose quality check has run; remembers when."""
    ctx = ingested_upload(env)
    checked = wait_until(
        lambda: env.act("resource_validation_show", {"id": ctx["upload_id"]}).get("checked"),
        f"the quality check of {ctx['upload_id']}",
    )
    return {**ctx, "checked": checked}


def blocked_public_upload(env: Env) -> dict[str, Any]:
    """A public dataset holding an upload the personal-data guard flags. The guard refuses to
    make such a dataset public, so the system flips the flag directly, as a stand-in for data
    published before the guard existed."""
    ctx = fresh_dataset(env)
    env.act("package_patch", {"id": ctx["id"], "private": True})
    with action_context(env.server.services, ignore_auth=True) as context:
        resource = call_action(
            "resource_create",
            context,
            {
                "package_id": ctx["id"],
                "name": "名簿",
                "upload": Upload("p.csv", io.BytesIO(PII_CSV)),
            },
        )
        dataset = context.session.get(Dataset, ctx["id"])
        assert dataset is not None
        dataset.private = False
        dataset.revision = bump_revision(context.session)
    return {**ctx, "upload_id": resource["id"]}


def pii_overridden(env: Env, ctx: dict[str, Any]) -> bool:
    shown = env.act("resource_validation_show", {"id": ctx["upload_id"]})
    return bool((shown.get("pii") or {}).get("override"))


def latest_job(env: Env, ctx: dict[str, Any]) -> str:
    return str(env.act("datastore_ingest_status", {"resource_id": ctx["upload_id"]})["job_id"])


def table_count(env: Env, ctx: dict[str, Any]) -> int:
    return int(env.act("datastore_info", {"id": ctx["table_id"]})["meta"]["count"])


# -- how to read back whether the write happened ------------------------------------------------


def dataset_title(env: Env, ctx: dict[str, Any]) -> str:
    return str(env.act("package_show", {"id": ctx["id"]})["title"])


def resource_name(env: Env, ctx: dict[str, Any]) -> str:
    return str(env.act("resource_show", {"id": ctx["resource_id"]})["name"])


def org_members(env: Env, org: str) -> dict[str, str]:
    users = env.act("organization_show", {"id": org, "include_users": True})["users"]
    return {u["name"]: u["capacity"] for u in users}


def victim_token_names(env: Env) -> set[str]:
    return {t["name"] for t in env.act("api_token_list", {"user": env.victim})}


def victim_token_ids(env: Env) -> set[str]:
    return {t["id"] for t in env.act("api_token_list", {"user": env.victim})}


def victim_fullname(env: Env) -> str:
    return str(env.act("user_show", {"id": env.victim})["fullname"])


def fresh_user(env: Env) -> dict[str, Any]:
    name = unique("mx-user")
    env.act("user_create", {"name": name, "email": f"{name}@example.jp", "password": "pw-0000-x"})
    return {"id": name}


def fresh_invitation(env: Env) -> dict[str, Any]:
    """An organisation (roles as in org A) and an address nobody has used yet."""
    return {**fresh_org(env), "email": f"{unique('mx-invitee')}@example.jp"}


def invited(env: Env, ctx: dict[str, Any]) -> bool:
    """A pending user with the address exists and belongs to the organisation."""
    users = env.act("user_list", {"email": ctx["email"]})
    members = org_members(env, ctx["id"])
    return any(u["state"] == "pending" and u["name"] in members for u in users)


@dataclass(frozen=True)
class Case:
    allowed: frozenset[str]
    setup: Callable[[Env], dict[str, Any]]
    call: Callable[[ckanapi.RemoteCKAN, Env, dict[str, Any]], Any]
    done: Callable[[Env, dict[str, Any]], bool]  # did the write take effect?


CASES: dict[str, Case] = {
    "package_create": Case(
        DATASET_WRITERS,
        fresh_name,
        lambda c, e, x: c.action.package_create(name=x["name"], title="新規", owner_org=e.org_a),
        lambda e, x: e.exists("package_show", {"id": x["name"]}),
    ),
    "package_update": Case(
        DATASET_WRITERS,
        fresh_dataset,
        lambda c, e, x: c.action.package_update(
            id=x["id"], name=x["name"], title="変更後", owner_org=e.org_a
        ),
        lambda e, x: dataset_title(e, x) == "変更後",
    ),
    "package_patch": Case(
        DATASET_WRITERS,
        fresh_dataset,
        lambda c, e, x: c.action.package_patch(id=x["id"], title="変更後"),
        lambda e, x: dataset_title(e, x) == "変更後",
    ),
    "package_delete": Case(
        DATASET_WRITERS,
        fresh_dataset,
        lambda c, e, x: c.action.package_delete(id=x["id"]),
        lambda e, x: e.act("package_show", {"id": x["id"]})["state"] == "deleted",
    ),
    "resource_create": Case(
        DATASET_WRITERS,
        fresh_dataset,
        lambda c, e, x: c.action.resource_create(
            package_id=x["id"], name="追加", upload=("x.csv", io.BytesIO(CSV))
        ),
        lambda e, x: e.act("package_show", {"id": x["id"]})["num_resources"] == 2,
    ),
    "resource_update": Case(
        DATASET_WRITERS,
        fresh_dataset,
        lambda c, e, x: c.action.resource_update(
            id=x["resource_id"], name="変更後", url="https://example.jp/after.csv"
        ),
        lambda e, x: resource_name(e, x) == "変更後",
    ),
    "resource_patch": Case(
        DATASET_WRITERS,
        fresh_dataset,
        lambda c, e, x: c.action.resource_patch(id=x["resource_id"], name="変更後"),
        lambda e, x: resource_name(e, x) == "変更後",
    ),
    "resource_delete": Case(
        DATASET_WRITERS,
        fresh_dataset,
        lambda c, e, x: c.action.resource_delete(id=x["resource_id"]),
        lambda e, x: not e.exists("resource_show", {"id": x["resource_id"]}),
    ),
    "organization_create": Case(
        SYSADMIN_ONLY,
        fresh_name,
        lambda c, e, x: c.action.organization_create(name=x["name"], title="新しい組織"),
        lambda e, x: e.exists("organization_show", {"id": x["name"]}),
    ),
    "organization_update": Case(
        ORG_MANAGERS,
        fresh_org,
        lambda c, e, x: c.action.organization_update(id=x["id"], title="変更後"),
        lambda e, x: e.act("organization_show", {"id": x["id"]})["title"] == "変更後",
    ),
    "organization_patch": Case(
        ORG_MANAGERS,
        fresh_org,
        lambda c, e, x: c.action.organization_patch(id=x["id"], title="変更後"),
        lambda e, x: e.act("organization_show", {"id": x["id"]})["title"] == "変更後",
    ),
    "organization_member_create": Case(
        ORG_MANAGERS,
        fresh_org,
        lambda c, e, x: c.action.organization_member_create(
            id=x["id"], username=e.victim, role="editor"
        ),
        lambda e, x: org_members(e, x["id"]).get(e.victim) == "editor",
    ),
    "organization_member_delete": Case(
        ORG_MANAGERS,
        fresh_org,
        lambda c, e, x: c.action.organization_member_delete(id=x["id"], username="mx-member"),
        lambda e, x: "mx-member" not in org_members(e, x["id"]),
    ),
    "organization_delete": Case(
        SYSADMIN_ONLY,
        fresh_org,
        lambda c, e, x: c.action.organization_delete(id=x["id"]),
        lambda e, x: not e.exists("organization_show", {"id": x["id"]}),
    ),
    "group_create": Case(
        SYSADMIN_ONLY,
        fresh_name,
        lambda c, e, x: c.action.group_create(name=x["name"], title="新しいグループ"),
        lambda e, x: e.exists("group_show", {"id": x["name"]}),
    ),
    "user_create": Case(
        SYSADMIN_ONLY,
        fresh_name,
        lambda c, e, x: c.action.user_create(
            name=x["name"], email=f"{x['name']}@example.jp", password="pw-new-user-0000"
        ),
        lambda e, x: e.exists("user_show", {"id": x["name"]}),
    ),
    "user_update": Case(
        SYSADMIN_ONLY,  # and the user themself: tests/accounts/test_user_actions.py
        fresh_name,
        lambda c, e, x: c.action.user_update(id=e.victim, fullname=x["name"]),
        lambda e, x: victim_fullname(e) == x["name"],
    ),
    "user_patch": Case(
        SYSADMIN_ONLY,
        fresh_name,
        lambda c, e, x: c.action.user_patch(id=e.victim, fullname=x["name"]),
        lambda e, x: victim_fullname(e) == x["name"],
    ),
    "user_delete": Case(
        SYSADMIN_ONLY,
        fresh_user,
        lambda c, e, x: c.action.user_delete(id=x["id"]),
        lambda e, x: e.act("user_show", {"id": x["id"]})["state"] == "deleted",
    ),
    "user_invite": Case(
        ORG_MANAGERS,
        fresh_invitation,
        lambda c, e, x: c.action.user_invite(email=x["email"], group_id=x["id"], role="member"),
        invited,
    ),
    "api_token_create": Case(
        SYSADMIN_ONLY,
        fresh_name,
        lambda c, e, x: c.action.api_token_create(user=e.victim, name=x["name"]),
        lambda e, x: x["name"] in victim_token_names(e),
    ),
    "datastore_create": Case(
        DATASET_WRITERS,
        fresh_dataset,
        lambda c, e, x: c.action.datastore_create(
            resource_id=x["resource_id"], fields=[{"id": "値", "type": "int"}]
        ),
        lambda e, x: e.exists("datastore_info", {"id": x["resource_id"]}),
    ),
    "datastore_upsert": Case(
        DATASET_WRITERS,
        fresh_table,
        lambda c, e, x: c.action.datastore_upsert(
            resource_id=x["table_id"], method="insert", records=[{"値": 2}]
        ),
        lambda e, x: table_count(e, x) == 2,
    ),
    "datastore_delete": Case(
        DATASET_WRITERS,
        fresh_table,
        lambda c, e, x: c.action.datastore_delete(resource_id=x["table_id"]),
        lambda e, x: not e.exists("datastore_info", {"id": x["table_id"]}),
    ),
    "datastore_dictionary_update": Case(
        DATASET_WRITERS,
        fresh_table,
        lambda c, e, x: c.action.datastore_dictionary_update(
            resource_id=x["table_id"], fields=[{"id": "値", "info": {"label": "変更後"}}]
        ),
        lambda e, x: (
            e.act("datastore_info", {"id": x["table_id"]})["fields"][0]["info"].get("label")
            == "変更後"
        ),
    ),
    "datastore_ingest": Case(
        DATASET_WRITERS,
        ingested_upload,
        lambda c, e, x: c.action.datastore_ingest(resource_id=x["upload_id"]),
        lambda e, x: latest_job(e, x) != x["job_id"],
    ),
    "xloader_submit": Case(
        DATASET_WRITERS,
        ingested_upload,
        lambda c, e, x: c.action.xloader_submit(resource_id=x["upload_id"]),
        lambda e, x: latest_job(e, x) != x["job_id"],
    ),
    "resource_validation_run": Case(
        DATASET_WRITERS,
        checked_upload,
        lambda c, e, x: c.action.resource_validation_run(id=x["upload_id"]),
        lambda e, x: (
            e.act("resource_validation_show", {"id": x["upload_id"]})["checked"] != x["checked"]
        ),
    ),
    "resource_autofix": Case(
        DATASET_WRITERS,
        ingested_upload,
        lambda c, e, x: c.action.resource_autofix(id=x["upload_id"]),
        lambda e, x: e.act("package_show", {"id": x["id"]})["num_resources"] == 3,
    ),
    "resource_pii_override": Case(
        ORG_MANAGERS,
        blocked_public_upload,
        lambda c, e, x: c.action.resource_pii_override(
            id=x["upload_id"], reason="本人の同意を得て公開する名簿です"
        ),
        pii_overridden,
    ),
    "api_token_revoke": Case(
        SYSADMIN_ONLY,
        victim_token,
        lambda c, e, x: c.action.api_token_revoke(jti=x["jti"]),
        lambda e, x: x["jti"] not in victim_token_ids(e),
    ),
}


# -- resource views, revisions, background jobs and site settings ---------------------------


def two_resources(env: Env) -> dict[str, Any]:
    ctx = fresh_dataset(env)
    second = env.act(
        "resource_create",
        {"package_id": ctx["id"], "url": "https://example.jp/2.csv", "name": "二"},
    )
    return {**ctx, "second_id": second["id"]}


def first_resource_id(env: Env, ctx: dict[str, Any]) -> str:
    return str(env.act("package_show", {"id": ctx["id"]})["resources"][0]["id"])


def image_dataset(env: Env) -> dict[str, Any]:
    pkg = env.act(
        "package_create",
        {
            "name": unique("mx-img"),
            "title": "画像",
            "owner_org": env.org_a,
            "resources": [{"url": "https://example.jp/photo.png", "name": "写真"}],
        },
    )
    return {"id": pkg["id"], "resource_id": pkg["resources"][0]["id"]}


def with_views(env: Env) -> dict[str, Any]:
    ctx = fresh_dataset(env)
    kind = unique("mx-view-type")
    views = [
        env.act(
            "resource_view_create",
            {"resource_id": ctx["resource_id"], "view_type": kind, "title": title},
        )
        for title in ("変更前", "二番目")
    ]
    return {**ctx, "view_id": views[0]["id"], "second_view": views[1]["id"], "view_type": kind}


def views(env: Env, ctx: dict[str, Any]) -> list[dict[str, Any]]:
    return list(env.act("resource_view_list", {"id": ctx["resource_id"]}))


def pending_job(env: Env) -> dict[str, Any]:
    """A job waiting in a queue no worker serves, so it stays pending until cancelled."""
    from tsunagu.jobs.models import Job

    queue = unique("mx-queue")
    with env.server.services.sessions() as session:
        job = Job(kind=queue, title="待機中", status="pending", options={}, progress={})
        session.add(job)
        session.commit()
        return {"job_id": job.id, "queue": queue}


def job_status(env: Env, ctx: dict[str, Any]) -> str:
    return str(env.act("job_show", {"id": ctx["job_id"]})["status"])


CASES.update(
    {
        "package_revise": Case(
            DATASET_WRITERS,
            fresh_dataset,
            lambda c, e, x: c.action.package_revise(match__id=x["id"], update__title="変更後"),
            lambda e, x: dataset_title(e, x) == "変更後",
        ),
        "package_resource_reorder": Case(
            DATASET_WRITERS,
            two_resources,
            lambda c, e, x: c.action.package_resource_reorder(id=x["id"], order=[x["second_id"]]),
            lambda e, x: first_resource_id(e, x) == x["second_id"],
        ),
        "resource_view_create": Case(
            DATASET_WRITERS,
            fresh_dataset,
            lambda c, e, x: c.action.resource_view_create(
                resource_id=x["resource_id"], view_type="image_view", title="新しいビュー"
            ),
            lambda e, x: [v["title"] for v in views(e, x)] == ["新しいビュー"],
        ),
        "resource_view_update": Case(
            DATASET_WRITERS,
            with_views,
            lambda c, e, x: c.action.resource_view_update(id=x["view_id"], title="変更後"),
            lambda e, x: views(e, x)[0]["title"] == "変更後",
        ),
        "resource_view_delete": Case(
            DATASET_WRITERS,
            with_views,
            lambda c, e, x: c.action.resource_view_delete(id=x["view_id"]),
            lambda e, x: x["view_id"] not in {v["id"] for v in views(e, x)},
        ),
        "resource_view_reorder": Case(
            DATASET_WRITERS,
            with_views,
            lambda c, e, x: c.action.resource_view_reorder(
                id=x["resource_id"], order=[x["second_view"]]
            ),
            lambda e, x: views(e, x)[0]["id"] == x["second_view"],
        ),
        "resource_view_clear": Case(
            SYSADMIN_ONLY,
            with_views,
            lambda c, e, x: c.action.resource_view_clear(view_types=[x["view_type"]]),
            lambda e, x: views(e, x) == [],
        ),
        "resource_create_default_resource_views": Case(
            DATASET_WRITERS,
            image_dataset,
            lambda c, e, x: c.action.resource_create_default_resource_views(
                resource={"id": x["resource_id"]}
            ),
            lambda e, x: [v["view_type"] for v in views(e, x)] == ["image_view"],
        ),
        "package_create_default_resource_views": Case(
            DATASET_WRITERS,
            image_dataset,
            lambda c, e, x: c.action.package_create_default_resource_views(package={"id": x["id"]}),
            lambda e, x: [v["view_type"] for v in views(e, x)] == ["image_view"],
        ),
        "job_cancel": Case(
            SYSADMIN_ONLY,
            pending_job,
            lambda c, e, x: c.action.job_cancel(id=x["job_id"]),
            lambda e, x: job_status(e, x) == "cancelled",
        ),
        "job_clear": Case(
            SYSADMIN_ONLY,
            pending_job,
            lambda c, e, x: c.action.job_clear(queues=[x["queue"]]),
            lambda e, x: job_status(e, x) == "cancelled",
        ),
        "config_option_update": Case(
            SYSADMIN_ONLY,
            fresh_name,
            lambda c, e, x: c.action.config_option_update(**{"ckan.site_intro_text": x["name"]}),
            lambda e, x: e.act("config_option_show", {"key": "ckan.site_intro_text"}) == x["name"],
        ),
    }
)


# -- tag vocabularies (sysadmins only, as in CKAN) ---------------------------------------------


def fresh_vocabulary(env: Env) -> dict[str, Any]:
    vocabulary = env.act(
        "vocabulary_create", {"name": unique("mx-vocab"), "tags": [{"name": "毎月"}]}
    )
    return {"id": vocabulary["id"], "name": vocabulary["name"]}


def vocabulary_tags(env: Env, ctx: dict[str, Any]) -> list[str]:
    return [t["name"] for t in env.act("vocabulary_show", {"id": ctx["id"]})["tags"]]


CASES.update(
    {
        "vocabulary_create": Case(
            SYSADMIN_ONLY,
            fresh_name,
            lambda c, e, x: c.action.vocabulary_create(name=x["name"]),
            lambda e, x: e.exists("vocabulary_show", {"id": x["name"]}),
        ),
        "vocabulary_update": Case(
            SYSADMIN_ONLY,
            fresh_vocabulary,
            lambda c, e, x: c.action.vocabulary_update(id=x["id"], tags=[{"name": "毎年"}]),
            lambda e, x: vocabulary_tags(e, x) == ["毎年"],
        ),
        "vocabulary_delete": Case(
            SYSADMIN_ONLY,
            fresh_vocabulary,
            lambda c, e, x: c.action.vocabulary_delete(id=x["id"]),
            lambda e, x: not e.exists("vocabulary_show", {"id": x["id"]}),
        ),
        "tag_create": Case(
            SYSADMIN_ONLY,
            fresh_vocabulary,
            lambda c, e, x: c.action.tag_create(name="毎週", vocabulary_id=x["id"]),
            lambda e, x: "毎週" in vocabulary_tags(e, x),
        ),
        "tag_delete": Case(
            SYSADMIN_ONLY,
            fresh_vocabulary,
            lambda c, e, x: c.action.tag_delete(id="毎月", vocabulary_id=x["id"]),
            lambda e, x: "毎月" not in vocabulary_tags(e, x),
        ),
    }
)


# -- following, activity and the e-mail digest -------------------------------------------------

SIGNED_IN = frozenset(ACTORS) - {"anonymous"}


def _as_each_actor(env: Env, action: str, ref: str) -> None:
    """Every signed-in actor follows ``ref`` (set-up, acting as each user, not over HTTP)."""
    from sqlalchemy import select

    from tsunagu.accounts.models import User

    for actor in env.actors.values():
        if actor.user is None:
            continue
        with action_context(env.server.services) as context:
            context.user = context.session.scalar(select(User).where(User.name == actor.user))
            call_action(action, context, {"id": ref})


def follow_target_user(env: Env) -> dict[str, Any]:
    name = unique("mx-followed")
    env.act("user_create", {"name": name, "email": f"{name}@example.jp", "password": "pw-0000-x"})
    return {"id": name}


def followed_by_all(setup: Callable[[Env], dict[str, Any]], action: str) -> Callable[[Env], Any]:
    def make(env: Env) -> dict[str, Any]:
        ctx = setup(env)
        _as_each_actor(env, action, ctx["id"])
        return ctx

    return make


def followers(env: Env, action: str, ctx: dict[str, Any]) -> int:
    return int(env.act(action, {"id": ctx["id"]}))


def fresh_dashboards(env: Env) -> dict[str, Any]:
    from sqlalchemy import update

    from tsunagu.accounts.models import User

    with env.server.services.sessions() as session:
        session.execute(update(User).values(dashboard_viewed=None))
        session.commit()
    return {}


def dashboard_marked(env: Env, _ctx: dict[str, Any]) -> bool:
    from sqlalchemy import func, select

    from tsunagu.accounts.models import User

    with env.server.services.sessions() as session:
        marked = select(func.count()).where(User.dashboard_viewed.is_not(None))
        return bool(session.scalar(marked))


def digest_reader(env: Env) -> dict[str, Any]:
    """A user who opted in to the digest and follows a new dataset."""
    from sqlalchemy import select

    from tsunagu.accounts.models import User

    ctx = fresh_dataset(env)
    name = unique("mx-reader")
    env.act("user_create", {"name": name, "email": f"{name}@example.jp", "password": "pw-0000-x"})
    with action_context(env.server.services) as context:
        context.user = context.session.scalar(select(User).where(User.name == name))
        assert context.user is not None
        context.user.email_notifications = True
        call_action("follow_dataset", context, {"id": ctx["id"]})
    return {**ctx, "reader": name}


def digest_recorded(env: Env, ctx: dict[str, Any]) -> bool:
    from sqlalchemy import select

    from tsunagu.accounts.models import User

    with env.server.services.sessions() as session:
        sent = session.scalar(select(User.digest_sent).where(User.name == ctx["reader"]))
        return sent is not None


CASES.update(
    {
        "follow_dataset": Case(
            SIGNED_IN,
            fresh_dataset,
            lambda c, e, x: c.action.follow_dataset(id=x["id"]),
            lambda e, x: followers(e, "dataset_follower_count", x) == 1,
        ),
        "follow_group": Case(
            SIGNED_IN,
            fresh_group,
            lambda c, e, x: c.action.follow_group(id=x["id"]),
            lambda e, x: followers(e, "group_follower_count", x) == 1,
        ),
        "follow_user": Case(
            SIGNED_IN,
            follow_target_user,
            lambda c, e, x: c.action.follow_user(id=x["id"]),
            lambda e, x: followers(e, "user_follower_count", x) == 1,
        ),
        "unfollow_dataset": Case(
            SIGNED_IN,
            followed_by_all(fresh_dataset, "follow_dataset"),
            lambda c, e, x: c.action.unfollow_dataset(id=x["id"]),
            lambda e, x: followers(e, "dataset_follower_count", x) < len(SIGNED_IN),
        ),
        "unfollow_group": Case(
            SIGNED_IN,
            followed_by_all(fresh_group, "follow_group"),
            lambda c, e, x: c.action.unfollow_group(id=x["id"]),
            lambda e, x: followers(e, "group_follower_count", x) < len(SIGNED_IN),
        ),
        "unfollow_user": Case(
            SIGNED_IN,
            followed_by_all(follow_target_user, "follow_user"),
            lambda c, e, x: c.action.unfollow_user(id=x["id"]),
            lambda e, x: followers(e, "user_follower_count", x) < len(SIGNED_IN),
        ),
        "dashboard_mark_activities_old": Case(
            SIGNED_IN,
            fresh_dashboards,
            lambda c, e, x: c.action.dashboard_mark_activities_old(),
            dashboard_marked,
        ),
        "activity_create": Case(
            SYSADMIN_ONLY,
            fresh_dataset,
            lambda c, e, x: c.action.activity_create(
                user_id=e.victim, object_id=x["id"], activity_type="changed package"
            ),
            lambda e, x: any(
                a["activity_type"] == "changed package"
                for a in e.act("package_activity_list", {"id": x["id"]})
            ),
        ),
        "send_email_notifications": Case(
            SYSADMIN_ONLY,
            digest_reader,
            lambda c, e, x: c.action.send_email_notifications(),
            digest_recorded,
        ),
    }
)


# -- members, collaborators, bulk changes and purges --------------------------------------------

# Anyone who may curate a group (any role in it) or edit the dataset may put it in a group.
GROUP_CURATORS = frozenset({"member", "editor", "admin", "sysadmin"})


def roles_group(env: Env) -> dict[str, Any]:
    """A new group where member/editor/admin hold the same roles as in org A."""
    ctx = fresh_group(env)
    for actor, role in ORG_ROLES.items():
        env.act("group_member_create", {"id": ctx["id"], "username": f"mx-{actor}", "role": role})
    return ctx


def group_users(env: Env, group: str) -> dict[str, str]:
    rows = env.act("member_list", {"id": group, "object_type": "user"})
    names = {env.act("user_show", {"id": u})["id"]: u for u in ("mx-victim", "mx-member")}
    return {names.get(user_id, user_id): capacity for user_id, _, capacity in rows}


def dataset_and_group(env: Env) -> dict[str, Any]:
    return {**fresh_dataset(env), "group": roles_group(env)["id"]}


def dataset_in_group(env: Env) -> dict[str, Any]:
    ctx = dataset_and_group(env)
    env.act(
        "member_create",
        {"id": ctx["group"], "object": ctx["id"], "object_type": "package", "capacity": "public"},
    )
    return ctx


def in_group(env: Env, ctx: dict[str, Any]) -> bool:
    return ctx["group"] in {g["name"] for g in env.act("package_show", {"id": ctx["id"]})["groups"]}


def victim_collaborates(env: Env) -> dict[str, Any]:
    ctx = fresh_dataset(env)
    env.act(
        "package_collaborator_create",
        {"id": ctx["id"], "user_id": env.victim, "capacity": "editor"},
    )
    return ctx


def collaborators(env: Env, ctx: dict[str, Any]) -> list[str]:
    return [c["capacity"] for c in env.act("package_collaborator_list", {"id": ctx["id"]})]


def private_dataset(env: Env) -> dict[str, Any]:
    ctx = fresh_dataset(env)
    env.act("package_patch", {"id": ctx["id"], "private": True})
    return ctx


def shown_field(env: Env, ctx: dict[str, Any], field: str) -> Any:
    return env.act("package_show", {"id": ctx["id"]})[field]


CASES.update(
    {
        "group_update": Case(
            ORG_MANAGERS,
            roles_group,
            lambda c, e, x: c.action.group_update(id=x["id"], title="変更後"),
            lambda e, x: e.act("group_show", {"id": x["id"]})["title"] == "変更後",
        ),
        "group_patch": Case(
            ORG_MANAGERS,
            roles_group,
            lambda c, e, x: c.action.group_patch(id=x["id"], title="変更後"),
            lambda e, x: e.act("group_show", {"id": x["id"]})["title"] == "変更後",
        ),
        "group_delete": Case(
            ORG_MANAGERS,
            roles_group,
            lambda c, e, x: c.action.group_delete(id=x["id"]),
            lambda e, x: not e.exists("group_show", {"id": x["id"]}),
        ),
        "group_member_create": Case(
            ORG_MANAGERS,
            roles_group,
            lambda c, e, x: c.action.group_member_create(
                id=x["id"], username=e.victim, role="editor"
            ),
            lambda e, x: group_users(e, x["id"]).get(e.victim) == "editor",
        ),
        "group_member_delete": Case(
            ORG_MANAGERS,
            roles_group,
            lambda c, e, x: c.action.group_member_delete(id=x["id"], username="mx-member"),
            lambda e, x: "mx-member" not in group_users(e, x["id"]),
        ),
        "member_create": Case(
            GROUP_CURATORS,
            dataset_and_group,
            lambda c, e, x: c.action.member_create(
                id=x["group"], object=x["id"], object_type="package", capacity="public"
            ),
            in_group,
        ),
        "member_delete": Case(
            GROUP_CURATORS,
            dataset_in_group,
            lambda c, e, x: c.action.member_delete(
                id=x["group"], object=x["id"], object_type="package"
            ),
            lambda e, x: not in_group(e, x),
        ),
        "package_collaborator_create": Case(
            ORG_MANAGERS,
            fresh_dataset,
            lambda c, e, x: c.action.package_collaborator_create(
                id=x["id"], user_id=e.victim, capacity="editor"
            ),
            lambda e, x: collaborators(e, x) == ["editor"],
        ),
        "package_collaborator_delete": Case(
            ORG_MANAGERS,
            victim_collaborates,
            lambda c, e, x: c.action.package_collaborator_delete(id=x["id"], user_id=e.victim),
            lambda e, x: collaborators(e, x) == [],
        ),
        "package_owner_org_update": Case(
            SYSADMIN_ONLY,
            fresh_dataset,
            lambda c, e, x: c.action.package_owner_org_update(id=x["id"], organization_id=e.org_b),
            lambda e, x: shown_field(e, x, "organization")["name"] == e.org_b,
        ),
        "bulk_update_private": Case(
            ORG_MANAGERS,
            fresh_dataset,
            lambda c, e, x: c.action.bulk_update_private(datasets=[x["id"]], org_id=e.org_a),
            lambda e, x: shown_field(e, x, "private") is True,
        ),
        "bulk_update_public": Case(
            ORG_MANAGERS,
            private_dataset,
            lambda c, e, x: c.action.bulk_update_public(datasets=[x["id"]], org_id=e.org_a),
            lambda e, x: shown_field(e, x, "private") is False,
        ),
        "bulk_update_delete": Case(
            ORG_MANAGERS,
            fresh_dataset,
            lambda c, e, x: c.action.bulk_update_delete(datasets=[x["id"]], org_id=e.org_a),
            lambda e, x: shown_field(e, x, "state") == "deleted",
        ),
        "dataset_purge": Case(
            SYSADMIN_ONLY,
            fresh_dataset,
            lambda c, e, x: c.action.dataset_purge(id=x["id"]),
            lambda e, x: not e.exists("package_show", {"id": x["id"]}),
        ),
        "group_purge": Case(
            SYSADMIN_ONLY,
            roles_group,
            lambda c, e, x: c.action.group_purge(id=x["id"]),
            lambda e, x: not e.exists("group_show", {"id": x["id"]}),
        ),
        "organization_purge": Case(
            SYSADMIN_ONLY,
            fresh_org,
            lambda c, e, x: c.action.organization_purge(id=x["id"]),
            lambda e, x: not e.exists("organization_show", {"id": x["id"]}),
        ),
    }
)


# -- the staff workspace's bulk actions: a caller who may change none of the selection gets 403 --


def dataset_and_target_org(env: Env) -> dict[str, Any]:
    """A dataset in org A and a new organisation (roles as in org A) to move it to."""
    return {**fresh_dataset(env), "target": fresh_org(env)["id"]}


def dataset_and_plain_group(env: Env) -> dict[str, Any]:
    return {**fresh_dataset(env), "group": fresh_group(env)["id"]}


def quality_jobs(env: Env, resource_id: str) -> set[str]:
    jobs = env.act(
        "job_list",
        {"queues": ["quality"], "status": ["pending", "running", "complete", "error", "cancelled"]},
    )
    return {j["id"] for j in jobs if j["object_id"] == resource_id}


def checked_upload_and_jobs(env: Env) -> dict[str, Any]:
    ctx = checked_upload(env)
    return {**ctx, "jobs": quality_jobs(env, ctx["upload_id"])}


CASES.update(
    {
        "bulk_update_owner_org": Case(
            DATASET_WRITERS,
            dataset_and_target_org,
            lambda c, e, x: c.action.bulk_update_owner_org(
                datasets=[x["id"]], owner_org=x["target"]
            ),
            lambda e, x: shown_field(e, x, "organization")["name"] == x["target"],
        ),
        "bulk_update_groups": Case(
            DATASET_WRITERS,
            dataset_and_plain_group,
            lambda c, e, x: c.action.bulk_update_groups(datasets=[x["id"]], add=[x["group"]]),
            in_group,
        ),
        "bulk_update_tags": Case(
            DATASET_WRITERS,
            fresh_dataset,
            lambda c, e, x: c.action.bulk_update_tags(datasets=[x["id"]], add=["mx-bulk"]),
            lambda e, x: "mx-bulk" in {t["name"] for t in shown_field(e, x, "tags")},
        ),
        "bulk_validation_run": Case(
            DATASET_WRITERS,
            checked_upload_and_jobs,
            lambda c, e, x: c.action.bulk_validation_run(datasets=[x["id"]]),
            lambda e, x: bool(quality_jobs(e, x["upload_id"]) - x["jobs"]),
        ),
    }
)


# -- many files at once: editors of the batch's organisation (tests/api/test_batch_upload.py) ----


def batch_file(_env: Env) -> dict[str, Any]:
    return {"file": unique("mx-batch") + ".csv"}


def previewed_batch(env: Env) -> dict[str, Any]:
    """A batch of one file for org A, previewed as the system."""
    name = unique("mx-batch") + ".csv"
    batch = env.act(
        "batch_upload_preview",
        {"owner_org": env.org_a, "files": [Upload(name, io.BytesIO(CSV))]},
    )
    return {"id": batch["id"], "file": name}


def batch_holding(env: Env, name: str) -> bool:
    from sqlalchemy import select

    from tsunagu.workspace.batch.models import UploadBatch

    with env.server.services.sessions() as session:
        batches = session.scalars(select(UploadBatch)).all()
        return any(f["name"] == name for b in batches for f in (b.plan or {}).get("files", []))


def batch_state(env: Env, ctx: dict[str, Any]) -> str:
    return str(env.act("batch_status", {"id": ctx["id"]})["state"])


CASES.update(
    {
        "batch_upload_preview": Case(
            DATASET_WRITERS,
            batch_file,
            lambda c, e, x: c.action.batch_upload_preview(
                owner_org=e.org_a, file1=(x["file"], io.BytesIO(CSV))
            ),
            lambda e, x: batch_holding(e, x["file"]),
        ),
        "batch_upload_apply": Case(
            DATASET_WRITERS,
            previewed_batch,
            lambda c, e, x: c.action.batch_upload_apply(id=x["id"]),
            lambda e, x: batch_state(e, x) != "preview",
        ),
        "batch_upload_discard": Case(
            DATASET_WRITERS,
            previewed_batch,
            lambda c, e, x: c.action.batch_upload_discard(id=x["id"]),
            lambda e, x: batch_state(e, x) == "discarded",
        ),
    }
)


def attention_minimum(env: Env, ctx: dict[str, Any]) -> int:
    shown = env.act("staff_attention_list", {"organization": ctx["id"], "limit": 0})
    return int(shown["organizations"][0]["min_stars"])


CASES.update(
    {
        "organization_attention_update": Case(
            ORG_MANAGERS,
            fresh_org,
            lambda c, e, x: c.action.organization_attention_update(id=x["id"], min_stars=3),
            lambda e, x: attention_minimum(e, x) == 3,
        ),
    }
)


# -- harvest sources: admins of the source's organisation (tests/federation/test_harvest_rights.py)


def harvest_source(env: Env) -> dict[str, Any]:
    """A manual source of an organisation where the actors hold their org-A roles; its URL
    never answers, so a job started by a cell fails at once."""
    org = fresh_org(env)
    name = unique("mx-harvest")
    env.act(
        "harvest_source_create",
        {
            "name": name,
            "title": "変更前",
            "url": f"https://ckan.example.invalid/{name}",
            "source_type": "ckan",
            "owner_org": org["id"],
        },
    )
    return {"id": name, "org": org["id"]}


def harvest_source_to_make(env: Env) -> dict[str, Any]:
    return {**fresh_org(env), "name": unique("mx-harvest")}


def running_harvest(env: Env) -> dict[str, Any]:
    """A source whose job is running in some other process (its heartbeat is fresh)."""
    from tsunagu.harvest.jobs import queue_job
    from tsunagu.harvest.models import HarvestSource
    from tsunagu.storage.types import utcnow

    ctx = harvest_source(env)
    with env.server.services.sessions() as session:
        source = session.scalar(select(HarvestSource).where(HarvestSource.name == ctx["id"]))
        job = queue_job(session, source, full=False, requested_by=None)
        assert job is not None
        job.status, job.started, job.heartbeat = "running", utcnow(), utcnow()
        session.commit()
        return {**ctx, "job": job.id}


def harvest_jobs(env: Env, ctx: dict[str, Any]) -> list[dict[str, Any]]:
    return list(env.act("harvest_job_list", {"source_id": ctx["id"]}))


CASES.update(
    {
        "harvest_source_create": Case(
            ORG_MANAGERS,
            harvest_source_to_make,
            lambda c, e, x: c.action.harvest_source_create(
                name=x["name"],
                url=f"https://ckan.example.invalid/{x['name']}",
                source_type="ckan",
                owner_org=x["id"],
            ),
            lambda e, x: e.exists("harvest_source_show", {"id": x["name"]}),
        ),
        "harvest_source_update": Case(
            ORG_MANAGERS,
            harvest_source,
            lambda c, e, x: c.action.harvest_source_update(id=x["id"], title="変更後"),
            lambda e, x: e.act("harvest_source_show", {"id": x["id"]})["title"] == "変更後",
        ),
        "harvest_source_patch": Case(
            ORG_MANAGERS,
            harvest_source,
            lambda c, e, x: c.action.harvest_source_patch(id=x["id"], title="変更後"),
            lambda e, x: e.act("harvest_source_show", {"id": x["id"]})["title"] == "変更後",
        ),
        "harvest_source_delete": Case(
            ORG_MANAGERS,
            harvest_source,
            lambda c, e, x: c.action.harvest_source_delete(id=x["id"]),
            lambda e, x: e.act("harvest_source_show", {"id": x["id"]})["state"] == "deleted",
        ),
        "harvest_run": Case(
            ORG_MANAGERS,
            harvest_source,
            lambda c, e, x: c.action.harvest_run(id=x["id"]),
            lambda e, x: bool(harvest_jobs(e, x)),
        ),
        "harvest_job_create": Case(
            ORG_MANAGERS,
            harvest_source,
            lambda c, e, x: c.action.harvest_job_create(source_id=x["id"]),
            lambda e, x: bool(harvest_jobs(e, x)),
        ),
        "harvest_job_abort": Case(
            ORG_MANAGERS,
            running_harvest,
            lambda c, e, x: c.action.harvest_job_abort(id=x["job"]),
            lambda e, x: harvest_jobs(e, x)[0]["cancel_requested"],
        ),
    }
)


# -- live catalog metrics: storing today's snapshot is for sysadmins (tests/metrics/) ------------


def metric_day_without_job(env: Env) -> dict[str, Any]:
    """Today's snapshot job row removed (test servers run no snapshot scheduler): only a run of
    metric_snapshot_run makes it again."""
    from sqlalchemy import delete

    from tsunagu.jobs.models import Job
    from tsunagu.metrics import job as metric_job
    from tsunagu.metrics.snapshots import today

    job_id = metric_job.job_id(today())
    with env.server.services.sessions() as session:
        session.execute(delete(Job).where(Job.id == job_id))
        session.commit()
    return {"job_id": job_id}


def metric_day_stored(env: Env, ctx: dict[str, Any]) -> bool:
    from tsunagu.jobs.models import Job

    with env.server.services.sessions() as session:
        job = session.get(Job, ctx["job_id"])
        return job is not None and job.status == "complete"


CASES.update(
    {
        "metric_snapshot_run": Case(
            SYSADMIN_ONLY,
            metric_day_without_job,
            lambda c, e, x: c.action.metric_snapshot_run(),
            metric_day_stored,
        ),
    }
)


# -- data requests and 活用事例 (tests/community/): the public posts, the handling organisation's
# editors and admins (and the prefecture's office, sysadmins) answer and moderate ---------------

EVERYONE = frozenset(ACTORS)
SIGNED_IN = frozenset(ACTORS) - {"anonymous"}  # an anonymous API caller has no browser to count


def data_request(env: Env) -> dict[str, Any]:
    """A request assigned to org A (where the actors hold their roles)."""
    made = env.act(
        "data_request_create",
        {"title": unique("mx-request"), "description": "変更前", "organization": env.org_a},
    )
    return {"id": made["id"]}


def data_request_shown(env: Env, ctx: dict[str, Any]) -> dict[str, Any]:
    return dict(env.act("data_request_show", {"id": ctx["id"]}))


def showcase_to_submit(env: Env) -> dict[str, Any]:
    return {**fresh_dataset(env), "showcase": unique("mx-showcase")}


def approved_showcase(env: Env) -> dict[str, Any]:
    """An approved use case built on a fresh public dataset of org A, and a second dataset of
    org A it does not use yet."""
    ctx = showcase_to_submit(env)
    env.act(
        "ckanext_showcase_create",
        {"name": ctx["showcase"], "title": "変更前", "datasets": [ctx["id"]]},
    )
    return {**ctx, "other": fresh_dataset(env)["id"]}


def showcase_shown(env: Env, ctx: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return dict(env.act("ckanext_showcase_show", {"id": ctx["showcase"]}))
    except NotFound:
        return None


def showcase_datasets(env: Env, ctx: dict[str, Any]) -> set[str]:
    shown = showcase_shown(env, ctx)
    return {d["id"] for d in shown["datasets"]} if shown else set()


CASES.update(
    {
        "data_request_create": Case(
            EVERYONE,
            fresh_name,
            lambda c, e, x: c.action.data_request_create(title=x["name"], description="ほしい"),
            lambda e, x: e.act("data_request_list", {"q": x["name"]})["count"] == 1,
        ),
        "data_request_support": Case(
            SIGNED_IN,
            data_request,
            lambda c, e, x: c.action.data_request_support(id=x["id"]),
            lambda e, x: data_request_shown(e, x)["supporters"] == 1,
        ),
        "data_request_update": Case(
            DATASET_WRITERS,
            data_request,
            lambda c, e, x: c.action.data_request_update(id=x["id"], status="reviewing"),
            lambda e, x: data_request_shown(e, x)["status"] == "reviewing",
        ),
        "data_request_delete": Case(
            DATASET_WRITERS,
            data_request,
            lambda c, e, x: c.action.data_request_delete(id=x["id"]),
            lambda e, x: data_request_shown(e, x)["state"] == "deleted",
        ),
        "ckanext_showcase_create": Case(
            EVERYONE,
            showcase_to_submit,
            lambda c, e, x: c.action.ckanext_showcase_create(
                name=x["showcase"], title="新規", datasets=[x["id"]]
            ),
            lambda e, x: showcase_shown(e, x) is not None,
        ),
        "ckanext_showcase_update": Case(
            DATASET_WRITERS,
            approved_showcase,
            lambda c, e, x: c.action.ckanext_showcase_update(id=x["showcase"], title="変更後"),
            lambda e, x: (showcase_shown(e, x) or {}).get("title") == "変更後",
        ),
        "ckanext_showcase_delete": Case(
            DATASET_WRITERS,
            approved_showcase,
            lambda c, e, x: c.action.ckanext_showcase_delete(id=x["showcase"]),
            lambda e, x: showcase_shown(e, x) is None,
        ),
        "ckanext_showcase_package_association_create": Case(
            DATASET_WRITERS,
            approved_showcase,
            lambda c, e, x: c.action.ckanext_showcase_package_association_create(
                showcase_id=x["showcase"], package_id=x["other"]
            ),
            lambda e, x: x["other"] in showcase_datasets(e, x),
        ),
        "ckanext_showcase_package_association_delete": Case(
            DATASET_WRITERS,
            approved_showcase,
            lambda c, e, x: c.action.ckanext_showcase_package_association_delete(
                showcase_id=x["showcase"], package_id=x["id"]
            ),
            lambda e, x: not showcase_datasets(e, x),
        ),
        "showcase_review": Case(
            DATASET_WRITERS,
            approved_showcase,
            lambda c, e, x: c.action.showcase_review(
                id=x["showcase"], decision="reject", note="対象外"
            ),
            lambda e, x: (showcase_shown(e, x) or {}).get("state") == "rejected",
        ),
    }
)


# -- plans (tests/plan/): the owning organisation's admins; the actual values of an indicator also
# by editors of the organisations responsible for its measure (here org B, whose admin is one) ---

PLAN_VALUE_RECORDERS = frozenset({"admin", "other_admin", "sysadmin"})


def fresh_plan(env: Env) -> dict[str, Any]:
    """A plan of org A with a measure org B is responsible for, an indicator with one value, a
    heading, and an import in preview."""
    name = unique("mx-plan")
    env.act("plan_create", {"name": name, "title": "変更前", "owner_org": env.org_a})
    node = env.act("plan_node_create", {"plan_id": name, "number": "I", "title": "柱"})
    measure = env.act(
        "plan_measure_create",
        {"plan_id": name, "number": "1", "name": "変更前", "organizations": [env.org_b]},
    )
    indicator = env.act(
        "plan_indicator_create",
        {"plan_id": name, "measure_id": measure["id"], "name": "変更前", "baseline": "1"},
    )
    value = env.act(
        "plan_indicator_value_add",
        {"indicator_id": indicator["id"], "value": "2", "period": "R2年度"},
    )["values"][0]
    preview = env.act(
        "plan_import_preview",
        {
            "plan_id": name,
            "upload": Upload("p.csv", io.BytesIO("番号,施策名\n7,取り込み\n".encode())),
        },
    )
    return {
        "id": name,
        "node": node["id"],
        "measure": measure["id"],
        "indicator": indicator["id"],
        "value": value["id"],
        "import": preview["id"],
    }


def plan_shown(env: Env, ctx: dict[str, Any]) -> dict[str, Any]:
    return dict(env.act("plan_show", {"id": ctx["id"]}))


def plan_measures(env: Env, ctx: dict[str, Any]) -> dict[str, str]:
    return {m["number"]: m["name"] for m in plan_shown(env, ctx)["measures"]}


def plan_indicator(env: Env, ctx: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return dict(env.act("plan_indicator_show", {"id": ctx["indicator"]}))
    except NotFound:
        return None


def plan_import_state(env: Env, ctx: dict[str, Any]) -> str:
    return str(env.act("plan_import_show", {"id": ctx["import"]})["state"])


CASES.update(
    {
        "plan_create": Case(
            ORG_MANAGERS,
            fresh_name,
            lambda c, e, x: c.action.plan_create(name=x["name"], title="新規", owner_org=e.org_a),
            lambda e, x: e.exists("plan_show", {"id": x["name"]}),
        ),
        "plan_update": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_update(id=x["id"], title="変更後"),
            lambda e, x: plan_shown(e, x)["title"] == "変更後",
        ),
        "plan_patch": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_patch(id=x["id"], published=True),
            lambda e, x: plan_shown(e, x)["published"] is True,
        ),
        "plan_delete": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_delete(id=x["id"]),
            lambda e, x: plan_shown(e, x)["state"] == "deleted",
        ),
        "plan_node_create": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_node_create(plan_id=x["id"], number="II", title="新規"),
            lambda e, x: len(plan_shown(e, x)["nodes"]) == 2,
        ),
        "plan_node_update": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_node_update(id=x["node"], title="変更後"),
            lambda e, x: plan_shown(e, x)["nodes"][0]["title"] == "変更後",
        ),
        "plan_node_delete": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_node_delete(id=x["node"]),
            lambda e, x: plan_shown(e, x)["nodes"] == [],
        ),
        "plan_measure_create": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_measure_create(plan_id=x["id"], number="2", name="新規"),
            lambda e, x: "2" in plan_measures(e, x),
        ),
        "plan_measure_update": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_measure_update(id=x["measure"], name="変更後"),
            lambda e, x: plan_measures(e, x)["1"] == "変更後",
        ),
        "plan_measure_patch": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_measure_patch(id=x["measure"], name="変更後"),
            lambda e, x: plan_measures(e, x)["1"] == "変更後",
        ),
        "plan_measure_delete": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_measure_delete(id=x["measure"]),
            lambda e, x: "1" not in plan_measures(e, x),
        ),
        "plan_indicator_create": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_indicator_create(
                plan_id=x["id"], measure_id=x["measure"], name="新規"
            ),
            lambda e, x: plan_shown(e, x)["num_indicators"] == 2,
        ),
        "plan_indicator_update": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_indicator_update(id=x["indicator"], name="変更後"),
            lambda e, x: (plan_indicator(e, x) or {}).get("name") == "変更後",
        ),
        "plan_indicator_patch": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_indicator_patch(id=x["indicator"], target="9"),
            lambda e, x: (plan_indicator(e, x) or {}).get("target") == "9",
        ),
        "plan_indicator_delete": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_indicator_delete(id=x["indicator"]),
            lambda e, x: plan_indicator(e, x) is None,
        ),
        "plan_indicator_value_add": Case(
            PLAN_VALUE_RECORDERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_indicator_value_add(
                indicator_id=x["indicator"], value="3", period="R3年度"
            ),
            lambda e, x: len((plan_indicator(e, x) or {}).get("values", [])) == 2,
        ),
        "plan_indicator_value_delete": Case(
            PLAN_VALUE_RECORDERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_indicator_value_delete(id=x["value"]),
            lambda e, x: (plan_indicator(e, x) or {}).get("values") == [],
        ),
        "plan_import_preview": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_import_preview(id=x["import"], mapping='{"施策名": ""}'),
            lambda e, x: (
                e.act("plan_import_show", {"id": x["import"]})["mapping"] == {"施策名": ""}
            ),
        ),
        "plan_import_apply": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_import_apply(id=x["import"]),
            lambda e, x: plan_import_state(e, x) == "applied",
        ),
        "plan_import_discard": Case(
            ORG_MANAGERS,
            fresh_plan,
            lambda c, e, x: c.action.plan_import_discard(id=x["import"]),
            lambda e, x: plan_import_state(e, x) == "discarded",
        ),
    }
)


# -- map layers (issue 16): editors of the datasets' organisation, sysadmins (tests/maps/) ----


def fresh_point_table(env: Env) -> dict[str, Any]:
    """A dataset of org A with a datastore table of points, and an unused layer name."""
    ctx = fresh_dataset(env)
    env.act(
        "datastore_create",
        {
            "resource": {"package_id": ctx["id"], "name": "地点"},
            "fields": [
                {"id": "名称", "type": "text"},
                {"id": "緯度", "type": "numeric"},
                {"id": "経度", "type": "numeric"},
            ],
            "records": [{"名称": "集会所", "緯度": 34.0, "経度": 131.0}],
        },
    )
    return {**ctx, "layer": unique("mx-layer")}


def fresh_map_layer(env: Env) -> dict[str, Any]:
    ctx = fresh_point_table(env)
    env.act("map_layer_create", {"name": ctx["layer"], "title": "変更前", "datasets": [ctx["id"]]})
    return ctx


CASES.update(
    {
        "map_layer_create": Case(
            DATASET_WRITERS,
            fresh_point_table,
            lambda c, e, x: c.action.map_layer_create(
                name=x["layer"], title="新規", datasets=[x["name"]]
            ),
            lambda e, x: e.exists("map_layer_show", {"id": x["layer"]}),
        ),
        "map_layer_delete": Case(
            DATASET_WRITERS,
            fresh_map_layer,
            lambda c, e, x: c.action.map_layer_delete(id=x["layer"]),
            lambda e, x: not e.exists("map_layer_show", {"id": x["layer"]}),
        ),
    }
)


# -- 災害モード (sysadmins only; switched off here, so other tests' pages are not redirected) ----


CASES.update(
    {
        "disaster_mode_update": Case(
            SYSADMIN_ONLY,
            fresh_name,
            lambda c, e, x: c.action.disaster_mode_update(on=False, message=x["name"]),
            lambda e, x: e.act("disaster_mode_show", {})["message"] == x["name"],
        ),
    }
)


def test_matrix_covers_every_write_action() -> None:
    writes = {name for name in action_names() if is_write_action(name)}
    assert writes == set(CASES), "add new write actions to the authorization matrix"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", list(CASES))
def test_write_action_authorization(env: Env, action: str, actor: str) -> None:
    case = CASES[action]
    caller = env.actors[actor]
    target = case.setup(env)
    assert not case.done(env, target)
    caller.statuses.clear()
    if actor in case.allowed:
        case.call(caller.ckan, env, target)
        assert caller.statuses == [200]
        assert case.done(env, target)
        return
    with pytest.raises(ckanapi.NotAuthorized):
        case.call(caller.ckan, env, target)
    assert caller.statuses == [403]
    assert not case.done(env, target), f"{actor} was refused {action} but it took effect"


# -- the transport around the actions -----------------------------------------------------------


@pytest.mark.parametrize(
    "action", ["package_create", "package_delete", "organization_create", "user_create"]
)
def test_get_on_a_write_action_is_a_bad_request(env: Env, action: str) -> None:
    token = env.act("api_token_create", {"user": "mx-sysadmin", "name": unique("get")})["token"]
    name = unique("mx-get")
    params = {"id": name, "name": name, "title": "GET", "owner_org": env.org_a}
    response = requests.get(
        f"{env.server.url}/api/3/action/{action}",
        params=params,
        headers={"Authorization": token},
        timeout=10,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Bad request"
    assert not env.exists("package_show", {"id": name})
    assert not env.exists("organization_show", {"id": name})


def test_get_on_a_read_action_is_fine(env: Env) -> None:
    response = requests.get(f"{env.server.url}/api/3/action/package_list", timeout=10)
    assert response.status_code == 200
    assert response.json()["success"] is True


@pytest.mark.parametrize("action", ["package_list", "status_show", "package_create"])
@pytest.mark.parametrize("header", ["Authorization", "X-CKAN-API-Key"])
def test_bad_token_is_refused(env: Env, action: str, header: str) -> None:
    name = unique("mx-bad-token")
    response = requests.post(
        f"{env.server.url}/api/3/action/{action}",
        json={"name": name, "title": "x", "owner_org": env.org_a},
        headers={header: "not-a-real-token"},
        timeout=10,
    )
    assert response.status_code == 403
    body = response.json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Authorization Error"
    assert not env.exists("package_show", {"id": name})


def test_bad_token_through_ckanapi(env: Env) -> None:
    with pytest.raises(ckanapi.NotAuthorized):
        env.server.ckan("not-a-real-token").action.package_list()


def test_revoked_token_is_refused(env: Env) -> None:
    token = env.act("api_token_create", {"user": "mx-editor", "name": unique("short-lived")})
    ckan = env.server.ckan(token["token"])
    assert ckan.action.user_show()["name"] == "mx-editor"
    ckan.action.api_token_revoke(jti=token["id"])
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.user_show()
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_create(name=unique("mx-revoked"), title="x", owner_org=env.org_a)


@pytest.mark.parametrize(
    ("actor", "error"),
    [
        ("editor", ckanapi.ValidationError),  # may edit in A, but may not add to B
        ("other_admin", ckanapi.NotAuthorized),  # may add to B, but may not edit A's dataset
        ("sysadmin", None),
    ],
)
def test_moving_a_dataset_needs_rights_in_both_organisations(
    env: Env, actor: str, error: type[Exception] | None
) -> None:
    target = fresh_dataset(env)
    move = {"id": target["id"], "name": target["name"], "title": "移動", "owner_org": env.org_b}
    ckan = env.actors[actor].ckan
    if error is None:
        assert ckan.action.package_update(**move)["organization"]["name"] == env.org_b
        return
    with pytest.raises(error):
        ckan.action.package_update(**move)
    with pytest.raises(error):
        ckan.action.package_patch(id=target["id"], owner_org=env.org_b)
    shown = env.act("package_show", {"id": target["id"]})
    assert shown["organization"]["name"] == env.org_a
    assert shown["title"] == "変更前"


@pytest.mark.parametrize("action", ["package_patch", "resource_patch", "package_delete"])
@pytest.mark.parametrize("actor", ACTORS)
def test_writes_to_a_private_dataset(env: Env, actor: str, action: str) -> None:
    """The same rights as for a public dataset; but an anonymous caller is told the dataset does
    not exist (404), so that private datasets do not reveal themselves."""
    target = fresh_dataset(env)
    env.act("package_patch", {"id": target["id"], "private": True})
    ckan = env.actors[actor].ckan
    call = {
        "package_patch": lambda: ckan.action.package_patch(id=target["id"], title="変更後"),
        "resource_patch": lambda: ckan.action.resource_patch(
            id=target["resource_id"], name="変更後"
        ),
        "package_delete": lambda: ckan.action.package_delete(id=target["id"]),
    }[action]
    if actor in DATASET_WRITERS:
        call()
        return
    with pytest.raises(ckanapi.NotFound if actor == "anonymous" else ckanapi.NotAuthorized):
        call()
    shown = env.act("package_show", {"id": target["id"]})
    assert (shown["state"], shown["title"], shown["resources"][0]["name"]) == (
        "active",
        "変更前",
        "変更前",
    )


@pytest.mark.parametrize("actor", ["outsider", "member", "editor", "sysadmin"])
@pytest.mark.parametrize("owner_org", [None, "no-such-org"])
def test_package_create_without_a_real_organisation_is_a_validation_error(
    env: Env, actor: str, owner_org: str | None
) -> None:
    caller = env.actors[actor]
    name = unique("mx-orphan")
    caller.statuses.clear()
    with pytest.raises(ckanapi.ValidationError) as exc:
        caller.ckan.action.package_create(name=name, title="孤児", owner_org=owner_org)
    assert caller.statuses == [409]
    assert "owner_org" in exc.value.error_dict
    assert not env.exists("package_show", {"id": name})
