"""統合マップ layers over HTTP on SQLite and PostgreSQL, built from the demo catalog: one shelter
layer across municipalities, filters, the nearest shelter, private data absent, bad points left
off and listed for staff, caching (304, ETag, gzip and brotli), downloads, staff layers, and a
changed shelter file on the map within a minute."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import time
from collections.abc import Iterator
from typing import Any

import brotli
import ckanapi
import pytest
import requests
from sqlalchemy import func, select

from support.demo_copies import DemoCopies
from support.live_server import LiveServer
from support.waiting import wait_until
from tsunagu.datastore.models import IngestJob
from tsunagu.jobs.models import Job
from tsunagu.maps.feature_ids import restore

SHELTERS = "evacuation_space"
FLOOD = "災害種別_洪水"
# A shelter file of a test municipality: two good rows, one outside Japan, one with latitude
# and longitude swapped, one without coordinates (an address only).
BAD_POINTS = (
    "全国地方公共団体コード,ID,名称,所在地_連結表記,緯度,経度,災害種別_洪水\n"
    "352012,T1,試験避難所A,山口県下関市試験町1,33.95,130.95,1\n"
    "352012,T2,試験避難所B,山口県下関市試験町2,33.96,130.96,\n"
    "352012,T3,海外の避難所,海外,48.85,2.35,1\n"
    "352012,T4,入れ替わった避難所,山口県下関市試験町4,130.97,33.97,1\n"
    "352012,T5,住所だけの避難所,山口県下関市試験町5,,,1\n"
).encode()


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _busy(server: LiveServer) -> int:
    with server.services.sessions() as session:
        ingest = session.scalar(
            select(func.count())
            .select_from(IngestJob)
            .where(IngestJob.status.in_(("pending", "running")))
        )
        maps = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.kind == "map_layers", Job.status.in_(("pending", "running")))
        )
    return int(ingest or 0) + int(maps or 0)


def settle(server: LiveServer) -> None:
    """Every ingest done and every map rebuild after it too."""
    wait_until(lambda: _busy(server), "ingests and map rebuilds to finish", until=lambda n: n == 0)


@pytest.fixture(scope="module")
def demo(
    backend: str, demo_copies: DemoCopies, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    live = demo_copies.start(backend, tmp_path_factory.mktemp(f"maps-{backend}"))
    settle(live)  # the rebuild check every process queues as it starts
    yield live
    live.stop()


def api(server: LiveServer, name: str, token: str | None = None, **params: Any) -> Any:
    response = requests.get(
        f"{server.url}/api/3/action/{name}",
        params={k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()},
        headers={"Authorization": token} if token else {},
        timeout=30,
    )
    return response


def result(server: LiveServer, name: str, token: str | None = None, **params: Any) -> Any:
    response = api(server, name, token, **params)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def geojson(server: LiveServer, layer: str = SHELTERS) -> dict[str, Any]:
    """The layer file with its points' ids given back from the sources' row runs."""
    response = requests.get(f"{server.url}/map/layers/{layer}.geojson", timeout=30)
    assert response.status_code == 200
    document = dict(response.json())
    restore(document)
    return document


# -- the layers ----------------------------------------------------------------------------------


def test_one_shelter_layer_holds_every_municipality(demo: LiveServer) -> None:
    layers = {layer["name"]: layer for layer in result(demo, "map_layer_list")}
    assert {"evacuation_space", "aed", "public_toilet", "public_wireless_lan", "hospital"} <= set(
        layers
    )
    assert "population" not in layers  # no coordinates in that standard
    shelters = result(demo, "map_layer_show", id=SHELTERS)
    municipalities = {m["name"] for m in shelters["municipalities"]}
    assert {"下関市", "宇部市", "山口市", "萩市", "周南市"} <= municipalities
    assert shelters["points"] == sum(m["points"] for m in shelters["municipalities"])
    assert shelters["points"] == sum(s["points"] for s in shelters["sources"])
    document = geojson(demo)
    assert len(document["features"]) == shelters["points"]
    assert document["layer"]["standard"] == SHELTERS
    # 宇部市's Shift_JIS file with the older column order and "1,200" counts, read like the rest.
    ube = [f for f in document["features"] if f["properties"].get("_m") == "352021"]
    assert ube and all(isinstance(f["properties"].get("想定収容人数"), int) for f in ube)
    # 下関市 publishes the same shelters as CSV and GeoJSON: shown once.
    names = [
        f["properties"]["名称"] for f in document["features"] if f["properties"]["_m"] == "352012"
    ]
    assert len(names) == len(set(names))
    # Attributes are named by the standard, with its labels.
    flood = next(f for f in document["fields"] if f["name"] == FLOOD)
    assert flood["title"] == FLOOD and flood["description"]


def test_filters_by_flood_municipality_and_name(demo: LiveServer) -> None:
    everything = result(demo, "map_point_search", layer=SHELTERS, limit=1000)
    flood = result(demo, "map_point_search", layer=SHELTERS, filters={FLOOD: "1"}, limit=1000)
    assert 0 < flood["count"] < everything["count"]
    assert all(r["properties"].get(FLOOD) == "1" for r in flood["results"])
    document = geojson(demo)
    expected = sum(1 for f in document["features"] if f["properties"].get(FLOOD) == "1")
    assert flood["count"] == expected
    hagi = result(demo, "map_point_search", layer=SHELTERS, municipality="352047", limit=1000)
    assert hagi["count"] and {r["municipality"]["name"] for r in hagi["results"]} == {"萩市"}
    first = everything["results"][0]["name"]
    named = result(demo, "map_point_search", layer=SHELTERS, q=first, limit=1000)
    assert named["count"] >= 1 and all(first in r["name"] for r in named["results"])


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def test_nearest_shelter_from_a_location_and_from_a_typed_place(demo: LiveServer) -> None:
    lat, lon = 34.18, 131.47  # 山口市の中心部
    near = result(demo, "map_point_search", layer=SHELTERS, lat=lat, lon=lon, limit=5)
    distances = [r["distance_m"] for r in near["results"]]
    assert distances == sorted(distances)
    document = geojson(demo)
    closest = min(
        document["features"],
        key=lambda f: _haversine(
            lat, lon, f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0]
        ),
    )
    assert near["results"][0]["id"] == closest["id"]
    assert near["origin"]["matched"] == "location"
    # A typed 町名 with a house number no point has: the town's points give the place.
    town = next(f["properties"] for f in document["features"] if f["properties"]["_m"] == "352012")
    typed = f"{town['所在地_連結表記']}999番地"
    found = result(demo, "map_point_search", layer=SHELTERS, near=typed, limit=3)
    assert found["origin"]["matched"] in ("point", "points")
    assert found["results"][0]["municipality"]["name"] == "下関市"
    # A municipality's name alone.
    city = result(demo, "map_point_search", layer=SHELTERS, near="萩市", limit=1)
    assert city["results"][0]["municipality"]["name"] == "萩市"
    # Nothing like it: no origin, no guess.
    nowhere = result(demo, "map_point_search", layer=SHELTERS, near="ｚｚｚ存在しない場所", limit=3)
    assert nowhere["origin"] == {"found": False, "query": "ｚｚｚ存在しない場所"}
    assert nowhere["results"] == [] and nowhere["count"] == 0


def test_private_datasets_are_in_no_layer(demo: LiveServer) -> None:
    with demo.services.sessions() as session:
        from tsunagu.catalog.models import Dataset

        private = set(session.scalars(select(Dataset.name).where(Dataset.private.is_(True))))
    assert {"yamaguchi-city-care-service", "shunan-city-fire-hydrant"} <= private
    for layer in result(demo, "map_layer_list"):
        shown = result(demo, "map_layer_show", id=layer["name"])
        assert not {s["dataset"] for s in shown["sources"]} & private, layer["name"]
    care = geojson(demo, "care_service")
    assert {s["dataset"] for s in care["sources"]} == {"shunan-city-care-service"}


def test_bad_points_are_left_off_and_listed_for_staff(demo: LiveServer) -> None:
    sysadmin = demo.ckan(demo.make_user("map-sysadmin", sysadmin=True))
    editor_token = demo.make_user("map-editor")
    outsider_token = demo.make_user("map-outsider")
    demo.act(
        "organization_member_create",
        {"id": "shimonoseki-city", "username": "map-editor", "role": "editor"},
    )
    sysadmin.action.package_create(
        name="map-bad-points",
        title="試験 指定緊急避難場所",
        owner_org="shimonoseki-city",
        standard_id=SHELTERS,
    )
    sysadmin.action.resource_create(
        package_id="map-bad-points", name="試験", upload=("bad.csv", io.BytesIO(BAD_POINTS))
    )
    settle(demo)
    shown = wait_until(
        lambda: result(demo, "map_layer_show", id=SHELTERS),
        "the test file in the shelter layer",
        until=lambda s: any(x["dataset"] == "map-bad-points" for x in s["sources"]),
    )
    source = next(x for x in shown["sources"] if x["dataset"] == "map-bad-points")
    assert (source["points"], source["outside_japan"], source["swapped"]) == (2, 1, 1)
    assert source["no_coordinates"] == 1
    assert "left_off_points" not in shown  # counted for everyone, listed for staff only
    names = {f["properties"]["名称"] for f in geojson(demo)["features"]}
    assert {"試験避難所A", "試験避難所B"} <= names
    assert not {"海外の避難所", "入れ替わった避難所", "住所だけの避難所"} & names
    listed = result(demo, "map_layer_show", editor_token, id=SHELTERS)["left_off_points"]
    reasons = {x["name"]: x["reason"] for x in listed if x["dataset"] == "map-bad-points"}
    assert reasons == {
        "海外の避難所": "outside_japan",
        "入れ替わった避難所": "swapped",
        "住所だけの避難所": "no_coordinates",
    }
    swapped = next(x for x in listed if x["name"] == "入れ替わった避難所")
    assert (swapped["lat"], swapped["lon"]) == (130.97, 33.97)
    assert "left_off_points" not in result(demo, "map_layer_show", outsider_token, id=SHELTERS)


# -- serving for speed ---------------------------------------------------------------------------


def test_conditional_requests_and_compressed_bodies(demo: LiveServer) -> None:
    url = f"{demo.url}/map/layers/{SHELTERS}.geojson"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=30)
    assert plain.status_code == 200
    assert plain.headers["Content-Type"].startswith("application/geo+json")
    assert "Content-Encoding" not in plain.headers
    cache = plain.headers["Cache-Control"]
    assert "public" in cache and "max-age=" in cache and "stale-while-revalidate=" in cache
    assert "Accept-Encoding" in plain.headers["Vary"]
    etag = plain.headers["ETag"]
    raw = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=30)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw.raw.read()) == plain.content
    raw = requests.get(url, headers={"Accept-Encoding": "gzip, br"}, stream=True, timeout=30)
    assert raw.headers["Content-Encoding"] == "br"
    compressed = raw.raw.read()
    assert brotli.decompress(compressed) == plain.content
    assert len(compressed) < len(plain.content) / 5
    br_etag = raw.headers["ETag"]
    assert br_etag != etag  # each representation has its own strong ETag
    for held in (etag, br_etag, f"W/{etag}", f'"x", {br_etag}'):
        again = requests.get(
            url, headers={"If-None-Match": held, "Accept-Encoding": "br"}, timeout=30
        )
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == br_etag
        assert again.headers["Cache-Control"] == cache
    stale = requests.get(url, headers={"If-None-Match": '"not-the-current-one"'}, timeout=30)
    assert stale.status_code == 200 and stale.content


def test_answered_304_without_the_database(demo: LiveServer) -> None:
    """The ETag check reads this process's memory: with every database connection refused,
    a client holding the current data is still answered 304."""
    url = f"{demo.url}/map/layers/{SHELTERS}.geojson"
    etag = requests.get(url, timeout=30).headers["ETag"]
    engine = demo.services.engine
    from sqlalchemy import event

    def refuse(*_args: Any) -> None:
        raise RuntimeError("no database for this request")

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        answers = [
            requests.get(url, headers={"If-None-Match": etag}, timeout=30).status_code
            for _ in range(20)
        ]
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
    assert answers == [304] * 20


def test_downloads_as_geojson_and_csv(demo: LiveServer) -> None:
    download = requests.get(f"{demo.url}/map/layers/{SHELTERS}.geojson?download=1", timeout=30)
    assert "attachment" in download.headers["Content-Disposition"]
    features = download.json()["features"]
    table = requests.get(f"{demo.url}/map/layers/{SHELTERS}.csv", timeout=30)
    assert table.status_code == 200
    assert table.headers["Content-Type"].startswith("text/csv")
    assert 'filename="evacuation_space.csv"' in table.headers["Content-Disposition"]
    rows = _rows(table.content)
    assert len(rows) == len(features)
    assert {"名称", FLOOD, "緯度", "経度", "市区町村名", "データセット"} <= set(rows[0])
    # Points go without ids (each source gives its rows as runs); the CSV names them in order.
    document = download.json()
    assert all("id" not in f for f in features)
    restore(document)
    for row, feature in list(zip(rows, document["features"], strict=True))[:20]:
        assert row["ID"] == feature["id"]
        assert float(row["経度"]) == feature["geometry"]["coordinates"][0]
        assert row["名称"] == feature["properties"]["名称"]
    api_ids = {
        r["id"] for r in result(demo, "map_point_search", layer=SHELTERS, limit=1000)["results"]
    }
    assert api_ids == {f["id"] for f in document["features"]} == {r["ID"] for r in rows}
    missing = requests.get(f"{demo.url}/map/layers/no-such-layer.geojson", timeout=30)
    assert missing.status_code == 404


def test_a_changed_shelter_file_is_on_the_map_within_a_minute(demo: LiveServer) -> None:
    sysadmin = demo.ckan(demo.make_user("map-changer", sysadmin=True))
    package = sysadmin.action.package_show(id="hagi-city-evacuation-space")
    resource = next(r for r in package["resources"] if r["format"] == "CSV")
    original = requests.get(resource["url"], timeout=30).content
    text = original.decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    columns = next(csv.reader([header]))
    values = next(csv.reader([first]))
    row = dict(zip(columns, values, strict=True))
    row.update(
        {"ID": "3520479999", "名称": "新しく指定した避難所", "緯度": "34.41", "経度": "131.40"}
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writerow(row)
    changed = (text.rstrip("\r\n") + "\r\n" + out.getvalue()).encode("utf-8-sig")
    url = f"{demo.url}/map/layers/{SHELTERS}.geojson"
    before = requests.get(url, timeout=30)
    started = time.monotonic()
    sysadmin.action.resource_patch(
        id=resource["id"], upload=("evacuation.csv", io.BytesIO(changed))
    )

    def names() -> set[str]:
        # As a browser revalidates: a conditional request with the ETag it holds.
        response = requests.get(url, headers={"If-None-Match": before.headers["ETag"]}, timeout=30)
        if response.status_code == 304:
            return set()
        return {f["properties"].get("名称") for f in response.json()["features"]}

    wait_until(
        names, "the new shelter on the map", until=lambda n: "新しく指定した避難所" in n, timeout=60
    )
    assert time.monotonic() - started < 60
    added = result(demo, "map_point_search", layer=SHELTERS, q="新しく指定した避難所")
    assert added["results"][0]["municipality"]["name"] == "萩市"


def test_a_dataset_made_private_leaves_the_map(demo: LiveServer) -> None:
    sysadmin = demo.ckan(demo.make_user("map-hider", sysadmin=True))
    sysadmin.action.package_patch(id="mine-city-evacuation-space", private=True)
    try:
        wait_until(
            lambda: {s["dataset"] for s in geojson(demo)["sources"]},
            "美祢市's shelters to leave the map",
            until=lambda datasets: "mine-city-evacuation-space" not in datasets,
            timeout=60,
        )
        assert not result(demo, "map_point_search", layer=SHELTERS, municipality="352136")["count"]
    finally:
        sysadmin.action.package_patch(id="mine-city-evacuation-space", private=False)


# -- staff layers and bad requests ---------------------------------------------------------------


def test_staff_add_and_remove_a_layer_of_other_data(demo: LiveServer) -> None:
    admin_token = demo.make_user("map-shunan-admin")
    demo.act(
        "organization_member_create",
        {"id": "shunan-city", "username": "map-shunan-admin", "role": "admin"},
    )
    admin = demo.ckan(admin_token)
    made = admin.action.map_layer_create(
        name="bus-stops", title="コミュニティバス停留所", datasets=["shunan-city-bus-stop"]
    )
    assert made["kind"] == "staff"
    layer = wait_until(
        lambda: result(demo, "map_layer_show", id="bus-stops"),
        "the bus stop layer to be built",
        until=lambda s: s["built"],
    )
    assert layer["points"] > 0 and layer["sources"][0]["dataset"] == "shunan-city-bus-stop"
    stops = geojson(demo, "bus-stops")
    assert len(stops["features"]) == layer["points"]
    # Not someone else's data, not a standard's name, not data without points.
    with pytest.raises(ckanapi.NotAuthorized):
        admin.action.map_layer_create(name="aeds", title="AED", datasets=["hofu-city-aed-location"])
    with pytest.raises(ckanapi.ValidationError) as taken:
        admin.action.map_layer_create(name=SHELTERS, title="x", datasets=["shunan-city-bus-stop"])
    assert "name" in taken.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as pointless:
        admin.action.map_layer_create(
            name="people", title="人口", datasets=["shunan-city-population"]
        )
    assert "datasets" in pointless.value.error_dict
    with pytest.raises(ckanapi.ValidationError):
        admin.action.map_layer_delete(id=SHELTERS)
    admin.action.map_layer_delete(id="bus-stops")
    wait_until(
        lambda: requests.get(f"{demo.url}/map/layers/bus-stops.geojson", timeout=30).status_code,
        "the removed layer to go",
        until=lambda status: status == 404,
    )


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"layer": "no-such-layer"}, 404, None),
        ({}, 409, "layer"),
        ({"layer": SHELTERS, "filters": '{"住所": "x"}'}, 409, "filters"),
        ({"layer": SHELTERS, "filters": f'{{"{FLOOD}": "2"}}'}, 409, "filters"),
        ({"layer": SHELTERS, "filters": "not json"}, 409, "filters"),
        ({"layer": SHELTERS, "lat": "91", "lon": "131"}, 409, "lat"),
        ({"layer": SHELTERS, "lat": "34", "lon": "east"}, 409, "lon"),
        ({"layer": SHELTERS, "limit": "-1"}, 409, "limit"),
    ],
)
def test_bad_point_queries(
    demo: LiveServer, params: dict[str, str], status: int, field: str | None
) -> None:
    response = api(demo, "map_point_search", **params)
    assert response.status_code == status, response.text
    if field is not None:
        assert field in response.json()["error"]
