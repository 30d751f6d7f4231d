"""Set-up shared by the plan tests: an organisation, its admin and a plan, made over the API."""

from __future__ import annotations

import io
import itertools
from typing import Any

import ckanapi

from support.live_server import LiveServer
from tsunagu.demo import plan_yamaguchi as yamaguchi

_serial = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


def sysadmin(server: LiveServer) -> ckanapi.RemoteCKAN:
    token = getattr(server, "_plan_sysadmin", None)
    if token is None:
        token = server.make_user(unique("plan-sysadmin"), sysadmin=True)
        server._plan_sysadmin = token  # type: ignore[attr-defined]
    return server.ckan(token)


def organization(server: LiveServer, name: str | None = None) -> str:
    name = name or unique("plan-pref")
    server.act(
        "organization_create",
        {"name": name, "title": "山口県", "kind": "other"},
    )
    return name


def yamaguchi_plan(ckan: ckanapi.RemoteCKAN, owner: str, name: str | None = None) -> dict[str, Any]:
    return ckan.action.plan_create(  # type: ignore[no-any-return]
        name=name or unique("yamaguchi-plan"),
        title=yamaguchi.TITLE,
        owner_org=owner,
        period_start=2020,
        period_end=2022,
        level_names=yamaguchi.LEVELS,
        revisions=yamaguchi.REVISIONS,
        description=yamaguchi.DESCRIPTION,
    )


def upload(name: str, content: bytes) -> tuple[str, io.BytesIO]:
    return (name, io.BytesIO(content))


def import_table(
    ckan: ckanapi.RemoteCKAN, plan: str, name: str, content: bytes, **extra: Any
) -> dict[str, Any]:
    preview = ckan.action.plan_import_preview(plan_id=plan, upload=upload(name, content), **extra)
    return ckan.action.plan_import_apply(id=preview["id"])  # type: ignore[no-any-return]


def indicators(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every indicator of a plan_show answer by name."""
    found = {i["name"]: i for n in plan["nodes"] for i in n["indicators"]}
    found.update({i["name"]: i for m in plan["measures"] for i in m["indicators"]})
    return found
