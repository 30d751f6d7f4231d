"""What the portal benchmark measures (its own copy of src/, named in the environment before
benchmarks/search.py is imported, which finds it there), its targets, and the wait for other
benchmarks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import processes
from snapshot import snapshot_source

SRC_ENV = "TSUNAGU_BENCH_SEARCH_SRC"  # the same name as search.SRC_ENV


# This run's own copy (search.py's .work/src may be in use by a search.py run); importing
# search below finds it named in SRC_ENV and does not copy again.
PORTAL_SRC = snapshot_source(SRC_ENV, "src-portal")

import search  # noqa: E402  (benchmarks/search.py: generator, server, machine info)

WORK = search.WORK
log, pct = search.log, search.pct

TARGET_LIST_P95_MS = 50.0  # home and search pages, time to first byte
TARGET_DATASET_P95_MS = 100.0  # dataset page with a datastore preview, time to first byte
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Nothing but the loopback server resolves, so a page cannot reach the network.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# What the views in tsunagu.web.views.public ask package_search for.
HOME_SEARCH = {
    "rows": "6",
    "sort": "metadata_modified desc",
    "facet.field": json.dumps(["groups", "organization", "res_format"]),
    "facet.limit": "-1",
}
FACETS = ["organization", "groups", "tags", "res_format", "license_id"]
PAGE_SIZE = 20
HEADERS = {"Accept": "text/html,application/json", "Accept-Language": "ja"}


OTHERS = re.compile(rb"benchmarks/(search|datastore)\.py")


def other_benchmarks() -> list[str]:
    """Process ids of search.py or datastore.py runs, whenever they started."""
    return processes.benchmark_processes(OTHERS, earlier_only=False)


def wait_for_other_benchmarks(limit_seconds: float = 7200) -> None:
    """The machine is small: do not measure while search.py or datastore.py is running."""
    processes.wait_for_benchmarks(OTHERS, earlier_only=False, limit_seconds=limit_seconds, log=log)
