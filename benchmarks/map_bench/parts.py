"""The map benchmark's parts: the 避難場所 page under a crowd (hinan) and the shelter layer
(layer)."""

from __future__ import annotations

import gzip
import http.client
import json
import time
from collections.abc import Callable
from typing import Any

import brotli
from runrecord import stats

from map_bench.bench import Bench, Target, get, measure, page_with_message
from map_bench.config import (
    LAYER,
    LAYER_ACCEPT,
    PAGE_HEADERS,
    TARGET_304_P95_MS,
    TARGET_GZIP_BYTES,
    TARGET_P99_MS,
    TARGET_RPS,
    log,
)
from map_bench.floor import Floor, server_pids


def part_hinan(bench: Bench) -> dict[str, Any]:
    args = bench.args
    cached = bench.servers["cached"]
    uncached = bench.server("uncached", TSUNAGU_DISASTER_PAGE_CACHE="0", TSUNAGU_INGEST_WORKERS="0")
    html_cached = page_with_message(cached)
    html_uncached = page_with_message(uncached)
    _status, headers, page_gzip = get(cached.port, "/hinan", PAGE_HEADERS)
    if headers.get("content-encoding") != "gzip":
        raise RuntimeError(f"/hinan was not sent gzipped: {headers}")
    bench.page_gzip, bench.page_etag = page_gzip, headers["etag"].encode()
    bench.floor = Floor(page_gzip, bench.page_etag, args.workers).start()
    floor = bench.floor
    codes = [t.code for t in bench.places]
    town_paths = [f"/hinan/{code}" for code in codes]
    sizes = [len(get(cached.port, p, {"Accept-Encoding": "identity"})[2]) for p in town_paths]
    servers = {
        "cached": Target(cached.url, cached.port, server_pids(cached)),
        "uncached": Target(uncached.url, uncached.port, server_pids(uncached)),
        "floor": Target(floor.url, floor.port, floor.pids()),
    }
    log(f"/hinan: {args.clients} clients for {args.seconds:g} s on each server")
    index = {
        name: measure(bench, name, target, ["/hinan"], args.seconds)
        for name, target in servers.items()
    }
    town_seconds = float(max(1, round(args.seconds / 3)))
    log(f"/hinan/{{code}} of {len(codes)} municipalities: {town_seconds:g} s on each server")
    towns_load = {
        name: measure(bench, name, target, town_paths, town_seconds)
        for name, target in servers.items()
        if name != "floor"
    }
    best = index["cached"]
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers,
        "tool": best["tool"],
        "page": {
            "bytes": len(html_cached),
            "gzip_bytes": len(page_gzip),
            "same_html": html_cached == html_uncached,
            "municipality_pages": len(codes),
            "municipality_bytes_max": max(sizes, default=0),
            "municipality_bytes_median": sorted(sizes)[len(sizes) // 2] if sizes else 0,
        },
        "index": index,
        "municipality": {"seconds": town_seconds, "servers": towns_load},
        "rss_mib": {"cached": cached.rss(), "uncached": uncached.rss()},
        "targets": {"rps": TARGET_RPS, "p99_ms": TARGET_P99_MS, "errors": 0},
        "met": best["rps"] >= TARGET_RPS
        and best["latency"]["p99"] <= TARGET_P99_MS
        and best["errors"] == 0,
    }


def _timed(
    port: int, path: str, headers: dict[str, str], count: int, status: int
) -> dict[str, Any]:
    """``count`` requests in a row over one keep-alive connection (after 20 untimed): the time
    to read the whole answer, and how many were not ``status``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings: list[float] = []
    wrong = 0
    try:
        for n in range(20 + count):
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if n >= 20:
                timings.append((time.perf_counter() - started) * 1000)
                wrong += response.status != status
    finally:
        connection.close()
    return {**stats(timings), "wrong_status": wrong}


def part_layer(bench: Bench) -> dict[str, Any]:
    args = bench.args
    server = bench.servers["cached"]
    bench.settle()
    path = f"/map/layers/{LAYER}.geojson"
    _s, plain_headers, plain = get(server.port, path, {"Accept-Encoding": "identity"})
    _s, gzip_headers, gzipped = get(server.port, path, {"Accept-Encoding": "gzip"})
    _s, br_headers, brotlied = get(server.port, path, {"Accept-Encoding": LAYER_ACCEPT})
    _s, csv_headers, csv_gzip = get(
        server.port, f"/map/layers/{LAYER}.csv", {"Accept-Encoding": "gzip"}
    )
    if gzip.decompress(gzipped) != plain or brotli.decompress(brotlied) != plain:
        raise RuntimeError("the compressed layer bodies do not decode to the plain one")
    if br_headers.get("content-encoding") != "br":
        raise RuntimeError(f"the layer was not sent with brotli: {br_headers}")
    document = json.loads(plain)
    etag = br_headers["etag"]
    conditional = {"Accept-Encoding": LAYER_ACCEPT, "If-None-Match": etag}
    log(f"layer: {len(document['features']):,} points; {args.requests} conditional requests")
    not_modified = _timed(server.port, path, conditional, args.requests, 304)
    full = _timed(server.port, path, {"Accept-Encoding": LAYER_ACCEPT}, args.requests // 10, 200)
    floor_304 = None
    if bench.floor is not None:
        floor_304 = _timed(
            bench.floor.port, "/hinan", {"If-None-Match": bench.page_etag.decode()},
            args.requests, 304,
        )  # fmt: skip
    return {
        "points": len(document["features"]),
        "etag": etag,
        "cache_control": br_headers.get("cache-control"),
        "bytes": {
            "geojson": len(plain),
            "gzip": len(gzipped),
            "br": len(brotlied),
            "csv_gzip": len(csv_gzip),
        },
        "requests": args.requests,
        "not_modified": not_modified,
        "full_br": full,
        "floor_not_modified": floor_304,
        "headers": {
            "gzip_etag": gzip_headers.get("etag"),
            "identity_etag": plain_headers.get("etag"),
            "csv_etag": csv_headers.get("etag"),
        },
        "targets": {"not_modified_p95_ms": TARGET_304_P95_MS, "gzip_bytes": TARGET_GZIP_BYTES},
        "met": not_modified["p95"] is not None
        and not_modified["p95"] <= TARGET_304_P95_MS
        and not not_modified["wrong_status"]
        and len(gzipped) <= TARGET_GZIP_BYTES,
    }


# Parts in the order they run; each takes the shared Bench and returns its summary.
PARTS: dict[str, Callable[[Bench], dict[str, Any]]] = {
    "hinan": part_hinan,
    "layer": part_layer,
}
