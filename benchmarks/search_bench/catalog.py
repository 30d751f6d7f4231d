"""The seeded synthetic catalog, bulk-inserted into a fresh SQLite database (step 1)."""

from __future__ import annotations

import gc
import json
import random
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, update

from search_bench.config import ADMIN, GENERATOR_VERSION, WORK
from search_bench.helpers import log, seeded_uuid
from search_bench.vocabulary import (
    DEPARTMENTS,
    FORMAT_WEIGHTS,
    FORMATS,
    FREQUENCIES,
    GROUPS,
    LICENSE_WEIGHTS,
    LICENSES,
    ORGS,
    TOPICS,
    all_tags,
)
from tsunagu.bootstrap import action_context, build_services
from tsunagu.catalog.dictize import package_dicts
from tsunagu.catalog.local_codes import check_digit
from tsunagu.catalog.models import (
    CatalogState,
    Dataset,
    Group,
    Organization,
    Resource,
    Tag,
    dataset_group,
    dataset_tag,
)
from tsunagu.config import Settings
from tsunagu.registry import call_action
from tsunagu.storage.migrate import upgrade

# -- 1. the synthetic catalog --------------------------------------------------------------------


@dataclass
class Catalog:
    db_path: Path
    data_dir: Path
    datasets: int
    token: str
    public_names: list[str]
    generate_seconds: float = 0.0
    insert_seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db_path}"


def _sanity_through_actions(services: Any) -> str:
    """One user, organisation and dataset made by the real actions; returns an API token."""
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "user_create",
            context,
            {
                "name": ADMIN,
                "email": "bench@example.jp",
                "password": "bench-password-0000",
                "sysadmin": True,
            },
        )
    with action_context(services, ignore_auth=True) as context:
        token = call_action("api_token_create", context, {"user": ADMIN, "name": "bench"})["token"]
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "organization_create",
            context,
            {"name": "bench-sanity-org", "title": "ベンチマーク確認用組織", "kind": "other"},
        )
    with action_context(services, ignore_auth=True) as context:
        call_action(
            "package_create",
            context,
            {
                "name": "bench-sanity-dataset",
                "title": "確認用 避難所一覧",
                "notes": "アクション経由で作成した確認用データセットです。",
                "owner_org": "bench-sanity-org",
                "license_id": "cc-by-4.0",
                "tags": [{"name": "避難所"}, {"name": "防災"}],
                "resources": [
                    {
                        "name": "避難所一覧（CSV）",
                        "url": "https://example.jp/a.csv",
                        "format": "CSV",
                    },
                ],
            },
        )
    return str(token)


def _check_shape(services: Any, bulk_id: str) -> None:
    """A bulk-inserted dataset must dictize exactly like one made through the actions."""
    with services.sessions() as session:
        sanity_id = session.scalar(select(Dataset.id).where(Dataset.name == "bench-sanity-dataset"))
        dicts = package_dicts(session, [sanity_id, bulk_id], services.settings.site_url)
    made, bulk = dicts[sanity_id], dicts[bulk_id]
    problems = []
    if set(made) != set(bulk):
        problems.append(f"package keys differ: {set(made) ^ set(bulk)}")
    for key in ("organization",):
        if set(made[key]) != set(bulk[key]):
            problems.append(f"{key} keys differ: {set(made[key]) ^ set(bulk[key])}")
    if set(made["resources"][0]) != set(bulk["resources"][0]):
        problems.append("resource keys differ")
    for key, value in made.items():
        if key in ("groups", "extras", "organization", "resources", "tags"):
            continue
        if (value is None) != (bulk[key] is None) and key not in ("creator_user_id",):
            problems.append(f"{key}: action gives {value!r}, bulk gives {bulk[key]!r}")
    if problems:
        raise SystemExit("bulk rows do not match the action-made dataset:\n" + "\n".join(problems))


def _schema_objects(db_path: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        return {(kind, name) for kind, name in rows}


def _schema_difference(db_path: Path) -> str:
    """What a kept catalog lacks or has beyond a freshly migrated one ("" when alike): an
    unreleased migration edited since the catalog was made (an index added, say) would
    otherwise go unmeasured."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.db"
        upgrade(create_engine(f"sqlite:///{fresh}"))
        expected = _schema_objects(fresh)
    found = _schema_objects(db_path)
    # Only what is missing counts: a catalog gains tables of its own (the FTS baseline's).
    missing = sorted(name for kind, name in expected - found)
    return f"missing: {', '.join(missing[:5])}" if missing else ""


def create_catalog(n: int, seed: int, reuse: bool, data_dir: Path | None = None) -> Catalog:
    WORK.mkdir(parents=True, exist_ok=True)
    data_dir = data_dir or WORK / f"catalog-{n}-s{seed}"
    db_path = data_dir / "tsunagu.db"
    marker = data_dir / "catalog.json"
    if reuse and marker.exists():
        info = json.loads(marker.read_text())
        stale = _schema_difference(db_path)
        if stale:
            log(f"not reusing {db_path}: its schema differs from the migrations' ({stale})")
        elif info.get("version") == GENERATOR_VERSION and info.get("datasets") == n:
            log(f"reusing {db_path}")
            return Catalog(
                db_path, data_dir, n, info["token"], info["public_names"], rows=info.get("rows", {})
            )
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{db_path}")
    services = build_services(settings)
    upgrade(services.engine)
    token = _sanity_through_actions(services)

    log(f"generating {n:,} datasets (seed {seed})")
    started = time.perf_counter()
    rng = random.Random(seed)
    tag_names = all_tags()
    with services.sessions() as session:
        # The action-made dataset already created a few tags: reuse their rows.
        existing = {name: tag_id for name, tag_id in session.execute(select(Tag.name, Tag.id))}
    tag_ids = {name: existing.get(name) or seeded_uuid(rng) for name in tag_names}
    # Popular tags get most of the use, as on real portals.
    tag_weights = [1 / (i + 1) ** 0.9 for i in range(len(tag_names))]
    with services.sessions() as session:
        base_revision = int(session.scalar(select(CatalogState.revision)) or 0)
    revision = base_revision
    created = datetime(2025, 4, 1, 9, 0, 0)
    org_rows, org_ids = [], []
    for title, slug, kind, code5 in ORGS:
        revision += 1
        org_id = seeded_uuid(rng)
        org_ids.append(org_id)
        org_rows.append(
            {
                "id": org_id,
                "name": slug,
                "title": title,
                "description": f"{title}のオープンデータを公開しています。",
                "image_url": "",
                "kind": kind,
                "local_gov_code": code5 + check_digit(code5),
                "parent_id": None,
                "contact_email": f"opendata@{slug}.example.jp",
                "contact_phone": "",
                "url": "",
                "latitude": None,
                "longitude": None,
                "state": "active",
                "created": created,
                "revision": revision,
            }
        )
    group_rows, group_ids = [], {}
    for slug, title in GROUPS:
        revision += 1
        group_ids[slug] = seeded_uuid(rng)
        group_rows.append(
            {
                "id": group_ids[slug],
                "name": slug,
                "title": title,
                "description": f"{title}に関するデータ",
                "image_url": "",
                "state": "active",
                "created": created,
                "revision": revision,
            }
        )
    org_weights = [
        (3.0 if o[2] == "prefecture" else 1.0) / (i + 1) ** 0.5 for i, o in enumerate(ORGS)
    ]
    muni_titles = [o[0] for o in ORGS if o[2] == "municipality"]
    dataset_rows: list[dict[str, Any]] = []
    resource_rows: list[dict[str, Any]] = []
    tag_links: list[dict[str, str]] = []
    group_links: list[dict[str, str]] = []
    public_names: list[str] = []
    epoch = datetime(2015, 1, 1)
    span = (datetime(2026, 11, 1) - epoch).total_seconds()
    for i in range(n):
        revision += 1
        org_index = rng.choices(range(len(ORGS)), org_weights)[0]
        org_title, org_slug, org_kind, _ = ORGS[org_index]
        place = (
            rng.choice(muni_titles)
            if org_kind == "prefecture" and rng.random() < 0.4
            else org_title
        )
        topic, group, core = rng.choice(TOPICS)
        year = rng.randint(2015, 2025)
        reiwa = f"令和{year - 2018}年度" if year >= 2019 else f"平成{year - 1988}年度"
        year_text = reiwa if rng.random() < 0.6 else f"{year}年度"
        title = rng.choice(
            [
                f"{place}{topic}",
                f"{place} {topic}（{year_text}）",
                f"{topic}（{place}）",
                f"{year_text} {place}の{topic}",
                f"【{place}】{topic}データ",
            ]
        )
        other_topic = rng.choice(TOPICS)[0]
        department = rng.choice(DEPARTMENTS)
        sentences = [
            f"{place}が公開している{topic}のデータです。",
            f"{year_text}時点の情報を掲載しています。",
            f"{topic}について、所在地・連絡先・緯度経度などを提供します。",
            f"本データは{dict(GROUPS)[group]}分野の標準データセットに準拠しています。",
            rng.choice(["データは年1回更新します。", "毎月更新しています。", "随時更新します。"]),
            f"関連データとして{other_topic}もあわせてご利用ください。",
            "利用にあたっては出典を明記してください。",
            f"詳細は{place}のホームページをご確認ください。",
        ]
        notes = "".join(sentences[:2] + rng.sample(sentences[2:], rng.randint(1, 4)))
        dataset_id = seeded_uuid(rng)
        name = f"{org_slug}-{i:06d}"
        private = rng.random() < 0.05
        created_at = epoch + timedelta(seconds=rng.random() * span)
        modified_at = created_at + timedelta(seconds=rng.random() * 86400 * 400)
        dataset_rows.append(
            {
                "id": dataset_id,
                "name": name,
                "title": title,
                "notes": notes,
                "type": "dataset",
                "owner_org": org_ids[org_index],
                "license_id": rng.choices(LICENSES, LICENSE_WEIGHTS)[0],
                "author": f"{org_title}{department}",
                "author_email": "",
                "maintainer": f"{org_title}{department}",
                "maintainer_email": f"opendata@{org_slug}.example.jp",
                "url": "",
                "version": "",
                "frequency": rng.choice(FREQUENCIES),
                "spatial": place if rng.random() < 0.5 else "",
                "temporal_start": "",
                "temporal_end": "",
                "private": private,
                "state": "active",
                "creator_user_id": None,
                "metadata_created": created_at,
                "metadata_modified": min(modified_at, datetime(2026, 11, 20)),
                "revision": revision,
            }
        )
        if not private:
            public_names.append(name)
        tags = list(dict.fromkeys(rng.sample(core, rng.randint(1, len(core)))))
        if rng.random() < 0.7:
            tags.append(place)
        if rng.random() < 0.5:
            tags.append(reiwa)
        tags += rng.choices(tag_names, tag_weights, k=rng.randint(0, 3))
        for tag in dict.fromkeys(tags):
            tag_links.append({"dataset_id": dataset_id, "tag_id": tag_ids[tag]})
        chosen_groups = {group} if rng.random() < 0.8 else set()
        if rng.random() < 0.15:
            chosen_groups.add(rng.choice(GROUPS)[0])
        for slug in chosen_groups:
            group_links.append({"dataset_id": dataset_id, "group_id": group_ids[slug]})
        for position in range(rng.choices([1, 2, 3, 4], [0.4, 0.3, 0.2, 0.1])[0]):
            fmt, ext, mime = rng.choices(FORMATS, FORMAT_WEIGHTS)[0]
            resource_rows.append(
                {
                    "id": seeded_uuid(rng),
                    "dataset_id": dataset_id,
                    "position": position,
                    "name": f"{topic}（{fmt}）"
                    if position == 0
                    else f"{topic} {year}年 {position + 1}",
                    "description": f"{place}の{topic}（{year_text}）",
                    "url": f"https://opendata.example.jp/{org_slug}/{i:06d}/{position}.{ext}",
                    "url_type": "",
                    "storage_key": "",
                    "format": fmt,
                    "mimetype": mime,
                    "size": rng.randint(1_000, 5_000_000),
                    "hash": "",
                    "last_modified": modified_at,
                    "created": created_at,
                    "metadata_modified": modified_at,
                    "state": "active",
                    "extras": {},
                }
            )
    generate_seconds = time.perf_counter() - started

    log(
        f"inserting {len(dataset_rows):,} datasets, {len(resource_rows):,} resources, "
        f"{len(tag_links):,} tag links"
    )
    started = time.perf_counter()
    with services.engine.begin() as conn:
        conn.execute(insert(Organization.__table__), org_rows)
        conn.execute(insert(Group.__table__), group_rows)
        new_tags = [{"id": v, "name": k} for k, v in tag_ids.items() if k not in existing]
        conn.execute(insert(Tag.__table__), new_tags)
        for table, rows in (
            (Dataset.__table__, dataset_rows),
            (Resource.__table__, resource_rows),
            (dataset_tag, tag_links),
            (dataset_group, group_links),
        ):
            for start in range(0, len(rows), 10_000):
                conn.execute(insert(table), rows[start : start + 10_000])
        conn.execute(update(CatalogState).where(CatalogState.id == 1).values(revision=revision))
    insert_seconds = time.perf_counter() - started
    with services.sessions() as session:
        state_revision = session.scalar(select(CatalogState.revision))
        max_revision = session.scalar(select(Dataset.revision).order_by(Dataset.revision.desc()))
    if state_revision != max_revision:
        raise SystemExit(f"revision mismatch: catalog {state_revision}, dataset {max_revision}")
    _check_shape(services, dataset_rows[0]["id"])
    services.engine.dispose()
    rows = {
        "datasets": len(dataset_rows),
        "resources": len(resource_rows),
        "tags": len(tag_ids),
        "tag_links": len(tag_links),
        "group_links": len(group_links),
        "private": len(dataset_rows) - len(public_names),
    }
    marker.write_text(
        json.dumps(
            {
                "version": GENERATOR_VERSION,
                "datasets": n,
                "token": token,
                "public_names": public_names,
                "rows": rows,
            }
        )
    )
    catalog = Catalog(
        db_path, data_dir, n, token, public_names, generate_seconds, insert_seconds, rows
    )
    del dataset_rows, resource_rows, tag_links, group_links
    gc.collect()
    return catalog
