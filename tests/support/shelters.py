"""Shelter data for the 災害モード tests: 指定緊急避難場所 datasets made through the actions (a
datastore table with the standard's columns and 緯度/経度, so no ingest job), and the 避難場所
page read over HTTP until it shows what a test expects (the map layer is rebuilt a few seconds
after a change, then the pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from support.live_server import LiveServer
from support.waiting import wait_until

HAZARDS = ("洪水", "崖崩れ、土石流及び地滑り", "高潮", "地震", "津波", "大規模な火事")
FIELDS = [
    "名称",
    "所在地_全国地方公共団体コード",
    "所在地_連結表記",
    "緯度",
    "経度",
    *(f"災害種別_{h}" for h in HAZARDS),
]


def organization(server: LiveServer, name: str, title: str, code: str) -> None:
    server.act(
        "organization_create",
        {"name": name, "title": title, "kind": "municipality", "local_gov_code": code},
    )


def shelter(
    name: str,
    address: str,
    code: str,
    lat: float,
    lon: float,
    hazards: tuple[str, ...] = (),
    status: str | None = None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "名称": name,
        "所在地_全国地方公共団体コード": code,
        "所在地_連結表記": address,
        "緯度": lat,
        "経度": lon,
        **{f"災害種別_{h}": "1" if h in hazards else "" for h in HAZARDS},
    }
    if status is not None:
        row["開設状況"] = status
    return row


def shelter_dataset(
    server: LiveServer,
    org: str,
    name: str,
    rows: list[dict[str, Any]],
    *,
    private: bool = False,
) -> str:
    """A dataset following standard 03 with one table of `rows` (text columns besides 緯度 and
    経度, also for any column a row has beyond the standard's); returns the resource id."""
    server.act(
        "package_create",
        {
            "name": name,
            "title": f"指定緊急避難場所 {name}",
            "owner_org": org,
            "standard_id": "evacuation_space",
            "private": private,
        },
    )
    # Any other column the rows have (開設状況, or another name a municipality gives it).
    extra = [c for c in dict.fromkeys(c for r in rows for c in r) if c not in FIELDS]
    columns = list(FIELDS) + extra
    table = server.act(
        "datastore_create",
        {
            "resource": {"package_id": name, "name": "避難場所"},
            "fields": [
                {"id": c, "type": "numeric" if c in ("緯度", "経度") else "text"} for c in columns
            ],
            "records": rows,
        },
    )
    return str(table["resource_id"])


def page(server: LiveServer, path: str = "/hinan", **kwargs: Any) -> requests.Response:
    return requests.get(server.url + path, timeout=30, allow_redirects=False, **kwargs)


def page_until(server: LiveServer, path: str, condition: Callable[[str], bool], what: str) -> str:
    """The page's text once `condition` holds (a change takes the layer's debounced rebuild,
    then the pages', a few seconds in all; the issue allows a minute)."""
    response = wait_until(
        lambda: page(server, path),
        what,
        until=lambda r: r.status_code == 200 and condition(r.text),
        timeout=60,
    )
    return response.text
