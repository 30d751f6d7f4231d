"""Map benchmark (issue 16): 災害モード's 避難場所 page under a crowd, and the shelter layer.

The issue's targets, each a *part* of this script (``--only`` picks some):

* ``hinan`` — the lightweight 避難場所 page (``/hinan``, 災害モード switched on by a sysadmin
  through ``disaster_mode_update``) under 200 concurrent clients for 60 s: ≥ 2,000 requests/s,
  p99 ≤ 100 ms, no errors. Beside it in the same run, with the same clients: the same page from
  a second server that renders it for every request (``TSUNAGU_DISASTER_PAGE_CACHE=0``), and the
  floor — a bare ASGI app under the same uvicorn answering with the same bytes and headers and
  doing nothing else. Then a municipality's page (``/hinan/{code}``, where people go next),
  cached and not, for a third of the time;
* ``layer`` — the shelter layer's GeoJSON at 20,000 points: a conditional request
  (``If-None-Match``) answered 304 in ≤ 5 ms p95, and the whole body gzipped ≤ 1 MB (brotli's
  and the CSV's sizes beside it), the full answer and the floor's 304 timed the same way.

The catalog is made here, fresh each run, in ``.work/map-catalog-N-sSEED``: one organisation per
municipality (real 全国地方公共団体コード from quality/areas.csv, 山口県's first, then its
neighbours'), each publishing one synthetic 指定緊急避難場所 file with the standard's columns
(about a third of them with a 開設状況 column), uploaded as CSV through ``resource_create`` and
read by the server's own ingest worker; the map worker builds the layer, and the run waits until
it holds every point. Servers run ``uvicorn tsunagu.asgi:app`` on the embedded default (SQLite)
with ``--workers`` processes (2), harvest and snapshots off, from this run's own source snapshot.
Load: ``wrk`` (installed with apt-get when missing and running as root, as search.py does;
``--no-wrk`` for a Python generator). Results: ``benchmarks/results/map.json`` (run record, see
runrecord.py); RESULTS.md renders them (reporting/map.py).

It waits while a benchmark started earlier runs (``--no-wait`` not to). ``--quick``: 1,000 points
of 5 municipalities and 5 s of load, results to ``benchmarks/.work/results``; sizes given beside
it are kept.

Usage: ``python benchmarks/map.py [--points 20000] [--municipalities 40] [--clients 200]
[--seconds 60] [--quick] [--only hinan,layer] [--no-wait]``

The steps live in ``map_bench/`` (``shelters``, ``floor``, ``load``, ``bench``, ``parts``); this
file sets up a run and runs them. ``map_bench.config`` names this run's copy of src/ before it
imports benchmarks/search.py, so it is imported before anything else of the run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from typing import Any

import httpx
import processes
from map_bench.bench import Bench
from map_bench.config import FULL, MAP_SRC, MESSAGE, OTHERS, QUICK, WORK, log, search
from map_bench.parts import PARTS
from map_bench.shelters import make_catalog, publish, towns
from runrecord import RunRecord, add_results_argument, render_section, write_result
from snapshot import snapshot_revision


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Sizes left unset take the full run's defaults, or the quick run's with --quick.
    parser.add_argument("--points", type=int, help="shelters in the layer (20,000)")
    parser.add_argument("--municipalities", type=int, help="publishing municipalities (40)")
    parser.add_argument("--seconds", type=float, help="load per server on /hinan (60)")
    parser.add_argument("--requests", type=int, help="timed conditional requests (2,000)")
    parser.add_argument("--clients", type=int, default=200, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument(
        "--quick", action="store_true", help="1,000 points of 5 municipalities, 5 s of load"
    )
    parser.add_argument("--no-wait", action="store_true", help="do not wait for other benchmarks")
    parser.add_argument("--no-wrk", action="store_true", help="use the Python load generator")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"parts to run, of: {', '.join(PARTS)}"
    )
    add_results_argument(parser)
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {unknown}; known: {list(PARTS)}")
    sizes = QUICK if args.quick else FULL
    for name, value in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    record = RunRecord("map", args.quick, source=snapshot_revision())
    wrk = None if args.no_wrk else search.ensure_wrk(not args.no_install)
    if wrk:
        version = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout
        found = re.search(r"wrk (\S+)", version)
        record.add_versions(wrk=found.group(1) if found else "unknown")

    if not args.no_wait:
        processes.wait_for_benchmarks(OTHERS)
    places = towns(args.points, args.municipalities)
    catalog = make_catalog(WORK / f"map-catalog-{args.points}-s{args.seed}", places)
    os.environ.update(
        {
            "TSUNAGU_HARVEST_WORKERS": "0",
            "TSUNAGU_METRICS_SNAPSHOT_SECONDS": "0",
            "TSUNAGU_MAP_TILES": "",
        }
    )
    summary: dict[str, Any] = {"points": args.points, "municipalities": args.municipalities}
    bench = Bench(args, catalog, places, wrk)
    try:
        cached = bench.server("cached")
        summary["catalog"] = publish(cached, catalog, places, args.seed)
        log(f"catalog ready: {summary['catalog']}")
        with httpx.Client(base_url=cached.url, timeout=60) as client:
            client.post(
                "/api/3/action/disaster_mode_update",
                json={"on": True, "message": MESSAGE},
                headers={"Authorization": catalog.token},
            ).raise_for_status()
        for name in parts:
            log(f"part {name}")
            summary[name] = PARTS[name](bench)
    finally:
        bench.stop()
        shutil.rmtree(WORK / f"map-wrk-{os.getpid()}", ignore_errors=True)
        if MAP_SRC.name == f"src-map-{os.getpid()}":  # this process's copy, not a parent's
            shutil.rmtree(MAP_SRC, ignore_errors=True)
    path = write_result("map", record.finish(), summary, args.results_dir)
    print(render_section("map", path))
    log(f"results written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
