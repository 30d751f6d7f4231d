"""The map benchmark's catalog: synthetic 指定緊急避難場所 files of real municipalities, uploaded
and read by the server's own workers until the layer holds every point."""

from __future__ import annotations

import contextlib
import csv
import io
import random
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from map_bench.config import ADMIN, LAYER, PREFECTURES, log, search
from tsunagu.bootstrap import action_context, build_services
from tsunagu.config import Settings
from tsunagu.quality.areas import Area, all_areas
from tsunagu.quality.standards import get_standard
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade


@dataclass(frozen=True)
class Town:
    """A municipality that publishes shelters: its organisation and its share of the points."""

    area: Area
    prefecture: str
    points: int
    with_status: bool  # its file has a 開設状況 column

    @property
    def code(self) -> str:
        return self.area.code

    @property
    def org(self) -> str:
        return f"city-{self.code}"


def towns(points: int, count: int) -> list[Town]:
    """`count` municipalities (no prefectures, no designated cities beside their wards' sums:
    any code the layer can name), the points shared out evenly."""
    areas = all_areas()
    prefecture_names = {a.code[:2]: a.name for a in areas if a.code[2:5] == "000"}
    chosen: list[Area] = []
    for prefecture in PREFECTURES:
        chosen += [a for a in areas if a.code[:2] == prefecture and a.code[2:5] != "000"]
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} municipalities in {PREFECTURES}; lower the count")
    chosen = chosen[:count]
    share, extra = divmod(points, count)
    return [
        Town(area, prefecture_names[area.code[:2]], share + (1 if n < extra else 0), n % 3 == 0)
        for n, area in enumerate(chosen)
    ]


STREETS = ["本町", "中央", "東町", "西町", "南町", "北町", "栄町", "旭町", "錦町", "新町", "港町"]
KINDS = [
    "小学校",
    "中学校",
    "公園",
    "公民館",
    "体育館",
    "高等学校",
    "広場",
    "集会所",
    "市民センター",
]
STATUSES = ["開設", "未開設", "未開設", "未開設", "閉鎖"]


def shelter_csv(town: Town, seed: int) -> bytes:
    """The town's 03 指定緊急避難場所 file: every column of the standard, points inside the
    municipality's box (its middle half), hazard flags set at random."""
    names = [f.name for f in get_standard(LAYER).fields]
    if town.with_status:
        names.append("開設状況")
    rng = random.Random(f"{seed}-{town.code}")
    box = town.area.bbox
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    city = town.area.name
    for n in range(1, town.points + 1):
        street = rng.choice(STREETS)
        lot = f"{rng.randrange(1, 40)}-{rng.randrange(1, 30)}"
        lat = box.min_lat + (0.25 + rng.random() / 2) * (box.max_lat - box.min_lat)
        lon = box.min_lon + (0.25 + rng.random() / 2) * (box.max_lon - box.min_lon)
        row = {
            "全国地方公共団体コード": town.code,
            "ID": f"{n:07d}",
            "名称": f"{street}{rng.choice(KINDS)}{n}",
            "所在地_全国地方公共団体コード": town.code,
            "所在地_連結表記": f"{town.prefecture}{city}{street}{lot}",
            "所在地_都道府県": town.prefecture,
            "所在地_市区町村": city,
            "所在地_町字": street,
            "所在地_番地以下": lot,
            "緯度": f"{lat:.6f}",
            "経度": f"{lon:.6f}",
            "標高": str(rng.randrange(2, 300)),
            "電話番号": f"0{rng.randrange(82, 99)}-{rng.randrange(200, 999)}-"
            f"{rng.randrange(1000, 9999)}",
            "市区町村コード": town.code,
            "地方公共団体名": city,
            "想定収容人数": str(rng.randrange(50, 2000)),
            "対象となる町会・自治会": f"{street}自治会",
            "開設状況": rng.choice(STATUSES),
        }
        for name in names:
            if name.startswith("災害種別_") or name == "指定避難所との重複":
                row[name] = "1" if rng.random() < 0.5 else ""
        writer.writerow([row.get(name, "") for name in names])
    return out.getvalue().encode("utf-8")


def make_catalog(data_dir: Path, places: list[Town]) -> search.Catalog:
    """A fresh SQLite catalog with a sysadmin (and an API token) and the municipalities."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    db_path = data_dir / "tsunagu.db"
    services = build_services(Settings(data_dir=data_dir, database_url=f"sqlite:///{db_path}"))
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "user_create",
            context,
            {
                "name": ADMIN,
                "email": "map@example.jp",
                "password": "bench-map-0000",
                "sysadmin": True,
            },
        )
        for town in places:
            call_action(
                "organization_create",
                context,
                {
                    "name": town.org,
                    "title": town.area.name,
                    "kind": "municipality",
                    "local_gov_code": town.code,
                },
            )
        token = call_action("api_token_create", context, {"user": ADMIN, "name": "map"})
    services.engine.dispose()
    return search.Catalog(db_path, data_dir, len(places), token["token"], [])


def busy_jobs(catalog: search.Catalog) -> int:
    """Ingest, quality and map jobs still waiting or running."""
    with contextlib.closing(sqlite3.connect(catalog.db_path, timeout=30)) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM ingest_job WHERE status IN ('pending', 'running')) + "
            "(SELECT count(*) FROM job WHERE status IN ('pending', 'running'))"
        ).fetchone()
    return int(row[0])


def publish(
    server: search.Server, catalog: search.Catalog, places: list[Town], seed: int
) -> dict[str, Any]:
    """Every town's file uploaded through the API, then wait until the layer holds every point
    and no job is left (a rebuild during the measurement would change what is measured)."""
    expected = sum(t.points for t in places)
    files = {t.code: shelter_csv(t, seed) for t in places}
    headers = {"Authorization": catalog.token}
    started = time.perf_counter()
    with httpx.Client(base_url=server.url, timeout=120, headers=headers) as client:
        for town in places:
            name = f"hinan-{town.code}"
            client.post(
                "/api/3/action/package_create",
                json={
                    "name": name,
                    "title": f"{town.area.name} 指定緊急避難場所一覧",
                    "owner_org": town.org,
                    "standard_id": LAYER,
                },
            ).raise_for_status()
            client.post(
                "/api/3/action/resource_create",
                data={"package_id": name, "name": "指定緊急避難場所", "format": "CSV"},
                files={"upload": (f"{name}.csv", files[town.code], "text/csv")},
            ).raise_for_status()
        uploaded = time.perf_counter() - started
        log(f"{len(places)} files uploaded in {uploaded:.1f} s; waiting for the layer")
        deadline = time.monotonic() + 1800
        shown: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = client.get("/api/3/action/map_layer_show", params={"id": LAYER})
            shown = response.json()["result"] if response.status_code == 200 else {}
            if shown.get("points", 0) + shown.get("left_off", 0) >= expected:
                break
            time.sleep(1)
        else:
            raise RuntimeError(f"the layer has {shown.get('points')} of {expected} points")
        on_map = time.perf_counter() - started
        while busy_jobs(catalog):
            if time.monotonic() > deadline:
                raise RuntimeError("background jobs did not finish in time")
            time.sleep(1)
        response = client.get("/api/3/action/map_layer_show", params={"id": LAYER})
        shown = response.json()["result"]
    return {
        "files": len(places),
        "file_bytes": sum(len(b) for b in files.values()),
        "with_status": sum(1 for t in places if t.with_status),
        "upload_seconds": uploaded,
        "on_map_seconds": on_map,
        "settled_seconds": time.perf_counter() - started,
        "layer_points": shown["points"],
        "left_off": shown["left_off"],
        "layer_etag": shown["etag"],
        "built_bytes": shown.get("built_bytes"),
        "municipalities": len(shown.get("municipalities") or []),
    }
