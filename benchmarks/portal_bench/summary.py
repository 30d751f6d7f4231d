"""The portal benchmark's results files (benchmarks/results/portal-*.json)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from runrecord import RunRecord, render_section, stats, write_result

from portal_bench.config import PORTAL_SRC, TARGET_DATASET_P95_MS, TARGET_LIST_P95_MS, log
from portal_bench.http_timing import Case


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "key": case.key,
        "label": case.label,
        "shown": case.shown,
        "primary_label": case.primary_label,
        "extras_label": case.extras_label,
        "kib": float(np.median(case.page_bytes)) / 1024 if case.page_bytes else 0.0,
        "page_ttfb": stats(case.page_ttfb),
        "page_full": stats(case.page_full),
        "api_full": stats(case.api_full),
        "all_full": stats(case.all_full),
        "errors": case.errors,
        "others": sorted(case.others, key=int),
    }


def browser_summary(result: Any, loads: int) -> dict[str, Any]:
    if isinstance(result, str):
        return {"skipped": result}
    rows = []
    for row in result["rows"]:
        warm, cold = np.asarray(row.warm), np.asarray(row.cold)
        rows.append(
            {
                "label": row.label,
                "warm_ttfb_p50": np.percentile(warm[:, 0], 50),
                "warm_dcl_p50": np.percentile(warm[:, 1], 50),
                "warm_load_p50": np.percentile(warm[:, 2], 50),
                "warm_load_p95": np.percentile(warm[:, 2], 95),
                "cold_load_p50": np.percentile(cold[:, 2], 50),
                "cold_load_p95": np.percentile(cold[:, 2], 95),
                "others": sorted(row.others, key=int),
            }
        )
    return {
        "version": result["version"],
        "loads": loads,
        "rows": rows,
        "outside": result["outside"],
    }


def summarise(catalog: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """What goes into benchmarks/results/portal-demo.json or portal-synthetic.json."""
    cases: list[Case] = catalog.pop("cases")
    floor = next(c for c in cases if c.key == "floor")
    views = (PORTAL_SRC / "tsunagu" / "web" / "views" / "public.py").read_text()
    return {
        **catalog,
        "browser": browser_summary(catalog["browser"], args.loads),
        "requests": args.requests,
        "warmup": args.warmup,
        "counts_page_views": "usage.counters" in views,
        "cases": [case_summary(c) for c in cases if c.key != "floor"],
        "floor": stats(floor.page_ttfb),
        "targets": {"list_p95_ms": TARGET_LIST_P95_MS, "dataset_p95_ms": TARGET_DATASET_P95_MS},
    }


def finish(name: str, record: RunRecord, catalog: dict[str, Any], args: argparse.Namespace) -> str:
    path = write_result(name, record.finish(), summarise(catalog, args), args.results_dir)
    log(f"results written to {path}")
    return render_section(name, path)
