"""Harvest benchmark (issue 11): one Tsunagu harvests another over HTTP as a CKAN source.

In one run:

1. the remote catalog: ``benchmarks/search.py``'s seeded generator (Japanese titles, tags,
   1–4 resources, 5 % private), N datasets bulk-inserted into a fresh SQLite catalog, served by
   ``uvicorn tsunagu.asgi:app`` (1 worker);
2. the harvesting server: an empty catalog with one organisation, served the same way
   (1 worker, ingest off so only harvesting is measured, ``TSUNAGU_HARVEST_PRIVATE_NETWORKS=
   127.0.0.1``), and one CKAN source on the remote with its sysadmin's API key (so the private
   datasets come too and every one of the N is harvested);
3. **full**: ``harvest_run`` and wait for the job; datasets/s = datasets written ÷ the job's
   own start-to-finish time (from its history, so polling adds nothing);
4. **incremental**: 1 % of the remote datasets get a new title through the remote's API, then
   ``harvest_run`` again (changes since the last job, minus the hour of overlap); target: at
   least 20× faster than the full run, in the same run;
5. **incremental with the deletion check**: the same again after clearing the source's
   ``last_listed``, so the job also compares ``package_list`` with every remote id (what a daily
   source does once a day);
6. peak memory of the harvesting server (VmHWM of its process) after the three jobs, target
   ≤ 300 MB; and again once a search has built its index of the N datasets (which loads the
   reading dictionary every serving process holds, ~120 MB), for comparison.

Writes benchmarks/results/harvest.json (see runrecord.py) and prints its Markdown.

Usage: ``python benchmarks/harvest.py [--datasets 10000] [--changed-percent 1] [--quick]``
(``--quick``: 300 datasets, results to benchmarks/.work/results).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import processes
from runrecord import RunRecord, add_results_argument, render_section, write_result
from snapshot import snapshot_revision, snapshot_source

SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"  # the same name as search.SRC_ENV
# This run's own copy of src/tsunagu, which importing search below finds named in SRC_ENV.
HARVEST_SRC = snapshot_source(SRC_ENV, f"src-harvest-{os.getpid()}")

import search  # noqa: E402  (benchmarks/search.py: generator, server, helpers)
from tsunagu.bootstrap import action_context, build_services  # noqa: E402
from tsunagu.config import Settings  # noqa: E402
from tsunagu.registry import call_action  # noqa: E402
from tsunagu.storage.migrate import upgrade  # noqa: E402

WORK = search.WORK
log = search.log
TARGET_RATIO = 20.0
TARGET_PEAK_MB = 300.0
ORG = "bench-harvest-pref"
SOURCE = "bench-remote"
ADMIN = "bench-harvester"
OTHERS = re.compile(rb"benchmarks/(search|datastore|portal|load|staff|harvest)\.py")


def harvesting_catalog(data_dir: Path) -> tuple[search.Catalog, str]:
    """An empty catalog with the organisation and a sysadmin; returns it and the token."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    db_path = data_dir / "tsunagu.db"
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{db_path}")
    services = build_services(settings)
    upgrade(services.engine)
    with action_context(services, ignore_auth=True) as context:
        call_action("organization_create", context, {"name": ORG, "title": "山口県"})
        call_action(
            "user_create",
            context,
            {"name": ADMIN, "email": "h@example.jp", "password": "bench-h-0000", "sysadmin": True},
        )
    with action_context(services, ignore_auth=True) as context:
        token = str(call_action("api_token_create", context, {"user": ADMIN, "name": "b"})["token"])
    services.engine.dispose()
    return search.Catalog(db_path, data_dir, 0, token, []), token


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=url + "/api/3/action/", headers={"Authorization": token}, timeout=120
        )

    def __call__(self, action: str, **data: Any) -> Any:
        answer = self.client.post(action, json=data).json()
        if not answer.get("success"):
            raise RuntimeError(f"{action}: {answer.get('error')}")
        return answer["result"]


def run_job(api: Api, **data: Any) -> dict[str, Any]:
    """Queue a job, wait for its end, and return it with its own duration (seconds)."""
    job = api("harvest_run", id=SOURCE, **data)
    while job["job_status"] in ("pending", "running"):
        time.sleep(0.2)
        job = api("harvest_job_show", id=job["id"], errors_limit=20)
    if job["job_status"] != "complete":
        raise RuntimeError(f"the harvest job ended {job['job_status']}: {job['message']}")
    started = datetime.fromisoformat(job["gather_started"])
    job["seconds"] = (datetime.fromisoformat(job["finished"]) - started).total_seconds()
    return job


def _figures(job: dict[str, Any]) -> dict[str, Any]:
    counts = job["counts"]
    written = counts["added"] + counts["updated"]
    return {
        "seconds": job["seconds"],
        "mode": job["mode"],
        "listed": job["listed"],
        "counts": counts,
        "written_per_second": written / job["seconds"] if job["seconds"] else None,
        "records_per_second": sum(counts[k] for k in ("added", "updated", "unchanged"))
        / job["seconds"]
        if job["seconds"]
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=None, help="remote datasets (10000)")
    parser.add_argument("--changed-percent", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="300 datasets, to check the script")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for other benchmarks")
    add_results_argument(parser)
    args = parser.parse_args()
    datasets = args.datasets or (300 if args.quick else 10_000)
    if not args.no_wait:
        processes.wait_for_benchmarks(OTHERS)
    record = RunRecord("harvest", args.quick, source=snapshot_revision())
    os.environ["TSUNAGU_MAP_TILES"] = ""
    log(f"remote catalog: {datasets:,} datasets")
    remote_catalog = search.create_catalog(
        datasets, args.seed, reuse=False, data_dir=WORK / f"harvest-remote-{os.getpid()}"
    )
    local_catalog, token = harvesting_catalog(WORK / f"harvest-local-{os.getpid()}")
    remote = search.Server(remote_catalog, workers=1).start()
    os.environ.update(
        TSUNAGU_INGEST_WORKERS="0",
        TSUNAGU_HARVEST_PRIVATE_NETWORKS="127.0.0.1",
        TSUNAGU_HARVEST_SCHEDULE_SECONDS="5",
    )
    local = search.Server(local_catalog, workers=1).start()
    try:
        remote_api, local_api = Api(remote.url, remote_catalog.token), Api(local.url, token)
        total = remote_api("package_search", rows=0, include_private=True)["count"]
        local_api(
            "harvest_source_create",
            name=SOURCE,
            title="ベンチマーク用の市",
            url=remote.url,
            source_type="ckan",
            owner_org=ORG,
            api_key=remote_catalog.token,
        )
        log("full harvest")
        full = run_job(local_api)
        log(f"  {full['counts']} in {full['seconds']:.1f} s")
        changed = max(1, round(total * args.changed_percent / 100))
        names = [
            p["name"]
            for p in remote_api(
                "package_search", rows=changed, sort="name asc", include_private=True
            )["results"]
        ]
        change_started = time.perf_counter()
        for name in names:
            remote_api("package_patch", id=name, title=f"{name}（改訂）")
        change_seconds = time.perf_counter() - change_started
        log(f"incremental harvest after {len(names)} changes")
        incremental = run_job(local_api)
        log(f"  {incremental['counts']} in {incremental['seconds']:.2f} s")
        with sqlite3.connect(local_catalog.db_path) as db:
            db.execute("UPDATE harvest_source SET last_listed = NULL")
        log("incremental harvest with the deletion check (package_list)")
        listed = run_job(local_api)
        log(f"  {listed['counts']} in {listed['seconds']:.2f} s")
        # The harvest's own peak first: the first search loads the index and its reading
        # dictionary (pykakasi, ~120 MB), which any serving process holds anyway.
        peak = processes.proc_mib(local.proc.pid, "VmHWM") if local.proc else float("nan")
        harvested = local_api("package_search", rows=0, include_private=True)["count"]
        peak_searching = processes.proc_mib(local.proc.pid, "VmHWM") if local.proc else float("nan")
    finally:
        local.stop()
        remote.stop()
    summary = {
        "remote_datasets": total,
        "harvested": harvested,
        "changed": len(names),
        "change_seconds": change_seconds,
        "page_size": 100,
        "full": _figures(full),
        "incremental": _figures(incremental),
        "incremental_listed": _figures(listed),
        "ratio": full["seconds"] / incremental["seconds"] if incremental["seconds"] else None,
        "ratio_listed": full["seconds"] / listed["seconds"] if listed["seconds"] else None,
        "peak_mb": peak,
        "peak_mb_with_search": peak_searching,
        "targets": {"ratio": TARGET_RATIO, "peak_mb": TARGET_PEAK_MB},
    }
    out = write_result("harvest", record.finish(), summary, args.results_dir)
    print(render_section("harvest", out))


if __name__ == "__main__":
    main()
