"""Loading what `ckanapi dump` writes from real CKAN 2.9, 2.10 and 2.11 sites (the recorded
dumps in tests/data/ckan_dumps/, written from CKAN's dictization code; see its README) into an
empty Tsunagu with `ckanapi load`, over HTTP, on SQLite and PostgreSQL: every record loads,
ids are kept, parents listed after their children are linked, members keep their roles, users
sign in with their CKAN passwords, and every field the old site had is either a Tsunagu field,
kept as an extra, or one CKAN computes (dropped, as docs/api.md lists)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ckanapi
import pytest
from sqlalchemy import func, select

from support import databases
from support.ckanapi_cli import lines, load, sysadmin
from support.live_server import LiveServer
from support.portal import Visitor
from support.resolver import fake_dns, refuse_egress
from support.waiting import wait_until
from tsunagu.catalog.foreign_fields import (
    CKAN_COMPUTED_PACKAGE_KEYS,
    CKAN_COMPUTED_RESOURCE_KEYS,
    PACKAGE_KEYS,
)
from tsunagu.datastore.models import IngestJob

DUMPS = Path(__file__).resolve().parents[1] / "data" / "ckan_dumps"
VERSIONS = ("2.9", "2.10", "2.11")
# The passwords the recorded users were given (their hashes were made with passlib's
# pbkdf2_sha512, as CKAN makes them; README).
PASSWORDS = {
    "2.9": ("hamamatsu-kikaku", "Hamamatsu#Kikaku29"),
    "2.10": ("sapporo-kosodate", "kodomo-mirai-01"),
    "2.11": ("kameoka-joho", "hozugawa-kudari"),
}
# Fields Tsunagu reads into a field of its own under another form (checked one by one in the
# tests per version), or computes itself.
READ_DIFFERENTLY = {
    "license_id",
    "license_title",
    "license_url",
    "isopen",
    "frequency",
    "temporal_start",
    "temporal_end",
    "spatial",
    "metadata_created",
    "metadata_modified",
}


def _hosts(folder: Path) -> set[str]:
    """Every host name the dump's links name (so that none of them is looked up for real)."""
    text = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.jsonl"))
    found = set()
    for word in text.replace('"', " ").split():
        if word.startswith(("http://", "https://")):
            found.add(urlsplit(word).hostname or "")
    return found - {""}


@pytest.fixture
def empty_site(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LiveServer, str, ckanapi.RemoteCKAN]]:
    # The old site's linked CSV files would be fetched for the datastore: their hosts resolve to
    # a documentation address and every connection off this machine is refused (no network).
    hosts = set().union(*(_hosts(DUMPS / f"ckan-{v}") for v in VERSIONS))
    fake_dns(monkeypatch, dict.fromkeys(hosts, "203.0.113.7"))
    refuse_egress(monkeypatch)
    live = LiveServer(
        data_dir=tmp_path, database_url=databases.database_url_for(backend, tmp_path)
    ).start()
    token, client = sysadmin(live)
    yield live, token, client
    # Background fetches finish (refused) before the network patches are undone.
    wait_until(lambda: _jobs_open(live) == 0, "the ingest jobs of the old site's links to end")
    live.stop()


def _jobs_open(live: LiveServer) -> int:
    with live.services.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(IngestJob)
                .where(IngestJob.status.in_(("pending", "running")))
            )
            or 0
        )


def _load_dump(live: LiveServer, token: str, version: str) -> dict[str, list[dict[str, Any]]]:
    folder = DUMPS / f"ckan-{version}"
    records = {}
    for thing in ("users", "organizations", "groups", "datasets"):
        outcome = load(live, token, thing, folder / f"{thing}.jsonl")
        assert outcome.returncode == 0 and not outcome.failures(), outcome.stderr
        assert {a for a, _e, _r in outcome.records()} == {"create"}, outcome.stderr
        records[thing] = lines(folder / f"{thing}.jsonl")
    return records


def _extras(data: dict[str, Any]) -> dict[str, str]:
    return {e["key"]: e["value"] for e in data["extras"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_ckan_dump_loads_with_nothing_lost(
    version: str, empty_site: tuple[LiveServer, str, ckanapi.RemoteCKAN]
) -> None:
    live, token, client = empty_site
    dumped = _load_dump(live, token, version)

    for user in dumped["users"]:
        here = client.action.user_show(id=user["name"])
        assert (here["id"], here["fullname"], here["email"], here["sysadmin"]) == (
            user["id"],
            user["fullname"],
            user["email"],
            user["sysadmin"],
        )

    for org in dumped["organizations"]:
        here = client.action.organization_show(id=org["id"], include_users=True)
        assert (here["name"], here["title"], here["description"]) == (
            org["name"],
            org["title"],
            org["description"],
        )
        parents = [g["name"] for g in org["groups"] if g.get("capacity") == "parent"]
        assert here["parent"] == (parents[0] if parents else None), org["name"]
        assert here["parent_pending"] is None
        assert {(u["name"], u["capacity"]) for u in here["users"]} == {
            (u["name"], u["capacity"]) for u in org["users"]
        }
        assert {e["key"]: e["value"] for e in org["extras"]}.items() <= _extras(here).items()

    for group in dumped["groups"]:
        here = client.action.group_show(id=group["id"], include_users=True)
        assert (here["name"], here["title"]) == (group["name"], group["title"])
        assert {(u["name"], u["capacity"]) for u in here["users"]} == {
            (u["name"], u["capacity"]) for u in group["users"]
        }
        assert "://" in here["image_url"] or not group["image_url"]

    for dataset in dumped["datasets"]:
        here = client.action.package_show(id=dataset["id"])
        extras = _extras(here)
        assert (here["name"], here["private"], here["state"]) == (
            dataset["name"],
            dataset["private"],
            dataset["state"],
        )
        assert here["owner_org"] == dataset["owner_org"]
        assert here["creator_user_id"] == dataset["creator_user_id"]
        assert sorted(t["name"] for t in here["tags"]) == sorted(t["name"] for t in dataset["tags"])
        assert [g["id"] for g in here["groups"]] == [g["id"] for g in dataset["groups"]]
        for item in dataset.get("extras", []):
            assert extras[item["key"]] == item["value"], item["key"]
        for key, value in dataset.items():
            if key in CKAN_COMPUTED_PACKAGE_KEYS:
                assert key not in extras and key not in here, key  # dropped
            elif key in READ_DIFFERENTLY or value in (None, "", []):
                continue
            elif key in PACKAGE_KEYS:
                if not isinstance(value, dict | list):
                    assert here[key] == value, key
            else:  # another site's own field: kept as an extra (lists and objects as JSON)
                kept = extras[key]
                assert (kept if isinstance(value, str) else json.loads(kept)) == value, key
        assert [r["id"] for r in here["resources"]] == [r["id"] for r in dataset["resources"]]
        for old, new in zip(dataset["resources"], here["resources"], strict=True):
            assert (new["name"], new["url"], new["format"]) == (
                old["name"],
                old["url"],
                old["format"],
            )
            for key in CKAN_COMPUTED_RESOURCE_KEYS:
                assert key not in new, key

    # Someone from the old site signs in with the password they had; the CKAN hash is then
    # replaced by an Argon2 one.
    name, password = PASSWORDS[version]
    assert Visitor(live.url).sign_in(name, "wrong-password").status_code == 400
    before = client.action.user_show(id=name, include_password_hash=True)["password_hash"]
    assert before.startswith("$pbkdf2-sha512$")
    assert Visitor(live.url).sign_in(name, password).status_code == 303  # signed in
    stored = client.action.user_show(id=name, include_password_hash=True)["password_hash"]
    assert stored.startswith("$argon2")
    assert Visitor(live.url).sign_in(name, password).status_code == 303  # and again, with Argon2


def test_ckan_2_9_organisations_and_links(
    empty_site: tuple[LiveServer, str, ckanapi.RemoteCKAN],
) -> None:
    """ckanext-hierarchy parents listed after their children, 全国地方公共団体コード from an
    extra (five digits get their check digit), an uploaded logo shown from the old site, a
    ckanext-spatial geometry kept, page-view counts dropped."""
    live, token, client = empty_site
    _load_dump(live, token, "2.9")
    codes = {
        o["name"]: (o["kind"], o["local_gov_code"], o["parent"])
        for o in client.action.organization_list(all_fields=True)
    }
    assert codes == {
        "hamamatsu-city": ("municipality", "221309", "shizuoka-pref"),
        "shizuoka-city": ("municipality", "221007", "shizuoka-pref"),
        "shizuoka-pref": ("prefecture", "220001", None),
        "shizuoka-pref-kikikanri": ("other", None, "shizuoka-pref"),
    }
    logo = client.action.organization_show(id="hamamatsu-city")["image_url"]
    assert logo == (
        "https://opendata.pref.shizuoka.example.jp/uploads/group/"
        "2017-04-03-013000.512300hamamatsu.png"
    )
    shelter = client.action.package_show(id="hamamatsu-hinanjo")
    assert json.loads(_extras(shelter)["spatial"])["type"] == "Point"
    assert shelter["spatial"] == "静岡県浜松市"  # the organisation's area, from its code
    assert shelter["license_id"] == "cc-by-4.0"
    uploaded = shelter["resources"][0]
    # A file uploaded to the old site stays a link to it until `--upload-resources` copies it.
    assert uploaded["url_type"] == "" and uploaded["description"] == "文字コード：Shift_JIS"
    assert "tracking_summary" not in json.dumps(shelter)
    found = client.action.package_search(q="避難所", include_private=True)["results"]
    assert [p["name"] for p in found] == ["hamamatsu-hinanjo"]


def test_ckan_2_10_scheming_fields_become_extras(
    empty_site: tuple[LiveServer, str, ckanapi.RemoteCKAN],
) -> None:
    live, token, client = empty_site
    _load_dump(live, token, "2.10")
    sapporo = client.action.organization_show(id="sapporo-city")
    assert (sapporo["kind"], sapporo["local_gov_code"]) == ("municipality", "011002")
    assert _extras(sapporo)["local_government_code"] == "011002"
    hokkaido = client.action.organization_show(id="hokkaido")
    assert (hokkaido["kind"], hokkaido["local_gov_code"]) == ("prefecture", "010006")
    nursery = client.action.package_show(id="sapporo-hoikusho")
    extras = _extras(nursery)
    assert extras["publisher"] == "札幌市 子ども未来局 子育て支援部"
    assert extras["update_frequency"] == "毎年度"
    assert extras["issued"] == "令和4年3月31日"
    assert json.loads(extras["theme"]) == ["子育て", "教育"]
    assert json.loads(extras["spatial"])["coordinates"] == [141.3544, 43.0621]
    csv = nursery["resources"][0]
    assert (csv["encoding"], csv["issued"]) == ("Shift_JIS", "令和6年4月1日")
    assert "datastore_contains_all_records_of_source_file" not in csv
    assert nursery["license_id"] == "cc-by-4.0"


def test_ckan_2_11_fields_with_tsunagu_names_are_read(
    empty_site: tuple[LiveServer, str, ckanapi.RemoteCKAN],
) -> None:
    live, token, client = empty_site
    _load_dump(live, token, "2.11")
    kameoka = client.action.organization_show(id="kameoka-city")
    assert (kameoka["parent"], kameoka["local_gov_code"]) == ("kyoto-pref", "262064")
    tourism = client.action.package_show(id="kameoka-kanko-shisetsu")
    assert (tourism["frequency"], tourism["frequency_label"]) == ("annual", "毎年")
    assert (tourism["temporal_start"], tourism["temporal_end"]) == ("2025-04-01", "2026-03-31")
    assert tourism["contact_phone"] == "0771-22-3131 内線 456"
    assert tourism["spatial"] == "京都府亀岡市" and tourism["spatial_codes"] == ["262064"]
    assert json.loads(_extras(tourism)["spatial"])["type"] == "Point"
    draft = client.action.package_show(id="kameoka-aed-draft")
    assert (draft["state"], draft["private"]) == ("draft", True)
    # The draft stays visible to the one who made it at the old site.
    key = client.action.api_token_create(user="kameoka-joho", name="t")["token"]
    assert live.ckan(key).action.package_show(id="kameoka-aed-draft")["state"] == "draft"
