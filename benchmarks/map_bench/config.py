"""What the map benchmark measures (its own copy of src/, named in the environment before
benchmarks/search.py is imported, which finds it there), its targets and its sizes."""

from __future__ import annotations

import os
import re

from snapshot import snapshot_source

SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"  # the same name as search.SRC_ENV
# This run's own copy of src/tsunagu (importing search below finds it named in SRC_ENV).
MAP_SRC = snapshot_source(SRC_ENV, f"src-map-{os.getpid()}")

import search  # noqa: E402  (benchmarks/search.py: server, wrk, helpers; after MAP_SRC)

WORK = search.WORK
log = search.log
LAYER = "evacuation_space"
ADMIN = "bench-map-admin"
MESSAGE = "台風第10号の接近に伴い、避難所を開設しています（ベンチマーク）"
TARGET_RPS = 2000.0
TARGET_P99_MS = 100.0
TARGET_304_P95_MS = 5.0
TARGET_GZIP_BYTES = 1_000_000  # "1 MB", read strictly
# Prefectures whose municipalities carry the points, in order: 山口県, then its neighbours.
PREFECTURES = ("35", "34", "40", "32", "33", "38", "44", "37", "39", "36")
# A browser's request headers for the page and the layer (what decides the representation).
PAGE_HEADERS = {"Accept-Encoding": "gzip, deflate"}
LAYER_ACCEPT = "gzip, deflate, br"
# The sizes of a full run, and of a quick one (any of them may be given with --quick: a bigger
# check, still written to .work/results).
FULL = {"points": 20_000, "municipalities": 40, "seconds": 60.0, "requests": 2000}
QUICK = {"points": 1_000, "municipalities": 5, "seconds": 5.0, "requests": 300}
OTHERS = re.compile(
    rb"benchmarks/(search|datastore|portal|load|staff|harvest|analytics|quality|map)\.py"
)
