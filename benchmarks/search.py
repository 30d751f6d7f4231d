"""Search and package_show benchmark over a synthetic Japanese catalog (see benchmarks/README.md).

Steps, all in one run so that every figure has a baseline measured on the same machine state:

1. generate N synthetic datasets (seeded) and bulk-insert them into a fresh SQLite catalog;
2. build the index and write the host's snapshot file (time by phase, file size, RSS);
3. time a fixed query mix three ways, each system running the whole mix in its own loop per
   pass: the index itself (``MemoryIndex.search``), the HTTP API of a real uvicorn server, and
   raw SQLite doing the same work (``search_baseline.py``: term and trigram FTS5 indexes of the
   same normalised text, the same synonyms, GROUP BY facets, ORDER BY … LIMIT/OFFSET);
4. measure package_show throughput against ``uvicorn --workers 2`` (wrk, or a Python load
   generator), beside a raw SQLite lookup loop;
5. one index per host: start ``uvicorn --workers W`` for W = 1, 2, 4 from the snapshot (ready
   time), warm each up with the query mix and package_show, and sum the workers' PSS
   (/proc/PID/smaps_rollup: a page shared by k processes counts 1/k in each, so the shared
   snapshot counts once); the same with an empty catalog gives the framework's own share, and
   the difference is the index's memory on the host.

Writes benchmarks/results/search.json (run record and summary; see runrecord.py).

Usage: ``python benchmarks/search.py [--datasets 100000] [--queries 300] [--quick] [--reuse]``
(``--datasets 1000000`` works the same way; generate once and pass ``--reuse`` afterwards.)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import processes
from runrecord import RunRecord, add_results_argument, render_section, stats, write_result
from snapshot import snapshot_revision, snapshot_source
from sqlalchemy import create_engine, insert, select, update

ROOT = Path(__file__).resolve().parent
WORK = ROOT / ".work"
REPO = ROOT.parent


# A benchmark that imports this module (benchmarks/portal.py) takes its own snapshot and names
# it here first, so that importing never replaces .work/src under a search.py run in progress.
SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"


SRC = snapshot_source(SRC_ENV, "src")
sys.path.insert(0, str(SRC))

from search_baseline import Baseline  # noqa: E402  (imports tsunagu: after the snapshot)

from tsunagu.bootstrap import action_context, build_services  # noqa: E402
from tsunagu.catalog.dictize import package_dicts  # noqa: E402
from tsunagu.catalog.local_codes import check_digit  # noqa: E402
from tsunagu.catalog.models import (  # noqa: E402
    CatalogState,
    Dataset,
    Group,
    Organization,
    Resource,
    Tag,
    dataset_group,
    dataset_tag,
)
from tsunagu.catalog.search_params import search_query  # noqa: E402
from tsunagu.config import Settings  # noqa: E402
from tsunagu.context import Context  # noqa: E402
from tsunagu.registry import call_action  # noqa: E402
from tsunagu.search.interface import SearchQuery  # noqa: E402
from tsunagu.storage.migrate import upgrade  # noqa: E402

# Bump when the generator changes, so --reuse never picks up a catalog of another shape.
GENERATOR_VERSION = 1
TARGET_SEARCH_P95_MS = 30.0
TARGET_SHOW_RPS = 800.0
TARGET_INDEX_MIB = 500.0  # index memory per host, however many workers (issue 14)
TARGET_READY_SECONDS = 10.0  # a worker ready from a snapshot
TARGET_REBUILD_SECONDS = 60.0
# The nationwide scale (issue 14): build time and memory are reported, the search p95 has a target.
LARGE_CATALOG = 1_000_000
TARGET_LARGE_SEARCH_P95_MS = 50.0


def result_name(datasets: int) -> str:
    """search.json for the 100,000-dataset figures, search-1m.json for the nationwide scale."""
    return "search-1m" if datasets >= LARGE_CATALOG else "search"


def targets_for(datasets: int) -> dict[str, float]:
    if datasets >= LARGE_CATALOG:
        return {"search_p95_ms": TARGET_LARGE_SEARCH_P95_MS}
    return {
        "search_p95_ms": TARGET_SEARCH_P95_MS,
        "show_rps": TARGET_SHOW_RPS,
        "index_mib": TARGET_INDEX_MIB,
        "ready_seconds": TARGET_READY_SECONDS,
        "rebuild_seconds": TARGET_REBUILD_SECONDS,
    }


SHARING_WORKERS = (1, 2, 4)
ADMIN = "bench-admin"
MISMATCHES_SHOWN = 30  # count differences listed in the results, each to be explained

# -- vocabulary ---------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return text.split()


# (title, slug, kind, first five digits of the 全国地方公共団体コード)
ORGS: list[tuple[str, str, str, str]] = [
    ("山口県", "yamaguchi-pref", "prefecture", "35000"),
    ("下関市", "shimonoseki-city", "municipality", "35201"),
    ("宇部市", "ube-city", "municipality", "35202"),
    ("山口市", "yamaguchi-city", "municipality", "35203"),
    ("萩市", "hagi-city", "municipality", "35204"),
    ("防府市", "hofu-city", "municipality", "35206"),
    ("下松市", "kudamatsu-city", "municipality", "35207"),
    ("岩国市", "iwakuni-city", "municipality", "35208"),
    ("光市", "hikari-city", "municipality", "35210"),
    ("長門市", "nagato-city", "municipality", "35211"),
    ("柳井市", "yanai-city", "municipality", "35212"),
    ("美祢市", "mine-city", "municipality", "35213"),
    ("周南市", "shunan-city", "municipality", "35215"),
    ("山陽小野田市", "sanyo-onoda-city", "municipality", "35216"),
    ("周防大島町", "suooshima-town", "municipality", "35305"),
    ("和木町", "waki-town", "municipality", "35321"),
    ("上関町", "kaminoseki-town", "municipality", "35341"),
    ("田布施町", "tabuse-town", "municipality", "35343"),
    ("平生町", "hirao-town", "municipality", "35344"),
    ("阿武町", "abu-town", "municipality", "35502"),
    ("広島県", "hiroshima-pref", "prefecture", "34000"),
    ("広島市", "hiroshima-city", "municipality", "34100"),
    ("呉市", "kure-city", "municipality", "34202"),
    ("尾道市", "onomichi-city", "municipality", "34205"),
    ("福山市", "fukuyama-city", "municipality", "34207"),
    ("福岡県", "fukuoka-pref", "prefecture", "40000"),
    ("北九州市", "kitakyushu-city", "municipality", "40100"),
    ("福岡市", "fukuoka-city", "municipality", "40130"),
    ("久留米市", "kurume-city", "municipality", "40203"),
    ("島根県", "shimane-pref", "prefecture", "32000"),
    ("松江市", "matsue-city", "municipality", "32201"),
    ("浜田市", "hamada-city", "municipality", "32202"),
    ("出雲市", "izumo-city", "municipality", "32203"),
    ("鳥取県", "tottori-pref", "prefecture", "31000"),
    ("鳥取市", "tottori-city", "municipality", "31201"),
    ("米子市", "yonago-city", "municipality", "31202"),
    ("岡山県", "okayama-pref", "prefecture", "33000"),
    ("岡山市", "okayama-city", "municipality", "33100"),
    ("倉敷市", "kurashiki-city", "municipality", "33202"),
    ("愛媛県", "ehime-pref", "prefecture", "38000"),
    ("松山市", "matsuyama-city", "municipality", "38201"),
    ("今治市", "imabari-city", "municipality", "38202"),
    ("徳島市", "tokushima-city", "municipality", "36201"),
    ("高松市", "takamatsu-city", "municipality", "37201"),
    ("高知市", "kochi-city", "municipality", "39201"),
    ("佐賀市", "saga-city", "municipality", "41201"),
    ("長崎市", "nagasaki-city", "municipality", "42201"),
    ("熊本市", "kumamoto-city", "municipality", "43100"),
    ("大分市", "oita-city", "municipality", "44201"),
    ("別府市", "beppu-city", "municipality", "44202"),
]
GROUPS: list[tuple[str, str]] = [
    ("bousai", "防災・安全"),
    ("kosodate", "子育て・教育"),
    ("kanko", "観光・文化"),
    ("kenko", "健康・福祉"),
    ("kankyo", "環境・エネルギー"),
    ("kotsu", "交通・インフラ"),
    ("tokei", "人口・統計"),
    ("gyosei", "行政・財政"),
    ("sangyo", "産業・経済"),
    ("kurashi", "くらし・住まい"),
]
# (title word, group, core tags)
TOPICS: list[tuple[str, str, list[str]]] = [
    ("指定緊急避難場所", "bousai", ["避難所", "防災", "災害"]),
    ("避難所一覧", "bousai", ["避難所", "防災"]),
    ("ハザードマップ", "bousai", ["防災", "ハザードマップ", "地図"]),
    ("洪水浸水想定区域", "bousai", ["防災", "洪水", "河川"]),
    ("土砂災害警戒区域", "bousai", ["防災", "土砂災害"]),
    ("津波浸水想定", "bousai", ["防災", "津波"]),
    ("消防水利", "bousai", ["消防", "防災"]),
    ("救急出動件数", "bousai", ["救急", "消防", "統計"]),
    ("AED設置場所", "kenko", ["AED", "医療", "公共施設"]),
    ("医療機関一覧", "kenko", ["医療", "病院"]),
    ("介護サービス事業所", "kenko", ["介護", "福祉"]),
    ("薬局一覧", "kenko", ["医療", "薬局"]),
    ("健康診断受診率", "kenko", ["健康", "統計"]),
    ("予防接種実施医療機関", "kenko", ["医療", "予防接種"]),
    ("人口統計", "tokei", ["人口", "統計"]),
    ("年齢別人口", "tokei", ["人口", "統計", "年齢"]),
    ("町丁別世帯数", "tokei", ["人口", "世帯"]),
    ("出生数・死亡数", "tokei", ["人口", "人口動態"]),
    ("転入転出者数", "tokei", ["人口", "人口動態"]),
    ("将来人口推計", "tokei", ["人口", "推計"]),
    ("観光施設一覧", "kanko", ["観光", "施設"]),
    ("観光客数", "kanko", ["観光", "統計"]),
    ("宿泊者数", "kanko", ["観光", "宿泊"]),
    ("文化財一覧", "kanko", ["文化財", "観光"]),
    ("イベント情報", "kanko", ["イベント", "観光"]),
    ("温泉施設", "kanko", ["温泉", "観光"]),
    ("子育て支援施設", "kosodate", ["子育て", "施設"]),
    ("保育園一覧", "kosodate", ["子育て", "保育園"]),
    ("幼稚園一覧", "kosodate", ["子育て", "幼稚園"]),
    ("小学校一覧", "kosodate", ["教育", "学校"]),
    ("学校給食献立", "kosodate", ["教育", "給食"]),
    ("児童館", "kosodate", ["子育て", "児童"]),
    ("図書館蔵書数", "kosodate", ["図書館", "教育"]),
    ("公共施設一覧", "gyosei", ["公共施設", "施設"]),
    ("公衆トイレ", "kurashi", ["公共施設", "トイレ"]),
    ("公衆無線LAN", "kurashi", ["Wi-Fi", "公共施設"]),
    ("公園一覧", "kurashi", ["公園", "公共施設"]),
    ("空き家バンク", "kurashi", ["空き家", "住宅"]),
    ("市営住宅", "kurashi", ["住宅", "公共施設"]),
    ("地価公示", "kurashi", ["地価", "土地"]),
    ("ごみ収集日", "kankyo", ["ごみ", "環境"]),
    ("ごみ分別辞典", "kankyo", ["ごみ", "分別"]),
    ("大気汚染測定結果", "kankyo", ["大気", "環境"]),
    ("水質検査結果", "kankyo", ["水質", "環境"]),
    ("気象観測データ", "kankyo", ["気象", "環境"]),
    ("再生可能エネルギー導入量", "kankyo", ["エネルギー", "環境"]),
    ("バス停留所", "kotsu", ["バス", "交通"]),
    ("駐車場一覧", "kotsu", ["駐車場", "交通"]),
    ("道路工事情報", "kotsu", ["道路", "交通"]),
    ("橋梁点検結果", "kotsu", ["橋梁", "インフラ"]),
    ("予算書", "gyosei", ["予算", "財政"]),
    ("決算状況", "gyosei", ["決算", "財政"]),
    ("入札結果", "gyosei", ["入札", "契約"]),
    ("職員数", "gyosei", ["職員", "統計"]),
    ("投票所一覧", "gyosei", ["選挙", "投票所"]),
    ("選挙結果", "gyosei", ["選挙", "統計"]),
    ("事業所数", "sangyo", ["事業所", "統計"]),
    ("農業産出額", "sangyo", ["農業", "統計"]),
    ("漁獲量", "sangyo", ["漁業", "統計"]),
    ("有効求人倍率", "sangyo", ["雇用", "統計"]),
]
EXTRA_TAGS = words("""
オープンデータ 標準データセット 推奨データセット 位置情報 緯度経度 一覧 施設情報 月次 年次 随時更新 地図 GIS
5つ星 CSV 機械判読 安全 安心 くらし 高齢者 障害者 外国人 多言語 英語 バリアフリー
夜間 休日 緊急 点検 調査 計画 条例 補助金 助成 申請 届出 窓口
相談 講座 スポーツ 体育館 プール 公民館 集会所 コミュニティ 自治会 ボランティア NPO 男女共同参画
国際交流 姉妹都市 ふるさと納税 移住 定住 就職 創業 中小企業 商店街 特産品 農産物 水産物
林業 森林 河川 海岸 港湾 空港 鉄道 自転車 タクシー 渋滞 交通事故 防犯
犯罪 火災 地震 台風 大雨 熱中症 感染症 ワクチン 検診 がん 歯科 妊婦
乳幼児 ひとり親 放課後 学童 奨学金 給付 手当
""")
YEAR_TAGS = [f"令和{n}年度" for n in range(1, 8)] + [f"平成{n}年度" for n in range(20, 31)]
DEPARTMENTS = words("""
総務課 防災危機管理課 観光振興課 子育て支援課 健康増進課 環境政策課 情報政策課 統計調査課
都市計画課 財政課 教育委員会 選挙管理委員会
""")
FORMATS = [
    ("CSV", "csv", "text/csv"),
    ("XLSX", "xlsx", "application/vnd.ms-excel"),
    ("PDF", "pdf", "application/pdf"),
    ("JSON", "json", "application/json"),
]
FORMAT_WEIGHTS = [0.5, 0.2, 0.2, 0.1]
LICENSES = ["cc-by-4.0", "pdl-1.0", "cc0-1.0"]
LICENSE_WEIGHTS = [0.6, 0.25, 0.15]
FREQUENCIES = ["", "年次", "月次", "随時", "四半期"]

FACET_FIELDS = ["organization", "groups", "tags", "res_format", "license_id"]
WORDS_2 = words("""
人口 避難 観光 AED 子育 公園 統計 防災 施設 医療 保育 給食
津波 介護 温泉 選挙 駐車 図書
""")
PHRASES = words("""
避難所 子育て支援 公共施設 人口統計 観光客数 ハザードマップ 指定緊急避難場所 保育園
下関市 医療機関 ごみ分別 土砂災害警戒区域 バス停留所 文化財 令和5年度 学校給食
空き家バンク 介護サービス 年齢別人口 標準データセット
""")


def all_tags() -> list[str]:
    seen: dict[str, None] = {}
    for _, _, core in TOPICS:
        seen.update(dict.fromkeys(core))
    seen.update(dict.fromkeys(EXTRA_TAGS))
    seen.update(dict.fromkeys(o[0] for o in ORGS))
    seen.update(dict.fromkeys(YEAR_TAGS))
    seen.update(dict.fromkeys(t[0] for t in TOPICS))
    seen.update(dict.fromkeys(g[1] for g in GROUPS))
    return list(seen)[:300]


# -- small helpers -------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_mb(pid: int | str = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def pss_mb(pid: int) -> float:
    """Proportional set size: each page divided by the number of processes mapping it."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def mapped_snapshot_pss_mb(pid: int) -> float:
    """PSS of the search snapshot file's pages mapped by one process (/proc/PID/smaps)."""
    total = 0
    inside = False
    try:
        for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
            if line[:1] in "0123456789abcdef" and "-" in line.split(" ", 1)[0]:
                inside = "/search/snapshot-" in line
            elif inside and line.startswith("Pss:"):
                total += int(line.split()[1])
    except OSError:
        return float("nan")
    return total / 1024


def child_pids(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return children


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q)) if samples else float("nan")


def seeded_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


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


# -- 3a. the query mix -------------------------------------------------------------------------


@dataclass
class Query:
    kind: str
    words: list[str] = field(default_factory=list)
    # AND over fields, OR over the values of one field.
    fq: list[tuple[str, list[str]]] = field(default_factory=list)
    facets: list[str] = field(default_factory=list)
    sort: str = ""
    start: int = 0
    rows: int = 10
    private: bool = False

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {"rows": str(self.rows)}
        if self.words:
            out["q"] = " ".join(self.words)
        if self.fq:
            parts = []
            for field_name, values in self.fq:
                terms = [f'{field_name}:"{v}"' for v in values]
                parts.append(terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")")
            out["fq"] = " AND ".join(parts)
        if self.facets:
            out["facet.field"] = json.dumps(self.facets, ensure_ascii=False)
        if self.sort:
            out["sort"] = self.sort
        if self.start:
            out["start"] = str(self.start)
        if self.private:
            out["include_private"] = "true"
        return out


KIND_WEIGHTS = {
    "word2": 0.18,
    "phrase": 0.14,
    "multi": 0.10,
    "facets": 0.14,
    "fq": 0.14,
    "fq_or": 0.08,
    "paging": 0.10,
    "sort": 0.07,
    "private": 0.05,
}
SORTS = ["", "score desc, metadata_modified desc", "metadata_modified desc", "title_string asc"]


def make_queries(count: int, seed: int) -> list[Query]:
    rng = random.Random(seed + 1)
    kinds: list[str] = []
    for kind, weight in KIND_WEIGHTS.items():
        kinds += [kind] * max(1, round(weight * count))
    rng.shuffle(kinds)
    orgs = [o[1] for o in ORGS]
    popular_tags = all_tags()[:60]
    formats = [f[0] for f in FORMATS]
    munis = [o[0] for o in ORGS]

    def maybe_facets(p: float = 0.5) -> list[str]:
        return list(FACET_FIELDS) if rng.random() < p else []

    def any_word() -> list[str]:
        return [rng.choice(WORDS_2 + PHRASES)]

    queries = []
    for kind in kinds[:count]:
        q = Query(kind)
        if kind == "word2":
            q.words, q.facets, q.rows = [rng.choice(WORDS_2)], maybe_facets(), rng.choice([10, 20])
        elif kind == "phrase":
            q.words, q.facets = [rng.choice(PHRASES)], maybe_facets()
        elif kind == "multi":
            q.words = rng.choice(
                [
                    [rng.choice(munis), rng.choice(PHRASES)],
                    [rng.choice(WORDS_2), rng.choice(PHRASES)],
                    [rng.choice(WORDS_2), str(rng.randint(2015, 2025))],
                    [rng.choice(munis), rng.choice(WORDS_2), rng.choice(WORDS_2)],
                ]
            )
            q.facets = maybe_facets()
        elif kind == "facets":
            q.words = [] if rng.random() < 0.4 else any_word()
            q.facets = list(FACET_FIELDS)
        elif kind == "fq":
            q.words = [] if rng.random() < 0.5 else any_word()
            q.fq = rng.choice(
                [
                    [("organization", [rng.choice(orgs)])],
                    [("tags", [rng.choice(popular_tags)])],
                    [("res_format", [rng.choice(formats)])],
                    [("organization", [rng.choice(orgs)]), ("tags", [rng.choice(popular_tags)])],
                    [("tags", [rng.choice(popular_tags)]), ("res_format", ["CSV"])],
                    [("groups", [rng.choice(GROUPS)[0]])],
                    [("license_id", [rng.choice(LICENSES)])],
                ]
            )
            q.facets = maybe_facets()
        elif kind == "fq_or":
            q.words = [] if rng.random() < 0.5 else any_word()
            q.fq = rng.choice(
                [
                    [("res_format", rng.sample(formats, 2))],
                    [("organization", rng.sample(orgs, rng.randint(2, 4)))],
                    [("tags", rng.sample(popular_tags, 2)), ("organization", [rng.choice(orgs)])],
                    [("groups", [g[0] for g in rng.sample(GROUPS, 2)]), ("res_format", ["CSV"])],
                ]
            )
            q.facets = maybe_facets()
        elif kind == "paging":
            q.words = [] if rng.random() < 0.6 else [rng.choice(["人口", "施設", "観光", "防災"])]
            q.start = rng.choice([10, 20, 50, 100, 200, 500, 800, 1000])
            q.rows = rng.choice([10, 20, 50, 100])
            q.sort = rng.choice(SORTS)
            q.facets = maybe_facets(0.3)
        elif kind == "sort":
            q.words = [] if rng.random() < 0.4 else any_word()
            q.sort = rng.choice(SORTS[1:])
            q.rows = rng.choice([10, 20])
            q.facets = maybe_facets()
        elif kind == "private":
            q.words = [] if rng.random() < 0.4 else any_word()
            q.private = True
            q.facets = maybe_facets()
        queries.append(q)
    return queries


# -- the server ---------------------------------------------------------------------------------


class Server:
    """``uvicorn tsunagu.asgi:app`` in a subprocess on a free loopback port."""

    def __init__(
        self, catalog: Catalog, workers: int, src: Path = SRC, site_url: str | None = None
    ) -> None:
        self.catalog = catalog
        self.workers = workers
        self.src = src.resolve()
        self.port = processes.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.site_url = site_url
        self.log_path = WORK / f"uvicorn-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_seconds = float("nan")

    def start(self, timeout: float = 900) -> Server:
        env = {
            **os.environ,
            "TSUNAGU_DATA_DIR": str(self.catalog.data_dir),
            "TSUNAGU_DATABASE_URL": self.catalog.url,
            # The search snapshot is made for one site URL (package JSON holds links): a server
            # given the URL the snapshot was built with opens it instead of rebuilding.
            "TSUNAGU_SITE_URL": self.site_url or self.url,
            # One client address sends every request: the per-address API limits would
            # answer 429 long before the measurement ends.
            "TSUNAGU_API_RATE_LIMIT": "0",
            "TSUNAGU_SQL_RATE_LIMIT": "0",
            "PYTHONPATH": str(self.src),
        }
        self.proc, self.ready_seconds = processes.start_uvicorn(
            env,
            self.port,
            self.log_path,
            WORK,
            timeout=timeout,
            workers=self.workers,
            strict=True,
            poll=0.5,
        )
        return self

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        pids = child_pids(self.proc.pid) if self.workers > 1 else [self.proc.pid]
        # uvicorn's multiprocessing also starts a resource tracker: not a worker.
        return [pid for pid in pids if b"resource_tracker" not in _cmdline(pid)]

    def rss(self) -> list[float]:
        """RSS in MiB of each process that serves requests (the workers, or the one process)."""
        return [rss_mb(pid) for pid in self.worker_pids()]

    def pss(self) -> list[float]:
        return [pss_mb(pid) for pid in self.worker_pids()]

    def stop(self) -> None:
        processes.stop(self.proc)


# -- 3b. timing the mix -------------------------------------------------------------------------


@dataclass
class Timings:
    engine: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    # HTTP on a server running the previous code (--before-src), for a before/after comparison.
    http_before: list[float] = field(default_factory=list)


def run_mix(
    queries: list[Query],
    services: Any,
    server: Server,
    baseline: Baseline,
    token: str,
    passes: int,
    before: Server | None = None,
    raw_sample: frozenset[int] | None = None,
) -> tuple[dict[str, Timings], dict[str, Any]]:
    """Time the mix on the engine, over HTTP and on raw SQLite. ``raw_sample`` limits SQLite to
    those queries (by index) at the nationwide scale, where one raw query takes seconds."""
    with services.sessions() as session:
        anonymous = Context(services=services, session=session)
        admin = Context(services=services, session=session, ignore_auth=True)
        prepared: list[SearchQuery] = [
            search_query(admin if q.private else anonymous, q.params()) for q in queries
        ]
    index = services.search
    client = httpx.Client(base_url=server.url, timeout=60)
    before_client = httpx.Client(base_url=before.url, timeout=60) if before else None
    admin_headers = {"Authorization": token}
    by_kind: dict[str, Timings] = defaultdict(Timings)
    checks = {
        "engine_vs_http": 0,
        "engine_vs_raw": 0,
        "raw_mismatches": [],
        "http_errors": 0,
        "counts": [],
        "before_vs_http": 0,
        "before_mismatches": [],
    }

    def call_engine(i: int) -> None:
        index.search(prepared[i])

    def call_http(i: int) -> None:
        q = queries[i]
        client.get(
            "/api/3/action/package_search",
            params=q.params(),
            headers=admin_headers if q.private else None,
        ).raise_for_status()

    def call_raw(i: int) -> None:
        baseline.search(queries[i])

    def call_http_before(i: int) -> None:
        assert before_client is not None
        q = queries[i]
        before_client.get(
            "/api/3/action/package_search",
            params=q.params(),
            headers=admin_headers if q.private else None,
        ).raise_for_status()

    systems = [("engine", call_engine), ("http", call_http), ("raw", call_raw)]
    if before_client is not None:
        systems.insert(2, ("http_before", call_http_before))
    try:
        # Warm-up pass, not timed: every system sees every query once, and counts are compared.
        # Its progress is logged with each system's share: at the nationwide scale one pass
        # takes long enough to need telling where the time goes.
        spent = {"engine": 0.0, "http": 0.0, "raw": 0.0}
        for done, (q, prepared_query) in enumerate(zip(queries, prepared, strict=True), 1):
            started = time.perf_counter()
            result = index.search(prepared_query)
            spent["engine"] += time.perf_counter() - started
            started = time.perf_counter()
            response = client.get(
                "/api/3/action/package_search",
                params=q.params(),
                headers=admin_headers if q.private else None,
            )
            spent["http"] += time.perf_counter() - started
            raw_count = None
            if raw_sample is None or done - 1 in raw_sample:
                started = time.perf_counter()
                raw_count, _, _ = baseline.search(q)
                spent["raw"] += time.perf_counter() - started
            if done % 50 == 0:
                shares = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in spent.items())
                log(f"warm-up: {done}/{len(queries)} queries ({shares})")
            body = response.json()
            if response.status_code != 200 or not body.get("success"):
                checks["http_errors"] += 1
                continue
            checks["engine_vs_http"] += body["result"]["count"] == result.count
            if before_client is not None:
                # Same count, same first page and same facets as the previous code.
                old = before_client.get(
                    "/api/3/action/package_search",
                    params=q.params(),
                    headers=admin_headers if q.private else None,
                ).json()["result"]
                new = body["result"]
                same = (
                    old["count"] == new["count"]
                    and [r["id"] for r in old["results"]] == [r["id"] for r in new["results"]]
                    and old.get("facets") == new.get("facets")
                )
                checks["before_vs_http"] += same
                if not same and len(checks["before_mismatches"]) < MISMATCHES_SHOWN:
                    checks["before_mismatches"].append(
                        f"{q.params()}: before {old['count']}, now {new['count']}"
                    )
            checks["counts"].append(result.count)
            if raw_count is None:
                continue
            checks["engine_vs_raw"] += raw_count == result.count
            if raw_count != result.count and len(checks["raw_mismatches"]) < MISMATCHES_SHOWN:
                checks["raw_mismatches"].append(
                    f"{q.params()}: tsunagu {result.count}, sqlite {raw_count}"
                )
        log("warm-up pass done")
        # Timed passes. Each system runs the whole mix in its own loop: interleaving them query
        # by query lets SQLite's full scans evict the server's working set from the CPU caches
        # between its requests, which roughly doubled the HTTP times measured.
        for run in range(1, passes + 1):
            for name, call in systems:
                for i, q in enumerate(queries):
                    if name == "raw" and raw_sample is not None and i not in raw_sample:
                        continue
                    t0 = time.perf_counter()
                    call(i)
                    getattr(by_kind[q.kind], name).append((time.perf_counter() - t0) * 1000)
            log(f"timed pass {run}/{passes} done")
    finally:
        client.close()
        if before_client is not None:
            before_client.close()
    return dict(by_kind), checks


# -- 5. package_show throughput ---------------------------------------------------------------


def ensure_wrk(allow_install: bool) -> str | None:
    found = shutil.which("wrk")
    if found or not allow_install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    log("wrk not found: apt-get install -y wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"],
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.SubprocessError, OSError):
        try:
            subprocess.run(
                ["apt-get", "update", "-q"], env=env, check=True, capture_output=True, timeout=300
            )
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "wrk"],
                env=env,
                check=True,
                capture_output=True,
                timeout=300,
            )
        except (subprocess.SubprocessError, OSError) as error:
            log(f"could not install wrk ({error}); using the Python load generator")
    return shutil.which("wrk")


WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"socket_errors\\": \\"%%d connect, "
    .. "%%d read, %%d write, %%d timeout\\", \\"errors\\": %%d, "
    .. "\\"status_errors\\": %%d, \\"p50_us\\": %%d, \\"p90_us\\": %%d, \\"p99_us\\": %%d, "
    .. "\\"mean_us\\": %%f, \\"max_us\\": %%d}\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max))
end
"""


def run_wrk(
    wrk: str, url: str, paths: list[str], seconds: int, connections: int, threads: int
) -> dict[str, Any]:
    paths_file = WORK / "wrk-paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    script = WORK / "wrk-random.lua"
    script.write_text(WRK_SCRIPT % {"paths": paths_file})
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    return {
        "tool": f"wrk -t{threads} -c{connections}",
        "requests": data["requests"],
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "errors": data["errors"] + data["status_errors"],
        "error_detail": f"{data['socket_errors']}, {data['status_errors']} non-2xx",
        "p50_ms": data["p50_us"] / 1000,
        "p90_ms": data["p90_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "mean_ms": data["mean_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
    }


def _load_worker(args: tuple[str, int, list[str], float, int, int]) -> tuple[list[float], int]:
    import http.client
    import threading

    host, port, paths, seconds, threads, seed = args
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def loop(thread_seed: int) -> None:
        rng = random.Random(thread_seed)
        connection = http.client.HTTPConnection(host, port, timeout=10)
        mine: list[float] = []
        failed = 0
        deadline = time.perf_counter() + seconds
        while (now := time.perf_counter()) < deadline:
            try:
                connection.request("GET", rng.choice(paths))
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=10)
                continue
            mine.append((time.perf_counter() - now) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    workers = [threading.Thread(target=loop, args=(seed * 100 + i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, errors[0]


def run_python_load(
    port: int, paths: list[str], seconds: int, processes: int, threads: int
) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with context.Pool(processes) as pool:
        parts = pool.map(
            _load_worker,
            [("127.0.0.1", port, paths, seconds, threads, i) for i in range(processes)],
        )
    elapsed = time.perf_counter() - started
    latencies = [x for part, _ in parts for x in part]
    return {
        "tool": f"Python http.client, {processes} processes x {threads} keep-alive connections",
        "requests": len(latencies),
        "rps": len(latencies) / max(seconds, elapsed - 1.0),
        "errors": sum(e for _, e in parts),
        "p50_ms": pct(latencies, 50),
        "p90_ms": pct(latencies, 90),
        "p99_ms": pct(latencies, 99),
        "mean_ms": float(np.mean(latencies)) if latencies else float("nan"),
        "max_ms": max(latencies, default=float("nan")),
    }


def raw_lookup_qps(db_path: Path, sql: str, names: list[str], seconds: float) -> float:
    conn = sqlite3.connect(db_path)
    rng = random.Random(7)
    done = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for name in rng.choices(names, k=500):
            conn.execute(sql, (name,)).fetchone()
        done += 500
    elapsed = time.perf_counter() - started
    conn.close()
    return done / elapsed


# -- the results file ----------------------------------------------------------------------------


def raw_sample_of(queries: list[Query], per_kind: int) -> frozenset[int] | None:
    """The first ``per_kind`` queries of each kind (all of them when ``per_kind`` is 0): the
    queries raw SQLite is timed on."""
    if per_kind <= 0:
        return None
    taken: dict[str, int] = defaultdict(int)
    sample = set()
    for i, query in enumerate(queries):
        if taken[query.kind] < per_kind:
            taken[query.kind] += 1
            sample.add(i)
    return frozenset(sample)


def _warm_up(server: Server, queries: list[Query], names: list[str]) -> None:
    """Every query of the mix and package_show of up to 2,000 datasets, so that the pages a
    busy server touches are mapped before memory is read."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for _ in range(2):  # several workers: requests spread over them
            for query in queries:
                client.get("/api/3/action/package_search", params=query.params())
        for name in names[:2000]:
            client.get("/api/3/action/package_show", params={"id": name})


def measure_sharing(catalog: Catalog, queries: list[Query], site_url: str) -> list[dict[str, Any]]:
    """Ready time and summed PSS of W workers on the catalog (from its snapshot) and on an
    empty catalog, for each W in SHARING_WORKERS."""
    empty_dir = WORK / "search-empty-catalog"
    shutil.rmtree(empty_dir, ignore_errors=True)
    empty_dir.mkdir(parents=True)
    empty = Catalog(empty_dir / "tsunagu.db", empty_dir, 0, "", [])
    rows = []
    for workers in SHARING_WORKERS:
        row: dict[str, Any] = {"workers": workers}
        for label, which in (("catalog", catalog), ("empty", empty)):
            server = Server(which, workers=workers, site_url=site_url)
            try:
                log(f"sharing: {workers} worker(s) on the {label} catalog")
                server.start()
                _warm_up(server, queries, catalog.public_names)
                pss = server.pss()
                row[label] = {
                    "ready_seconds": server.ready_seconds,
                    "pss_mib": pss,
                    "pss_sum_mib": float(sum(pss)),
                    "rss_mib": server.rss(),
                    # The share of the summed PSS that is the mapped snapshot file itself.
                    "snapshot_pss_sum_mib": float(
                        sum(mapped_snapshot_pss_mb(pid) for pid in server.worker_pids())
                    ),
                }
            finally:
                server.stop()
        row["index_mib"] = row["catalog"]["pss_sum_mib"] - row["empty"]["pss_sum_mib"]
        log(
            f"sharing: {workers} worker(s): ready {row['catalog']['ready_seconds']:.1f} s, "
            f"PSS {row['catalog']['pss_sum_mib']:.0f} MiB (empty {row['empty']['pss_sum_mib']:.0f}"
            f" MiB): index {row['index_mib']:.0f} MiB"
        )
        rows.append(row)
    return rows


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    """What goes into benchmarks/results/search.json: figures, not samples."""
    by_kind: dict[str, Timings] = report["by_kind"]
    systems = ["engine", "http", "raw"] + (["http_before"] if report.get("before") else [])
    overall = {
        name: stats([x for t in by_kind.values() for x in getattr(t, name)]) for name in systems
    }
    kinds = [
        {"kind": kind, **{name: stats(getattr(by_kind[kind], name)) for name in systems}}
        for kind in KIND_WEIGHTS
        if kind in by_kind
    ]
    checks = dict(report["checks"])
    checks["median_count"] = float(np.median(checks.pop("counts") or [0]))
    return {
        "catalog": {
            "datasets": report["datasets"],
            "rows": report["rows"],
            "organisations": len(ORGS),
            "groups": len(GROUPS),
            "reused": not report["generate_seconds"],
            "generate_seconds": report["generate_seconds"],
            "insert_seconds": report["insert_seconds"],
        },
        "index": {
            "build_seconds": report["build_seconds"],
            "rss_before_mib": report["rss_before"],
            "rss_after_mib": report["rss_after"],
            # Phases of the build: documents and postings in memory, then the snapshot file.
            "phases": report.get("build_phases", {}),
        },
        "sharing": report.get("sharing", []),
        "server": {
            "workers": 2,
            "ready_seconds": report["server_ready"],
            "rss_mib": report["server_rss"],
            "rss_after_mib": report.get("server_rss_after", []),
            "pss_after_mib": report.get("server_pss_after", []),
        },
        "before": report.get("before"),
        "baseline": {"build_seconds": report["baseline_seconds"]},
        "queries": report["queries"],
        "raw_sampled": report["raw_sampled"],
        "passes": report["passes"],
        "overall": overall,
        "kinds": kinds,
        "checks": checks,
        "show": {**report["show"], "seconds": report["show_seconds"]},
        "status": report.get("status"),
        "raw_lookup": {"row_qps": report["raw_row_qps"], "json_qps": report["raw_json_qps"]},
        "targets": targets_for(report["datasets"]),
    }


# -- main -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--passes", type=int, default=2, help="timed passes over the mix")
    parser.add_argument("--seconds", type=int, default=15, help="package_show load duration")
    parser.add_argument(
        "--raw-per-kind",
        type=int,
        default=None,
        help="time raw SQLite on this many queries of each kind only (default: all of them, "
        f"3 per kind from {LARGE_CATALOG:,} datasets, where one raw query takes seconds)",
    )
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--quick", action="store_true", help="5k datasets, short runs")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse a catalog generated earlier with the same size and seed",
    )
    parser.add_argument("--no-wrk", action="store_true", help="use the Python load generator")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--output", type=Path, default=None, help="write the Markdown here")
    add_results_argument(parser)
    parser.add_argument(
        "--before-src",
        type=Path,
        default=None,
        help="a directory holding a previous tsunagu package (e.g. `git archive HEAD "
        "src/tsunagu | tar -x -C DIR --strip-components=1`): a second server runs it and its "
        "HTTP times and results are compared in the same run",
    )
    args = parser.parse_args()
    if args.before_src:
        # Absolute: the server runs in .work, and a PYTHONPATH entry that does not exist there
        # would silently fall back to the installed (current) code.
        args.before_src = args.before_src.resolve()
        if not (args.before_src / "tsunagu" / "__init__.py").exists():
            parser.error(f"--before-src {args.before_src}: no tsunagu package there")
    if args.quick:
        args.datasets, args.queries, args.seconds = 5_000, min(args.queries, 100), 5
    name = result_name(args.datasets)
    record = RunRecord(name, args.quick, source=snapshot_revision())

    catalog = create_catalog(args.datasets, args.seed, args.reuse)
    log(f"catalog ready: {catalog.rows}")

    settings = Settings(data_dir=catalog.data_dir, database_url=catalog.url)
    services = build_services(settings)
    gc.collect()
    rss_before = rss_mb()
    log("building the index in-process")
    started = time.perf_counter()
    with services.sessions() as session:
        indexed = services.search.rebuild(session)
    build_seconds = time.perf_counter() - started
    gc.collect()
    rss_after = rss_mb()
    log(f"indexed {indexed:,} datasets in {build_seconds:.1f} s; RSS {rss_after:.0f} MiB")
    build_phases = dict(getattr(services.search, "build_timings", {}))
    log(f"build phases: {build_phases}")

    baseline = Baseline(catalog.data_dir / "baseline.db")
    baseline_seconds: float | None = None
    if args.reuse and baseline.holds(services.search.docs):
        log("reusing the SQLite baseline: it holds the index's documents")
    else:
        log("building the SQLite baseline")
        baseline_seconds = baseline.build(services.search.docs)
    baseline.open()

    queries = make_queries(args.queries, args.seed)
    if args.raw_per_kind is None:
        args.raw_per_kind = 3 if args.datasets >= LARGE_CATALOG else 0
    raw_sample = raw_sample_of(queries, args.raw_per_kind)
    server = Server(catalog, workers=2, site_url=settings.site_url)
    before = Server(catalog, workers=2, src=args.before_src) if args.before_src else None
    report: dict[str, Any] = {
        "datasets": args.datasets,
        "rows": catalog.rows,
        "generate_seconds": catalog.generate_seconds,
        "insert_seconds": catalog.insert_seconds,
        "build_seconds": build_seconds,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "build_phases": build_phases,
        "baseline_seconds": baseline_seconds,
        "queries": len(queries),
        "raw_sampled": len(raw_sample) if raw_sample is not None else len(queries),
        "passes": args.passes,
        "show_seconds": args.seconds,
    }
    try:
        log("starting uvicorn --workers 2 (the workers open the snapshot just written)")
        server.start()
        report["server_ready"] = server.ready_seconds
        report["server_rss"] = server.rss()
        log(f"server ready in {server.ready_seconds:.1f} s at {server.url}")
        if before is not None:
            # Started after the first is ready, so neither's start-up time is shared.
            log(f"starting a second server on the previous code in {args.before_src}")
            before.start()
            report["before"] = {
                "src": str(args.before_src),
                "ready_seconds": before.ready_seconds,
                "rss_mib": before.rss(),
            }
            log(f"previous-code server ready in {before.ready_seconds:.1f} s at {before.url}")

        by_kind, checks = run_mix(
            queries, services, server, baseline, catalog.token, args.passes, before, raw_sample
        )
        report["by_kind"], report["checks"] = by_kind, checks

        names = catalog.public_names
        paths = [f"/api/3/action/package_show?id={name}" for name in names]
        wrk = None if args.no_wrk else ensure_wrk(not args.no_install)
        # Short warm-up so both workers have touched their code paths.
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for path in random.Random(3).choices(paths, k=200):
                client.get(path).raise_for_status()
        log(f"package_show load for {args.seconds} s")
        if wrk:
            report["show"] = run_wrk(wrk, server.url, paths, args.seconds, args.connections, 1)
            report["status"] = run_wrk(
                wrk,
                server.url,
                ["/api/3/action/status_show"],
                min(args.seconds, 5),
                args.connections,
                1,
            )
        else:
            report["show"] = run_python_load(
                server.port, paths, args.seconds, 2, max(1, args.connections // 8)
            )
        report["server_rss_after"] = server.rss()
        report["server_pss_after"] = server.pss()
    finally:
        server.stop()
        if before is not None:
            before.stop()
        baseline.close()
    report["sharing"] = measure_sharing(catalog, queries, settings.site_url)
    report["raw_row_qps"] = raw_lookup_qps(
        catalog.db_path, "SELECT * FROM dataset WHERE name = ?", catalog.public_names, 3
    )
    report["raw_json_qps"] = raw_lookup_qps(
        baseline.path, "SELECT raw FROM doc WHERE name = ?", catalog.public_names, 3
    )
    path = write_result(name, record.finish(), summarise(report), args.results_dir)
    markdown = render_section(name, path)
    output = args.output or WORK / f"search-results-{args.datasets}.md"
    output.write_text(markdown)
    print(markdown)
    log(f"results written to {path}, Markdown to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
